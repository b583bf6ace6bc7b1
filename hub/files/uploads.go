package files

import (
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/gokoji/gokoji/hub"
)

// Chunk is one raw upload request (Koji's fast upload): the body goes to
// work/<Dir>/<Name> at Offset (-1 appends).
type Chunk struct {
	Dir       string
	Name      string
	Verify    string // adler32, md5, sha256 or ""
	Offset    int64
	Overwrite bool
}

// ChunkResult is the raw upload's answer.
type ChunkResult struct {
	Size      int64
	Offset    int64
	Verify    string
	HexDigest string // of this chunk only; "" without Verify
}

// openTarget opens an upload target for writing without following a symlink
// and refuses anything that is not a regular file.
func openTarget(fn string) (*os.File, error) {
	if st, err := os.Lstat(fn); err == nil {
		if st.Mode()&fs.ModeSymlink != 0 {
			return nil, hub.GenericError("destination is a symlink: %s", fn)
		}
		if !st.Mode().IsRegular() {
			return nil, hub.GenericError("destination not a file: %s", fn)
		}
	}
	f, err := os.OpenFile(fn, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, hub.Errorf(hub.CodeLock, "upload in progress: %s", fn)
		}
		return nil, err
	}
	return f, nil
}

// WriteChunk writes one chunk. Unlike Koji it never leaves a hole: an offset
// past the end of what was uploaded so far is refused before anything is
// written, with or without overwrite.
func (t *Tree) WriteChunk(u Uploader, c Chunk, body io.Reader) (*ChunkResult, error) {
	sum, err := NewHash(c.Verify)
	if err != nil {
		return nil, err
	}
	if c.Offset < -1 {
		return nil, hub.GenericError("Invalid upload offset: %d", c.Offset)
	}
	fn, err := t.uploadTarget(u, c.Dir, c.Name)
	if err != nil {
		return nil, err
	}
	existed := true
	if _, err := os.Lstat(fn); errors.Is(err, fs.ErrNotExist) {
		existed = false
	}
	if existed && c.Offset == 0 && !c.Overwrite {
		return nil, hub.GenericError("upload path exists: %s", fn)
	}
	f, err := openTarget(fn)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	offset := c.Offset
	switch {
	case offset == -1:
		offset = st.Size()
	case offset > st.Size():
		if !existed {
			os.Remove(fn)
		}
		return nil, hub.GenericError("upload offset %d is past the end of %s (%d bytes uploaded): chunks must not leave a gap", offset, c.Name, st.Size())
	case c.Overwrite:
		if err := f.Truncate(offset); err != nil {
			return nil, err
		}
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, err
	}
	w := io.Writer(f)
	if sum != nil {
		w = io.MultiWriter(f, sum)
	}
	n, err := io.Copy(w, body)
	if err != nil {
		// The client sees a failed request and resends from its last good
		// offset; drop what this request wrote.
		f.Truncate(max(offset, 0))
		return nil, fmt.Errorf("reading upload body: %w", err)
	}
	if !c.Overwrite {
		end, err := f.Seek(0, io.SeekEnd)
		if err != nil {
			return nil, err
		}
		if end != offset+n {
			return nil, hub.GenericError("Incorrect upload length for %s - Expected %d, actual %d", fn, offset+n, end)
		}
	}
	res := &ChunkResult{Size: n, Offset: offset, Verify: c.Verify}
	if sum != nil {
		res.HexDigest = hex.EncodeToString(sum.Sum(nil))
	}
	return res, nil
}

// UploadInfo is checkUpload's answer.
type UploadInfo struct {
	Size      int64
	MTime     float64
	SumLength *int64 // with verify
	HexDigest string
}

// CheckUpload describes an uploaded file, nil when it does not exist.
// verify sums the file (or its last tail bytes).
func (t *Tree) CheckUpload(dir, name, verify string, tail *int64) (*UploadInfo, error) {
	fn, err := t.UploadPath(dir, name)
	if err != nil {
		return nil, err
	}
	sum, err := NewHash(verify)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(fn, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		return nil, hub.Errorf(hub.CodeLock, "upload in progress: %s", fn)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, hub.GenericError("Not a regular file: %s", fn)
	}
	info := &UploadInfo{Size: st.Size(), MTime: float64(st.ModTime().UnixNano()) / 1e9}
	if sum != nil {
		if tail != nil {
			if *tail < 0 {
				return nil, hub.GenericError("Invalid tail value: %d", *tail)
			}
			if _, err := f.Seek(max(st.Size()-*tail, 0), io.SeekStart); err != nil {
				return nil, err
			}
		}
		n, err := io.Copy(sum, f)
		if err != nil {
			return nil, err
		}
		info.SumLength = &n
		info.HexDigest = hex.EncodeToString(sum.Sum(nil))
	}
	return info, nil
}

// LegacyChunk is one call of the base64 uploadFile.
type LegacyChunk struct {
	Dir, Name string
	Size      *int64 // nil: not given
	Verify    string // "" = no digest
	Digest    string
	Offset    int64 // -1: the final call, which truncates to Size and checks the whole file
	Data      []byte
}

// UploadLegacy writes one uploadFile chunk. It answers false, as Koji does,
// when the chunk's size or digest is not what the client said; nothing is
// written then. A final call whose whole-file digest mismatches answers
// false and removes the file, so no corrupt upload is left to import.
func (t *Tree) UploadLegacy(u Uploader, c LegacyChunk) (bool, error) {
	sumNew := func() (hash.Hash, error) { return NewHash(c.Verify) }
	if _, err := sumNew(); err != nil {
		return false, err
	}
	if c.Offset < -1 {
		return false, hub.GenericError("Invalid upload offset: %d", c.Offset)
	}
	if c.Offset != -1 {
		if c.Size != nil && *c.Size != int64(len(c.Data)) {
			return false, nil
		}
		if c.Verify != "" {
			h, _ := sumNew()
			h.Write(c.Data)
			if hex.EncodeToString(h.Sum(nil)) != c.Digest {
				return false, nil
			}
		}
	}
	fn, err := t.uploadTarget(u, c.Dir, c.Name)
	if err != nil {
		return false, err
	}
	st, err := os.Lstat(fn)
	exists := err == nil
	if exists && c.Offset == 0 && st.Mode().IsRegular() && !strings.HasSuffix(fn, ".log") {
		return false, hub.GenericError("file already exists: %s", fn)
	}
	f, err := openTarget(fn)
	if err != nil {
		return false, err
	}
	defer f.Close()
	if c.Offset == 0 || (c.Offset == -1 && c.Size != nil && *c.Size == int64(len(c.Data))) {
		if err := f.Truncate(0); err != nil {
			return false, err
		}
	}
	cur, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return false, err
	}
	at := c.Offset
	if at == -1 {
		at = cur
	} else if at > cur {
		return false, hub.GenericError("upload offset %d is past the end of %s (%d bytes uploaded): chunks must not leave a gap", at, c.Name, cur)
	}
	if _, err := f.WriteAt(c.Data, at); err != nil {
		return false, err
	}
	if c.Offset != -1 {
		return true, nil
	}
	if c.Size != nil {
		if err := f.Truncate(*c.Size); err != nil {
			return false, err
		}
	}
	if c.Verify != "" {
		h, _ := sumNew()
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return false, err
		}
		if _, err := io.Copy(h, f); err != nil {
			return false, err
		}
		if hex.EncodeToString(h.Sum(nil)) != c.Digest {
			os.Remove(fn)
			return false, nil
		}
	}
	return true, nil
}
