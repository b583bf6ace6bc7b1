#!/bin/bash
# Record the Python koji CLI's answers for commands.txt against a fresh hub
# of this tree. Usage: testdata/golden/record.sh   (from the repository root)
# Needs Go and the Python CLI at $KOJI_PY (default /work/tools/koji, which
# runs /work/koji-src/cli/koji). Writes testdata/golden/out/NNN.txt.
set -u
cd "$(dirname "$0")/../.."
KOJI_PY=${KOJI_PY:-/work/tools/koji}
PORT=${PORT:-18187}
work=$(mktemp -d)
trap 'kill $hub 2>/dev/null; wait $hub 2>/dev/null; rm -rf "$work"' EXIT
go build -o "$work/kojihub" ./hub/cmd/kojihub || exit 1
"$work/kojihub" --data "$work/data" --admin-password kojiadmin --listen 127.0.0.1:$PORT --repo-manager=false --hub-tasks=false >"$work/hub.log" 2>&1 &
hub=$!
for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:$PORT/ && break; sleep 0.2; done
cat >"$work/koji.conf" <<CONF
[gokoji]
server = http://127.0.0.1:$PORT/kojihub
weburl = http://127.0.0.1:$PORT/koji
topurl = http://127.0.0.1:$PORT/kojifiles
authtype = password
CONF
# The RPMs the scenario imports are testdata/golden/rpms (committed: an
# RPM's header embeds its build root's path, so two builds in different
# temporary directories differ). REBUILD_RPMS=1 rebuilds them from
# testdata/specs, reproducibly apart from that path; re-record after that.
if [ -n "${REBUILD_RPMS:-}" ]; then
	rm -f testdata/golden/rpms/*.rpm
	for spec in tiny-noarch gk-arch; do
		SOURCE_DATE_EPOCH=1790000000 rpmbuild --quiet -ba --define "_topdir $work/rpmbuild-$spec" \
			--define "_buildhost test.example.com" --define "use_source_date_epoch_as_buildtime 1" \
			--define "clamp_mtime_to_source_date_epoch 1" --define "_binary_payload w1.gzdio" \
			"$PWD/testdata/specs/$spec.spec" || exit 1
		find "$work/rpmbuild-$spec" -name '*.rpm' -exec cp {} testdata/golden/rpms/ \;
	done
fi
mkdir -p "$work/cwd/rpms"
cp testdata/golden/rpms/*.rpm "$work/cwd/rpms/"
out=$PWD/testdata/golden/out
rm -rf "$out"; mkdir -p "$out"
n=0
while IFS= read -r line; do
	case "$line" in ''|'#'*) continue ;; esac
	n=$((n+1))
	f=$(printf '%s/%03d.txt' "$out" $n)
	eval "set -- $line"
	(cd "$work/cwd" && KOJI_CONF="$work/koji.conf" KOJI_PROFILE=gokoji KOJI_USER=kojiadmin KOJI_PASSWORD=kojiadmin \
		"$KOJI_PY" "$@" >"$work/stdout" 2>"$work/stderr" </dev/null)
	rc=$?
	{
		printf '$ koji %s\n--- exit code: %d\n--- stdout:\n' "$line" $rc
		cat "$work/stdout"
		printf -- '--- stderr:\n'
		cat "$work/stderr"
	} >"$f"
done < testdata/golden/commands.txt
echo "recorded $n commands in $out"
