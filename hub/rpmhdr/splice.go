package rpmhdr

import (
	"bytes"
	"fmt"
	"io"
)

// Splice copies the RPM read from src to dst with its signature header
// replaced by sighdr, as Koji's splice_rpm_sighdr does for writeSignedRPM.
// An RPM file is a 96-byte lead, the signature header padded to a multiple
// of 8 bytes, then the main header and the payload; only the signature
// header changes, so the main header and payload (which the signatures
// cover) are copied byte for byte. sighdr may come with or without its
// padding. Splice does not check that sighdr belongs to the RPM: the hub
// matched its SIGMD5 to the rpm's payloadhash when it stored it.
func Splice(dst io.Writer, src io.Reader, sighdr []byte) error {
	n, err := sigHeaderLen(sighdr)
	if err != nil {
		return err
	}
	head := make([]byte, leadSize+16)
	if _, err := io.ReadFull(src, head); err != nil {
		return invalid("truncated rpm: %v", err)
	}
	if !bytes.Equal(head[:4], leadMagic) {
		return invalid("not an rpm file (bad lead magic)")
	}
	if !bytes.Equal(head[leadSize:leadSize+3], headerMagic) {
		return invalid("bad signature header magic")
	}
	// Skip the old signature header: the 16 bytes read, the rest, padding.
	old := headerLen(head[leadSize:])
	old += (8 - old%8) % 8
	if _, err := io.CopyN(io.Discard, src, old-16); err != nil {
		return invalid("truncated signature header: %v", err)
	}
	if _, err := dst.Write(head[:leadSize]); err != nil {
		return err
	}
	if _, err := dst.Write(sighdr[:n]); err != nil {
		return err
	}
	if _, err := dst.Write(make([]byte, (8-n%8)%8)); err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		return fmt.Errorf("copy header and payload: %w", err)
	}
	return nil
}

// sigHeaderLen checks a standalone signature header and returns its length
// without padding.
func sigHeaderLen(b []byte) (int64, error) {
	if len(b) < 16 || !bytes.Equal(b[:3], headerMagic) {
		return 0, invalid("bad signature header magic")
	}
	n := headerLen(b)
	if n > int64(len(b)) {
		return 0, invalid("truncated signature header")
	}
	// Anything after the header may only be its padding.
	if rest := b[n:]; len(rest) >= 8 || !bytes.Equal(rest, make([]byte, len(rest))) {
		return 0, invalid("signature header has %d stray bytes after it", len(rest))
	}
	return n, nil
}
