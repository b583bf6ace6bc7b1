package rpmhdr_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/rpmhdr"
)

func readRPM(t *testing.T, b []byte) *rpmhdr.RPM {
	t.Helper()
	h, err := rpmhdr.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Splicing a signed copy's signature header into the unsigned rpm gives
// back exactly what rpmsign wrote, and rpm accepts the signature.
func TestSpliceRealSignature(t *testing.T) {
	rpms := hubtest.BuildRPMs(t, [][3]string{{"splice", "1.0", "1"}})
	signer := hubtest.NewSigner(t)
	for _, name := range []string{"splice-1.0-1.noarch.rpm", "splice-1.0-1.src.rpm"} {
		unsigned := rpms[name]
		signed := signer.Sign(t, unsigned)
		sighdr := readRPM(t, signed).SigHeader()
		old := readRPM(t, unsigned).SigHeader()

		var out bytes.Buffer
		if err := rpmhdr.Splice(&out, bytes.NewReader(unsigned), sighdr); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(out.Bytes(), signed) {
			t.Errorf("%s: spliced copy differs from rpmsign's", name)
		}
		// Lead and header+payload are the unsigned file's, byte for byte.
		got := out.Bytes()
		if !bytes.Equal(got[:96], unsigned[:96]) {
			t.Errorf("%s: lead changed", name)
		}
		if !bytes.Equal(got[96+len(sighdr):], unsigned[96+len(old):]) {
			t.Errorf("%s: header or payload changed", name)
		}
		fn := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(fn, got, 0o644); err != nil {
			t.Fatal(err)
		}
		if rep := signer.CheckSig(t, fn); !strings.Contains(rep, "key ID "+signer.KeyID+": OK") {
			t.Errorf("%s: rpmkeys --checksig:\n%s", name, rep)
		}

		// Without its padding the header is padded again.
		n := 16 + 16*int(binary.BigEndian.Uint32(sighdr[8:12])) + int(binary.BigEndian.Uint32(sighdr[12:16]))
		out.Reset()
		if err := rpmhdr.Splice(&out, bytes.NewReader(unsigned), sighdr[:n]); err != nil {
			t.Fatalf("%s unpadded: %v", name, err)
		}
		if !bytes.Equal(out.Bytes(), signed) {
			t.Errorf("%s: spliced copy from the unpadded header differs from rpmsign's", name)
		}
	}
}

func TestSpliceInvalid(t *testing.T) {
	rpms := hubtest.BuildRPMs(t, [][3]string{{"splice", "1.0", "1"}})
	rpm := rpms["splice-1.0-1.noarch.rpm"]
	sighdr := readRPM(t, rpm).SigHeader()
	for _, tc := range []struct {
		name   string
		rpm    []byte
		sighdr []byte
	}{
		{"empty sighdr", rpm, nil},
		{"sighdr bad magic", rpm, append([]byte{1, 2, 3}, sighdr[3:]...)},
		{"sighdr truncated", rpm, sighdr[:len(sighdr)/2]},
		{"sighdr trailing bytes", rpm, append(append([]byte(nil), sighdr...), make([]byte, 16)...)},
		{"not an rpm", []byte(strings.Repeat("x", 200)), sighdr},
		{"truncated rpm", rpm[:50], sighdr},
		{"truncated old sighdr", rpm[:96+20], sighdr},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := rpmhdr.Splice(&out, bytes.NewReader(tc.rpm), tc.sighdr)
			if !errors.Is(err, rpmhdr.ErrInvalid) {
				t.Fatalf("Splice = %v, want ErrInvalid", err)
			}
		})
	}
}
