package api

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/files"
	"github.com/gokoji/gokoji/hub/rpmhdr"
	"github.com/gokoji/gokoji/hub/store"
)

// Signed copies and signature removal. A signature header is stored by
// addRPMSig (a row in rpmsigs and a file in data/sigcache/); writeSignedRPM
// makes the signed rpm from it and deleteRPMSig takes both away again.

// internalRPM looks up an rpm that must exist and be built here, with its
// build.
func internalRPM(ctx context.Context, c *Call, info any) (*hub.RPM, *hub.Build, error) {
	r, err := lookupRPM(ctx, c, info, true)
	if err != nil {
		return nil, nil, err
	}
	b, err := rpmBuild(ctx, c, r, info)
	if err != nil {
		return nil, nil, err
	}
	return r, b, nil
}

// rpmBuild reads the build of an rpm found by info, which must be built
// here.
func rpmBuild(ctx context.Context, c *Call, r *hub.RPM, info any) (*hub.Build, error) {
	if r.ExternalRepoID != 0 || r.BuildID == nil {
		return nil, hub.GenericError("Not an internal rpm: %v (from %s)", info, r.ExternalRepoName())
	}
	b, err := store.BuildByID(ctx, c.Tx, *r.BuildID)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, hub.GenericError("No such build: %d", *r.BuildID)
	}
	return b, nil
}

func writeSignedRPM(ctx context.Context, c *Call) (any, error) {
	sigkey := c.Args.String("sigkey")
	force := c.Args.Bool("force")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	sigkey = strings.ToLower(sigkey)
	r, b, err := internalRPM(ctx, c, c.Args.Value("an_rpm"))
	if err != nil {
		return nil, err
	}
	rpmPath := c.rpmFilePath(b, r)
	if st, err := os.Stat(rpmPath); errors.Is(err, fs.ErrNotExist) {
		return nil, hub.GenericError("No such path: %s", rpmPath)
	} else if err != nil {
		return nil, fmt.Errorf("stat %s: %w", rpmPath, err)
	} else if !st.Mode().IsRegular() {
		return nil, hub.GenericError("Not a regular file: %s", rpmPath)
	}
	// The row is checked before sigkey goes into a path, so only keys that
	// addRPMSig derived from a real header ever do.
	sigs, err := store.QueryRPMSigs(ctx, c.Tx, &r.ID, &sigkey, store.NoPage)
	if err != nil {
		return nil, err
	}
	if len(sigs) == 0 {
		return nil, hub.GenericError("No cached signature for package %s, key %s", r.NVRA(), sigkey)
	}
	signed := signedCopyPath(b, r, sigkey)
	if _, err := os.Lstat(c.d.Files.Abs(signed)); err == nil && !force {
		// Already written, as Koji leaves it; its checksums must be the
		// recorded ones, if any are.
		sums, err := fileChecksums(c.d.Files.Abs(signed), defaultChecksumTypes)
		if err != nil {
			return nil, err
		}
		return nil, recordChecksums(ctx, c, r, sigkey, sums)
	}
	sighdr, err := readSigHeader(c, b, r, sigs[0])
	if err != nil {
		return nil, err
	}
	f, err := os.Open(rpmPath)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", rpmPath, err)
	}
	defer f.Close()
	sums := newChecksums(defaultChecksumTypes)
	p, err := c.d.Files.StageWrite(signed, force, func(w io.Writer) error {
		bw := bufio.NewWriterSize(io.MultiWriter(w, sums), 256<<10)
		if err := rpmhdr.Splice(bw, bufio.NewReaderSize(f, 256<<10), sighdr); err != nil {
			return err
		}
		return bw.Flush()
	})
	if errors.Is(err, rpmhdr.ErrInvalid) {
		return nil, hub.GenericError("Cannot write signed copy of %s: %v", r.NVRA(), err)
	}
	if err != nil {
		return nil, fmt.Errorf("write signed copy of %s: %w", r.NVRA(), err)
	}
	c.Defer(p)
	return nil, recordChecksums(ctx, c, r, sigkey, sums.hex())
}

// signedCopyPath is where the copy of r signed with sigkey lives, relative
// to the topdir.
func signedCopyPath(b *hub.Build, r *hub.RPM, sigkey string) string {
	return filepath.Join(files.BuildDir(b.PackageName, b.Version, b.Release),
		files.SignedPath(sigkey, r.Name, r.Version, r.Release, r.Arch))
}

