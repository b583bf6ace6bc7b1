package rpmhdr_test

import (
	"bytes"
	"encoding/binary"
	"errors"
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
	for _, tc := range []struct {
		name  string
		field int // byte offset in the first entry: 4 type, 8 offset, 12 count
		value uint32
		intro bool // write value as the header's entry count instead
	}{
		{"int32 count of 2^32-1", 12, 0xFFFFFFFF, false},
		{"int64 count past the data", 12, 1 << 28, false},
		{"offset past the data", 8, 0x7FFFFFFF, false},
		{"no values", 12, 0, false},
		{"unknown type", 4, 77, false},
		{"entry count past the limit", 8, 0x00FFFFFF, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bytes.Clone(golden)
			at := hdr + 16 + tc.field
			if tc.intro {
				at = hdr + tc.field
			}
			if tc.field == 12 && !tc.intro {
				// Make the entry an int array so the count matters.
				typ := uint32(4)
				if tc.value == 1<<28 {
					typ = 5
				}
				binary.BigEndian.PutUint32(b[hdr+16+4:], typ)
			}
			binary.BigEndian.PutUint32(b[at:], tc.value)
			_, err := rpmhdr.Read(bytes.NewReader(b))
			if !errors.Is(err, rpmhdr.ErrInvalid) {
				t.Fatalf("Read answered %v, want ErrInvalid", err)
			}
		})
	}
	t.Run("string array past the data", func(t *testing.T) {
		b := bytes.Clone(golden)
		// Sixteen strings in the data's last sixteen bytes (the region
		// trailer), which hold fewer than fifteen NULs.
		hdl := binary.BigEndian.Uint32(b[hdr+12:])
		binary.BigEndian.PutUint32(b[hdr+16+4:], 8)
		binary.BigEndian.PutUint32(b[hdr+16+8:], hdl-16)
		binary.BigEndian.PutUint32(b[hdr+16+12:], 16)
		_, err := rpmhdr.Read(bytes.NewReader(b))
		if !errors.Is(err, rpmhdr.ErrInvalid) {
			t.Fatalf("Read answered %v, want ErrInvalid", err)
		}
	})
}
