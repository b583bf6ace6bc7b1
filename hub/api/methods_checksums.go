package api

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/rpmhdr"
	"github.com/gokoji/gokoji/hub/store"
)

// Checksums of signed rpms (Koji's rpm_checksum): of the signed copy when
// one was written, else of the rpm with the key's signature header spliced
// in, which is the same bytes.

// checksumTypes are Koji's CHECKSUM_TYPES; a type's place is its number in
// rpm_checksum.
var checksumTypes = []string{"md5", "sha1", "sha256"}

// defaultChecksumTypes is Koji's RPMDefaultChecksums default: what
// getRPMChecksums answers when asked for no type, and what writeSignedRPM
// records.
var defaultChecksumTypes = []string{"md5", "sha256"}

func newHash(name string) hash.Hash {
	switch name {
	case "md5":
		return md5.New()
	case "sha1":
		return sha1.New()
	}
	return sha256.New()
}

// checksums computes several checksums of what is written to it.
type checksums struct {
	names  []string
	hashes []hash.Hash
}

func newChecksums(names []string) *checksums {
	s := &checksums{names: names}
	for _, n := range names {
		s.hashes = append(s.hashes, newHash(n))
	}
	return s
}

func (s *checksums) Write(p []byte) (int, error) {
	for _, h := range s.hashes {
		h.Write(p)
	}
	return len(p), nil
}

// hex maps each type to its checksum in hex.
func (s *checksums) hex() map[string]string {
	out := make(map[string]string, len(s.names))
	for i, n := range s.names {
		out[n] = hex.EncodeToString(s.hashes[i].Sum(nil))
	}
	return out
}

// fileChecksums computes the checksums of a file.
func fileChecksums(path string, names []string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	s := newChecksums(names)
	if _, err := io.Copy(s, bufio.NewReaderSize(f, 256<<10)); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return s.hex(), nil
}

// recordChecksums records the checksums of an rpm signed with sigkey. One
// already recorded must be the same: a different one means the file
// changed since, and the copy no longer is what was signed.
func recordChecksums(ctx context.Context, c *Call, r *hub.RPM, sigkey string, sums map[string]string) error {
	have, err := store.RPMChecksums(ctx, c.Tx, r.ID, checksumTypeNumbers(slices.Collect(maps.Keys(sums))))
	if err != nil {
		return err
	}
	for _, h := range have {
		name := checksumTypes[h.Type]
		if h.SigKey == sigkey && h.Checksum != sums[name] {
			return hub.GenericError("%s signed with key %q has %s %s, but %s is recorded (its file changed)",
				r.NVRA(), sigkey, name, sums[name], h.Checksum)
		}
	}
	return insertChecksums(ctx, c, r, sigkey, sums)
}

// insertChecksums stores checksums not recorded yet (those recorded stay).
func insertChecksums(ctx context.Context, c *Call, r *hub.RPM, sigkey string, sums map[string]string) error {
	for _, t := range checksumTypeNumbers(slices.Collect(maps.Keys(sums))) {
		row := store.RPMChecksum{RPMID: r.ID, SigKey: sigkey, Type: t, Checksum: sums[checksumTypes[t]]}
		if err := store.InsertRPMChecksum(ctx, c.Tx, row); err != nil {
			return err
		}
	}
	return nil
}

// checksumTypeNumbers gives the numbers of checksum types, in order.
func checksumTypeNumbers(names []string) []int64 {
	types := make([]int64, 0, len(names))
	for _, name := range names {
		types = append(types, int64(slices.Index(checksumTypes, name)))
	}
	slices.Sort(types)
	return types
}

// getRPMChecksums answers {sigkey: {type: checksum}} for each signature of
// an rpm (sigkey "" is the rpm as imported), computing and recording the
// missing checksums unless cacheonly, which leaves them None.
func getRPMChecksums(ctx context.Context, c *Call) (any, error) {
	id, ok := c.Args.Value("rpm_id").(int64)
	if !ok {
		return nil, hub.GenericError("rpm_id must be an integer")
	}
	names := defaultChecksumTypes
	switch v := c.Args.Value("checksum_types").(type) {
	case nil:
	case []any:
		if len(v) > 0 {
			names = nil
			for _, x := range v {
				name, ok := x.(string)
				if !ok || !slices.Contains(checksumTypes, name) {
					return nil, hub.GenericError("Checksum_type %s isn't supported", pyStr(x))
				}
				if !slices.Contains(names, name) {
					names = append(names, name)
				}
			}
		}
	default:
		if truthy(v) {
			return nil, hub.GenericError("checksum_type must be a list")
		}
	}
	r, err := lookupRPM(ctx, c, id, true)
	if err != nil {
		return nil, err
	}
	sigs, err := store.QueryRPMSigs(ctx, c.Tx, &r.ID, nil, store.NoPage)
	if err != nil || len(sigs) == 0 {
		return map[string]any{}, err
	}
	have, err := store.RPMChecksums(ctx, c.Tx, r.ID, checksumTypeNumbers(names))
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, s := range sigs {
		m := map[string]any{}
		for _, n := range names {
			m[n] = nil
		}
		out[s.SigKey] = m
	}
	for _, h := range have {
		if m, ok := out[h.SigKey].(map[string]any); ok {
			m[checksumTypes[h.Type]] = h.Checksum
		}
	}
	if c.Args.Bool("cacheonly") {
		return out, nil
	}
	var b *hub.Build
	for _, s := range sigs {
		m := out[s.SigKey].(map[string]any)
		var missing []string
		for _, n := range names {
			if m[n] == nil {
				missing = append(missing, n)
			}
		}
		if len(missing) == 0 {
			continue
		}
		if b == nil {
			if b, err = rpmBuild(ctx, c, r, id); err != nil {
				return nil, err
			}
		}
		sums, err := signedChecksums(c, b, r, s, missing)
		if err != nil {
			return nil, err
		}
		// Only the missing ones were computed: none is recorded to compare.
		if err := insertChecksums(ctx, c, r, s.SigKey, sums); err != nil {
			return nil, err
		}
		for n, sum := range sums {
			m[n] = sum
		}
	}
	return out, nil
}

// signedChecksums computes checksums of the rpm as signed with sig's key:
// of the signed copy if there is one, else of the rpm with the key's
// header spliced in.
func signedChecksums(c *Call, b *hub.Build, r *hub.RPM, sig store.RPMSig, names []string) (map[string]string, error) {
	signed := c.d.Files.Abs(signedCopyPath(b, r, sig.SigKey))
	if _, err := os.Lstat(signed); err == nil {
		return fileChecksums(signed, names)
	}
	sighdr, err := readSigHeader(c, b, r, sig)
	if err != nil {
		return nil, err
	}
	rpmPath := c.rpmFilePath(b, r)
	f, err := os.Open(rpmPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, hub.GenericError("No such path: %s", rpmPath)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", rpmPath, err)
	}
	defer f.Close()
	sums := newChecksums(names)
	if err := rpmhdr.Splice(sums, bufio.NewReaderSize(f, 256<<10), sighdr); err != nil {
		if errors.Is(err, rpmhdr.ErrInvalid) {
			return nil, hub.GenericError("Cannot read %s: %v", rpmPath, err)
		}
		return nil, fmt.Errorf("read %s: %w", rpmPath, err)
	}
	return sums.hex(), nil
}
