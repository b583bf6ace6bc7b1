package rpmhdr_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gokoji/gokoji/hub/rpmhdr"
)

// FuzzRead feeds damaged rpms to the reader the hub runs on every upload
// it imports: a file that is not a usable rpm must be refused with
// ErrInvalid (which importRPM turns into a fault), and whatever it accepts
// must answer every question the hub asks without panicking. The seeds are
// the golden rpms, whole and cut short.
func FuzzRead(f *testing.F) {
	paths, err := filepath.Glob("../../testdata/golden/rpms/*.rpm")
	if err != nil || len(paths) == 0 {
		f.Fatalf("no golden rpms (%v)", err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
		f.Add(b[:200])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		h, err := rpmhdr.Read(r)
		if err != nil {
			if !errors.Is(err, rpmhdr.ErrInvalid) {
				t.Fatalf("Read failed with %v, which is not ErrInvalid", err)
			}
			return
		}
		if err := h.Verify(r); err != nil && !errors.Is(err, rpmhdr.ErrInvalid) {
			t.Fatalf("Verify failed with %v, which is not ErrInvalid", err)
		}
		rpmhdr.Hash(h.SigHeader())
		h.SigMD5()
		_ = h.FileName() + h.SourceRPM()
		h.Epoch()
		h.BuildTime()
		h.Files()
		for typ := rpmhdr.DepRequire; typ <= rpmhdr.DepRecommend; typ++ {
			h.Deps(typ)
		}
		h.Changelog()
		for _, name := range h.FieldNames() {
			if _, ok := h.Field(name); !ok {
				t.Fatalf("FieldNames lists %s, which Field does not know", name)
			}
		}
	})
}

// TestDamagedIndex: index entries that claim more than their header's data
// holds are refused with ErrInvalid before any value is read. Without the
// check, the first case made the process ask for 32 GiB and die, and the
// string case sliced past the data and panicked.
func TestDamagedIndex(t *testing.T) {
	golden, err := os.ReadFile("../../testdata/golden/rpms/tiny-noarch-1.0-1.noarch.rpm")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rpmhdr.Read(bytes.NewReader(golden)); err != nil {
		t.Fatalf("the golden rpm itself: %v", err)
	}
	// The main header's intro and first index entry.
	il := int(binary.BigEndian.Uint32(golden[96+8:]))
	dl := int(binary.BigEndian.Uint32(golden[96+12:]))
	sigLen := 16 + 16*il + dl
	sigLen += (8 - sigLen%8) % 8
	hdr := 96 + sigLen
	hdl := binary.BigEndian.Uint32(golden[hdr+12:]) // the main header's data size
	// Where the edits write, from the main header's start: its entry count,
	// and its first entry's type, offset and count.
	const entries, typ, off, count = 8, 16 + 4, 16 + 8, 16 + 12
	type edit struct {
		at    int
		value uint32
	}
	for _, tc := range []struct {
		name  string
		edits []edit
	}{
		{"int32 count of 2^32-1", []edit{{typ, 4}, {count, 0xFFFFFFFF}}},
		{"int64 count past the data", []edit{{typ, 5}, {count, 1 << 28}}},
		{"offset past the data", []edit{{off, 0x7FFFFFFF}}},
		{"no values", []edit{{typ, 4}, {count, 0}}},
		{"unknown type", []edit{{typ, 77}}},
		{"entry count past the limit", []edit{{entries, 0x00FFFFFF}}},
		// Sixteen strings in the data's last sixteen bytes (the region
		// trailer), which hold fewer than fifteen NULs.
		{"string array past the data", []edit{{typ, 8}, {off, hdl - 16}, {count, 16}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bytes.Clone(golden)
			for _, e := range tc.edits {
				binary.BigEndian.PutUint32(b[hdr+e.at:], e.value)
			}
			_, err := rpmhdr.Read(bytes.NewReader(b))
			if !errors.Is(err, rpmhdr.ErrInvalid) {
				t.Fatalf("Read answered %v, want ErrInvalid", err)
			}
		})
	}
}

// FuzzParseSigHeader feeds damaged signature headers, as addRPMSig receives
// them from any client with the sign permission, to the hand-written parts
// that read them: ParseSigHeader, the OpenPGP key id, and Splice. They must
// refuse with ErrInvalid, never panic. The seeds are the golden rpms'
// signature headers and one carrying a made-up v4 RSA signature packet.
func FuzzParseSigHeader(f *testing.F) {
	golden, err := os.ReadFile("../../testdata/golden/rpms/tiny-noarch-1.0-1.noarch.rpm")
	if err != nil {
		f.Fatal(err)
	}
	h, err := rpmhdr.Read(bytes.NewReader(golden))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(h.SigHeader())
	// A v4 signature packet (old format, 2-byte length) whose unhashed
	// subpackets name issuer key 0102030405060708.
	body := []byte{4, 0, 1, 8, 0, 0, 0, 10, 9, 16, 1, 2, 3, 4, 5, 6, 7, 8, 0xab, 0xcd}
	packet := append([]byte{0x89, 0, byte(len(body))}, body...)
	signed := []byte{0x8e, 0xad, 0xe8, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, byte(len(packet))}
	signed = binary.BigEndian.AppendUint32(signed, 268) // RSA header signature
	signed = binary.BigEndian.AppendUint32(signed, 7)   // binary
	signed = binary.BigEndian.AppendUint32(signed, 0)
	signed = binary.BigEndian.AppendUint32(signed, uint32(len(packet)))
	f.Add(append(signed, packet...))
	f.Fuzz(func(t *testing.T, b []byte) {
		check := func(what string, err error) {
			if err != nil && !errors.Is(err, rpmhdr.ErrInvalid) {
				t.Fatalf("%s failed with %v, which is not ErrInvalid", what, err)
			}
		}
		h, err := rpmhdr.ParseSigHeader(b)
		check("ParseSigHeader", err)
		if err == nil {
			h.MD5()
			_, err := h.KeyID()
			check("KeyID", err)
		}
		check("Splice", rpmhdr.Splice(io.Discard, bytes.NewReader(golden), b))
	})
}
