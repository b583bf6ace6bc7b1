#!/bin/bash
# A STAND-IN for mock, for builderd's tests only: it records its arguments
# and answers as mock would, building with the host's rpmbuild and making no
# root. See builderd/buildroot/mock_test.go for what it is for and what not.
set -u
here=$(dirname "$0")
(IFS=$'\x1f'; printf '%s\n' "$*") >> "$here/argv.log"
cfg= result= mode= srpm= spec= sources= cmd= noclean=0
while [ $# -gt 0 ]; do
	case $1 in
	-r) cfg=$2; shift ;;
	--resultdir) result=$2; shift ;;
	--init) mode=init ;;
	--installdeps) mode=installdeps; srpm=$2; shift ;;
	--rebuild) mode=rebuild; srpm=$2; shift ;;
	--buildsrpm) mode=buildsrpm ;;
	--clean) mode=clean ;;
	--spec) spec=$2; shift ;;
	--sources) sources=$2; shift ;;
	--shell) mode=shell; cmd=$2; shift ;;
	--no-clean) noclean=1 ;;
	--cleanup-after|--quiet) ;;
	*) echo "stand-in mock: unknown argument $1" >&2; exit 5 ;;
	esac
	shift
done
case $cfg in
*.cfg) [ -f "$cfg" ] || { echo "stand-in mock: no config $cfg" >&2; exit 5; } ;;
*) echo "stand-in mock: -r takes a config path only when it ends in .cfg: $cfg" >&2; exit 5 ;;
esac
[ -n "$result" ] && [ -n "$mode" ] || { echo "stand-in mock: no --resultdir or no mode" >&2; exit 5; }
mkdir -p "$result"
echo "stand-in mock: $mode" >> "$result/state.log"
echo "INFO: stand-in mock: $mode (this line is mock's console output)" >&2
target=$(sed -n "s/^config_opts\['target_arch'\] = '\(.*\)'$/\1/p" "$cfg")
top="$result.top"
setup() {
	echo "stand-in mock: installing $(sed -n "s/^config_opts\['chroot_setup_cmd'\] = 'install \(.*\)'$/\1/p" "$cfg")" >> "$result/root.log"
}
# Without --no-clean, mock makes the root anew before it builds.
case $mode in buildsrpm|rebuild) [ $noclean = 1 ] || setup ;; esac
case $mode in
init)
	setup ;;
installdeps)
	echo "stand-in mock: installing the BuildRequires of $(basename "$srpm")" >> "$result/root.log" ;;
clean)
	echo "stand-in mock: removing the root" >> "$result/root.log" ;;
shell)
	case $cmd in
	"rpm -qa --qf "*) printf 'rpm-build\t4.19.1\t1.fc40\t(none)\t%s\nbash\t5.2.26\t3.fc40\t(none)\t%s\nperl-libs\t5.38.2\t502.fc40\t4\t%s\n' "$target" "$target" "$target" ;;
	*) echo "stand-in mock: cannot run $cmd" >&2; exit 5 ;;
	esac ;;
buildsrpm)
	rpmbuild --define "_topdir $top" --define "_sourcedir $sources" --nodeps -bs "$spec" >> "$result/build.log" 2>&1 ||
		{ echo "ERROR: stand-in mock: rpmbuild -bs failed" >> "$result/build.log"; exit 1; }
	cp "$top"/SRPMS/*.src.rpm "$result/" ;;
rebuild)
	rpmbuild --define "_topdir $top" --nodeps --target "$target" --rebuild "$srpm" >> "$result/build.log" 2>&1 ||
		{ echo "ERROR: stand-in mock: rpmbuild --rebuild failed" >> "$result/build.log"; exit 1; }
	# mock puts the binary rpms flat in the result directory, beside the SRPM.
	find "$top/RPMS" -name '*.rpm' -exec cp {} "$result/" \;
	cp "$srpm" "$result/" ;;
esac
