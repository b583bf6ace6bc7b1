// Package rpmhdr reads RPM headers with github.com/cavaliergopher/rpm and
// answers the questions the hub asks of an RPM file: its identity, the
// SIGMD5 that Koji calls payloadhash, the raw signature header, and header
// fields by Koji's names (getRPMHeaders), files, dependencies and changelog.
// It never shells out to rpm.
package rpmhdr

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cavaliergopher/rpm"
)

// Signature header tags (rpm's RPMSIGTAG_*).
const (
	sigSize     = 1000
	sigPGP      = 1002
	sigMD5      = 1004
	sigGPG      = 1005
	sigLongSize = 270
	sigDSA      = 267
	sigRSA      = 268
)

const leadSize = 96

var headerMagic = []byte{0x8e, 0xad, 0xe8}

// ErrInvalid wraps every reason a file is not a usable RPM.
var ErrInvalid = errors.New("invalid rpm")

// invalidError is a reason a file is not a usable RPM; it matches ErrInvalid.
type invalidError struct{ msg string }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(format string, args ...any) error {
	return &invalidError{fmt.Sprintf(format, args...)}
}

var leadMagic = []byte{0xed, 0xab, 0xee, 0xdb}

// RPM is a parsed RPM file's lead and headers.
type RPM struct {
	pkg       *rpm.Package
	sigHeader []byte // the raw signature header, padding included
	hdrLen    int64  // bytes of the main header
}

// Open reads the headers of the RPM file at path.
func Open(path string) (*RPM, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(bufio.NewReaderSize(f, 64<<10))
}

// Read reads an RPM's lead and headers from r and leaves r at the payload.
func Read(r io.Reader) (*RPM, error) {
	b, err := readHeaders(r)
	if err != nil {
		return nil, err
	}
	pkg, err := rpm.Read(bytes.NewReader(b))
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, invalid("truncated header")
		}
		return nil, invalid("%v", err)
	}
	sigLen := headerLen(b[leadSize:])
	sigLen += (8 - sigLen%8) % 8
	hdrStart := leadSize + sigLen
	return &RPM{
		pkg:       pkg,
		sigHeader: append([]byte(nil), b[leadSize:hdrStart]...),
		hdrLen:    headerLen(b[hdrStart:]),
	}, nil
}

// headerLen is the length of the header structure starting at b.
func headerLen(b []byte) int64 {
	il := int64(binary.BigEndian.Uint32(b[8:12]))
	dl := int64(binary.BigEndian.Uint32(b[12:16]))
	return 16 + 16*il + dl
}

// SigHeader is the raw signature header (Koji's rip_rpm_sighdr).
func (r *RPM) SigHeader() []byte { return r.sigHeader }

// SigHash is the md5 of the signature header, Koji's rpmsigs.sighash.
func (r *RPM) SigHash() string { return Hash(r.sigHeader) }

// Hash is the md5 hex of a signature header, Koji's sighash.
func Hash(sighdr []byte) string {
	s := md5.Sum(sighdr)
	return hex.EncodeToString(s[:])
}

// SigMD5 is the hex of the header+payload md5 from the signature header:
// Koji's payloadhash.
func (r *RPM) SigMD5() (string, error) {
	b := r.pkg.Signature.GetTag(sigMD5).Bytes()
	if len(b) != 16 {
		return "", invalid("no SIGMD5 in the signature header")
	}
	return hex.EncodeToString(b), nil
}

// Name, Version, Release are the header's NVR.
func (r *RPM) Name() string    { return str(r.pkg.Header.GetTag(1000)) }
func (r *RPM) Version() string { return str(r.pkg.Header.GetTag(1001)) }
func (r *RPM) Release() string { return str(r.pkg.Header.GetTag(1002)) }

// Epoch is nil when the header has none.
func (r *RPM) Epoch() *int64 {
	t := r.pkg.Header.GetTag(1003)
	if t == nil {
		return nil
	}
	e := t.Int64()
	return &e
}

// IsSource tells a source rpm: its header has SOURCEPACKAGE, or no SOURCERPM.
func (r *RPM) IsSource() bool {
	if t := r.pkg.Header.GetTag(1106); t != nil {
		return true
	}
	return r.pkg.Header.GetTag(1044) == nil
}

// Arch is the rpm's arch as Koji records it: "src" for source rpms.
func (r *RPM) Arch() string {
	if r.IsSource() {
		return "src"
	}
	return str(r.pkg.Header.GetTag(1022))
}

// SourceRPM is the SOURCERPM field ("" for source rpms).
func (r *RPM) SourceRPM() string { return str(r.pkg.Header.GetTag(1044)) }

