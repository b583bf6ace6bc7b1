package rpmhdr

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
)

// The reading library allocates what a header's index says before it
// checks that the data is there: an int32 entry claiming 2^32-1 values
// makes it ask for 32 GiB, which kills the process, and a string array
// claiming more strings than its data holds makes it slice past the end.
// So the hub reads the lead and both headers itself first, checks every
// index entry against its header's data, and hands the library only
// headers that passed. rpm itself refuses headers whose entries overlap,
// so the extents of a header rpm accepts add up to at most its data.

// maxHeaderData bounds a header's index and data, as the library does.
const maxHeaderData = 32 << 20

// Index entry types (rpm's rpmTagType).
const (
	typeNull        = 0
	typeChar        = 1
	typeInt8        = 2
	typeInt16       = 3
	typeInt32       = 4
	typeInt64       = 5
	typeString      = 6
	typeBin         = 7
	typeStringArray = 8
	typeI18NString  = 9
)

// readHeaders reads an rpm's lead, signature header (with its padding) and
// main header from r, checked, and leaves r at the payload.
func readHeaders(r io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	if err := readMore(r, &buf, leadSize); err != nil {
		if b := buf.Bytes(); len(b) < len(leadMagic) || !bytes.HasPrefix(b, leadMagic) {
			return nil, invalid("not an rpm file (bad lead magic)")
		}
		return nil, err
	}
	if !bytes.HasPrefix(buf.Bytes(), leadMagic) {
		return nil, invalid("not an rpm file (bad lead magic)")
	}
	for _, h := range []struct {
		what string
		pad  bool
	}{{"signature header", true}, {"header", false}} {
		start := buf.Len()
		if err := readMore(r, &buf, 16); err != nil {
			return nil, err
		}
		intro := buf.Bytes()[start:]
		if !bytes.HasPrefix(intro, headerMagic) {
			return nil, invalid("bad %s magic", h.what)
		}
		il := int64(binary.BigEndian.Uint32(intro[8:12]))
		dl := int64(binary.BigEndian.Uint32(intro[12:16]))
		if 16*il > maxHeaderData || dl > maxHeaderData {
			return nil, invalid("%s too large: %d entries, %d bytes of data", h.what, il, dl)
		}
		size := 16*il + dl
		if h.pad {
			size += (8 - dl%8) % 8
		}
		// Read as it comes rather than allocated as declared: a short
		// file claiming 32 MiB costs only what it holds.
		if err := readMore(r, &buf, size); err != nil {
			return nil, err
		}
		body := buf.Bytes()[start+16:]
		if err := checkIndex(body[:16*il], body[16*il:16*il+dl]); err != nil {
			return nil, invalid("%s: %v", h.what, err)
		}
	}
	return buf.Bytes(), nil
}

// readMore appends n bytes of r to buf.
func readMore(r io.Reader, buf *bytes.Buffer, n int64) error {
	got, err := io.CopyN(buf, r, n)
	if got == n {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return invalid("truncated header")
	}
	return err
}

// checkIndex checks that every entry of a header's index lies within its
// data. The bytes the entries span may add up to at most the data's size
// (entries of real headers do not overlap), which also bounds the work of
// walking string arrays.
func checkIndex(index, data []byte) error {
	budget := int64(len(data))
	for i := 0; i+16 <= len(index); i += 16 {
		e := index[i : i+16]
		typ := binary.BigEndian.Uint32(e[4:8])
		off := int64(binary.BigEndian.Uint32(e[8:12]))
		count := int64(binary.BigEndian.Uint32(e[12:16]))
		if count < 1 {
			return errors.New("entry with no values")
		}
		if off >= int64(len(data)) {
			return errors.New("entry offset out of range")
		}
		var span int64
		switch typ {
		case typeNull:
		case typeChar, typeInt8, typeBin:
			span = count
		case typeInt16:
			span = 2 * count
		case typeInt32:
			span = 4 * count
		case typeInt64:
			span = 8 * count
		case typeString, typeStringArray, typeI18NString:
			// Each string ends with a NUL inside the data and within the
			// budget, so the walks of all entries read the data at most
			// once in all.
			end := min(int64(len(data)), off+budget)
			p := off
			for n := int64(0); n < count; n++ {
				for p < end && data[p] != 0 {
					p++
				}
				if p == end {
					return errors.New("string entry overruns the data")
				}
				p++
			}
			span = p - off
		default:
			return errors.New("unknown entry type")
		}
		if off+span > int64(len(data)) || span > budget {
			return errors.New("entry overruns the data")
		}
		budget -= span
	}
	return nil
}