// sigHeaderPath is where r's signature header for sigkey is kept, relative
// to the topdir.
func sigHeaderPath(b *hub.Build, r *hub.RPM, sigkey string) string {
	return filepath.Join(files.BuildDir(b.PackageName, b.Version, b.Release),
		files.SigCachePath(sigkey, r.Name, r.Version, r.Release, r.Arch))
}

// readSigHeader reads the signature header file of a recorded signature,
// checking it against the row: a header that is not the one recorded
// would make a copy nobody signed.
func readSigHeader(c *Call, b *hub.Build, r *hub.RPM, sig store.RPMSig) ([]byte, error) {
	sigPath := c.d.Files.Abs(sigHeaderPath(b, r, sig.SigKey))
	sighdr, err := os.ReadFile(sigPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, hub.GenericError("Missing signature header file: %s", sigPath)
	}
	if err != nil {
		return nil, fmt.Errorf("read signature header: %w", err)
	}
	if h := rpmhdr.Hash(sighdr); h != sig.SigHash {
		return nil, hub.GenericError("Signature header file %s has md5 %s, the database says %s", sigPath, h, sig.SigHash)
	}
	return sighdr, nil
}

func deleteRPMSig(ctx context.Context, c *Call) (any, error) {
	sigkey := c.Args.OptString("sigkey")
	all := c.Args.Bool("all_sigs")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	if all {
		sigkey = nil
	} else if sigkey == nil || *sigkey == "" {
		return nil, hub.GenericError("No signature specified")
	} else {
		low := strings.ToLower(*sigkey)
		sigkey = &low
	}
	info := c.Args.Value("rpminfo")
	r, b, err := internalRPM(ctx, c, info)
	if err != nil {
		return nil, err
	}
	sigs, err := store.QueryRPMSigs(ctx, c.Tx, &r.ID, sigkey, store.NoPage)
	if err != nil {
		return nil, err
	}
	if len(sigs) == 0 {
		return nil, hub.GenericError("%s has no matching signatures to delete", r.NVRA())
	}
	keys := make([]string, len(sigs))
	for i, s := range sigs {
		keys[i] = s.SigKey
	}
	if _, err := store.DeleteRPMSigs(ctx, c.Tx, r.ID, keys); err != nil {
		return nil, err
	}

	// Files follow the transaction: signed copies go, and each signature
	// header is kept aside as <file>.<sighash>.save, as Koji does, so a
	// removal stays auditable. Everything is checked before anything moves.
	var signed, headers []Effect
	for _, s := range sigs {
		rel := signedCopyPath(b, r, s.SigKey)
		if _, err := os.Lstat(c.d.Files.Abs(rel)); err == nil {
			m, err := c.d.Files.StageRemove(rel)
			if err != nil {
				return nil, err
			}
			signed = append(signed, m)
		}
		hdr := sigHeaderPath(b, r, s.SigKey)
		e, err := saveSigHeader(c, hdr, s.SigHash)
		if err != nil {
			return nil, err
		}
		if e != nil {
			headers = append(headers, e)
		}
	}
	for _, e := range append(signed, headers...) {
		c.Defer(e)
	}
	c.AfterCommit(func() {
		c.d.Log.WithField("rpm", r.NVRA()).WithField("sigkeys", keys).Warn("deleted rpm signatures")
	})
	return nil, nil
}

// saveSigHeader plans moving a signature header file (relative to the
// topdir) to its backup name; nil when there is nothing to move.
func saveSigHeader(c *Call, hdr, sighash string) (Effect, error) {
	abs := c.d.Files.Abs(hdr)
	st, err := os.Lstat(abs)
	if errors.Is(err, fs.ErrNotExist) {
		// Nothing to keep; the signature goes all the same.
		c.d.Log.WithField("path", abs).Error("missing signature header file")
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", abs, err)
	}
	if !st.Mode().IsRegular() {
		return nil, hub.GenericError("Not a regular file: %s", abs)
	}
	backup := hdr + "." + sighash + ".save"
	old, err := os.ReadFile(c.d.Files.Abs(backup))
	if errors.Is(err, fs.ErrNotExist) {
		return c.d.Files.StageRename(hdr, backup), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", backup, err)
	}
	// A backup from an earlier removal of the same header: this copy can go.
	cur, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", abs, err)
	}
	if !bytes.Equal(cur, old) {
		return nil, hub.GenericError("Stray header backup file: %s", c.d.Files.Abs(backup))
	}
	return c.d.Files.StageRemove(hdr)
}