// BuildTime is BUILDTIME in seconds since the epoch.
func (r *RPM) BuildTime() int64 {
	if t := r.pkg.Header.GetTag(1006); t != nil {
		return t.Int64()
	}
	return 0
}

// FileName is the name Koji expects the file to have: N-V-R.A.rpm.
func (r *RPM) FileName() string {
	return r.Name() + "-" + r.Version() + "-" + r.Release() + "." + r.Arch() + ".rpm"
}

// Verify checks the rest of the file against the signature header: that the
// header and payload have the recorded size and the recorded md5. rest is
// the reader positioned after the signature header, i.e. at the main header;
// use VerifyFile for a path.
func (r *RPM) Verify(rest io.Reader) error {
	want, err := r.SigMD5()
	if err != nil {
		return err
	}
	h := md5.New()
	n, err := io.Copy(h, rest)
	if err != nil {
		return err
	}
	if size, ok := r.sigInt(sigLongSize, sigSize); ok && size != n {
		return invalid("header and payload are %d bytes, the signature header says %d (truncated?)", n, size)
	}
	if n < r.hdrLen {
		return invalid("truncated header")
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return invalid("md5 of header and payload is %s, the signature header says %s (corrupt?)", got, want)
	}
	return nil
}

// VerifyFile runs Verify on the file at path.
func (r *RPM) VerifyFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(int64(leadSize+len(r.sigHeader)), io.SeekStart); err != nil {
		return err
	}
	return r.Verify(bufio.NewReaderSize(f, 256<<10))
}

func (r *RPM) sigInt(tags ...int) (int64, bool) {
	for _, id := range tags {
		if t := r.pkg.Signature.GetTag(id); t != nil {
			if v := t.Int64Slice(); len(v) > 0 {
				return v[0], true
			}
		}
	}
	return 0, false
}

func str(t *rpm.Tag) string {
	if t == nil {
		return ""
	}
	if s := t.StringSlice(); len(s) > 0 {
		return s[0]
	}
	return ""
}

// strs reads a string array tag; nil when absent.
func (r *RPM) strs(id int) []string {
	if t := r.pkg.Header.GetTag(id); t != nil {
		return t.StringSlice()
	}
	return nil
}

func (r *RPM) ints(id int) []int64 {
	if t := r.pkg.Header.GetTag(id); t != nil {
		return t.Int64Slice()
	}
	return nil
}

// fileNames joins DIRNAMES and BASENAMES (or reads OLDFILENAMES).
func (r *RPM) fileNames() []string {
	base := r.strs(1117)
	if base == nil {
		return r.strs(1027)
	}
	dirs := r.strs(1118)
	idx := r.ints(1116)
	out := make([]string, len(base))
	for i, b := range base {
		d := ""
		if i < len(idx) && int(idx[i]) < len(dirs) {
			d = dirs[idx[i]]
		}
		out[i] = d + b
	}
	return out
}

// File is one entry of listRPMFiles.
type File struct {
	Name       string
	Digest     string
	DigestAlgo string
	Size       int64
	Flags      int64
	User       string
	Group      string
	MTime      int64
	Mode       int64
}

var digestAlgos = map[int64]string{1: "md5", 2: "sha1", 3: "ripemd160", 8: "sha256", 9: "sha384", 10: "sha512", 11: "sha224"}

// Files lists the payload's files as the header describes them.
func (r *RPM) Files() []File {
	names := r.fileNames()
	digests := r.strs(1035)
	sizes := r.ints(1028)
	if sizes == nil {
		sizes = r.ints(5008) // LONGFILESIZES
	}
	flags := r.ints(1037)
	users := r.strs(1039)
	groups := r.strs(1040)
	mtimes := r.ints(1034)
	modes := r.ints(1030)
	algo := "md5"
	if a := r.ints(5011); len(a) > 0 {
		algo = digestAlgos[a[0]]
		if algo == "" {
			algo = "unknown"
		}
	}
	out := make([]File, len(names))
	for i, n := range names {
		out[i] = File{Name: n, DigestAlgo: algo, Digest: at(digests, i), Size: atInt(sizes, i), Flags: atInt(flags, i),
			User: at(users, i), Group: at(groups, i), MTime: atInt(mtimes, i), Mode: int64(uint16(atInt(modes, i)))}
	}
	return out
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

func atInt(s []int64, i int) int64 {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// Koji's dependency types (DEP_*).
const (
	DepRequire    = 0
	DepProvide    = 1
	DepObsolete   = 2
	DepConflict   = 3
	DepSuggest    = 4
	DepEnhance    = 5
	DepSupplement = 6
	DepRecommend  = 7
)

// Dep is one dependency of getRPMDeps.
type Dep struct {
	Name    string
	Version string
	Flags   int64
	Type    int
}

// depTags: name, version, flags tags per type, in Koji's listing order.
var depTags = []struct {
	typ                  int
	name, version, flags int
}{
	{DepRequire, 1049, 1050, 1048}, {DepProvide, 1047, 1113, 1112}, {DepConflict, 1054, 1055, 1053},
	{DepObsolete, 1090, 1115, 1114}, {DepSuggest, 5049, 5050, 5051}, {DepEnhance, 5055, 5056, 5057},
	{DepSupplement, 5052, 5053, 5054}, {DepRecommend, 5046, 5047, 5048},
}

// Deps lists dependencies, of one type or (typ < 0) of all.
func (r *RPM) Deps(typ int) []Dep {
	var out []Dep
	for _, d := range depTags {
		if typ >= 0 && typ != d.typ {
			continue
		}
		names, vers, flags := r.strs(d.name), r.strs(d.version), r.ints(d.flags)
		for i, n := range names {
			out = append(out, Dep{Name: n, Version: at(vers, i), Flags: atInt(flags, i), Type: d.typ})
		}
	}
	return out
}

// ChangelogEntry is one changelog entry; Time is seconds since the epoch.
type ChangelogEntry struct {
	Time   int64
	Author string
	Text   string
}

// Changelog lists the changelog, newest first as stored.
func (r *RPM) Changelog() []ChangelogEntry {
	times, names, texts := r.ints(1080), r.strs(1081), r.strs(1082)
	n := min(len(times), len(names), len(texts))
	out := make([]ChangelogEntry, n)
	for i := 0; i < n; i++ {
		out[i] = ChangelogEntry{Time: times[i], Author: names[i], Text: texts[i]}
	}
	return out
}

// Field reads a header field by Koji's name (case-insensitive: "license",
// "FILENAMES", "sigmd5"), as Python's rpm bindings return it: a string or
// int for scalar tags (nil when absent), a list for array tags (empty when
// absent), bytes for binary tags. ok is false for unknown names.
func (r *RPM) Field(name string) (v any, ok bool) {
	name = strings.ToUpper(name)
	switch name {
	case "FILENAMES":
		return anyList(r.fileNames()), true
	case "ARCH":
		return str(r.pkg.Header.GetTag(1022)), true
	case "NVR":
		return r.Name() + "-" + r.Version() + "-" + r.Release(), true
	case "NVRA":
		return r.Name() + "-" + r.Version() + "-" + r.Release() + "." + str(r.pkg.Header.GetTag(1022)), true
	}
	if sig, found := sigFields[name]; found {
		return tagValue(r.pkg.Signature.GetTag(sig.id), sig.array), true
	}
	t, found := headerFields[name]
	if !found {
		return nil, false
	}
	v = tagValue(r.pkg.Header.GetTag(t.id), t.array)
	if v == nil && (name == "SIZE" || name == "ARCHIVESIZE") {
		v = tagValue(r.pkg.Header.GetTag(headerFields["LONG"+name].id), false)
	}
	return v, true
}

// FieldNames lists the known names of the fields present in the header.
func (r *RPM) FieldNames() []string {
	var out []string
	for n, t := range headerFields {
		if r.pkg.Header.GetTag(t.id) != nil {
			out = append(out, n)
		}
	}
	return out
}

func anyList[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func tagValue(t *rpm.Tag, array bool) any {
	if t == nil {
		if array {
			return []any{}
		}
		return nil
	}
	switch t.Type {
	case rpm.TagTypeBinary:
		return t.Bytes()
	case rpm.TagTypeString, rpm.TagTypeI18NString:
		if s := t.StringSlice(); len(s) > 0 && !array {
			return s[0]
		}
		return anyList(t.StringSlice())
	case rpm.TagTypeStringArray:
		return anyList(t.StringSlice())
	case rpm.TagTypeChar, rpm.TagTypeInt8:
		b := t.Bytes()
		ints := make([]int64, len(b))
		for i, c := range b {
			ints[i] = int64(c)
		}
		if !array && len(ints) == 1 {
			return ints[0]
		}
		return anyList(ints)
	case rpm.TagTypeInt16, rpm.TagTypeInt32, rpm.TagTypeInt64:
		ints := t.Int64Slice()
		if !array && len(ints) == 1 {
			return ints[0]
		}
		return anyList(ints)
	}
	return nil
}
