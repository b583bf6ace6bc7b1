package rpmhdr

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
)

// SigHeader is a standalone signature header, as addRPMSig receives it.
type SigHeader struct {
	bin map[int][]byte // binary tags only: all that signatures need
}

// ParseSigHeader reads a raw signature header.
func ParseSigHeader(b []byte) (*SigHeader, error) {
	if len(b) < 16 || !bytes.Equal(b[:3], headerMagic) {
		return nil, invalid("bad signature header magic")
	}
	il := int(binary.BigEndian.Uint32(b[8:12]))
	dl := int(binary.BigEndian.Uint32(b[12:16]))
	if il < 0 || dl < 0 || il > 1<<16 || 16+16*il+dl > len(b) {
		return nil, invalid("truncated signature header")
	}
	store := b[16+16*il : 16+16*il+dl]
	h := &SigHeader{bin: map[int][]byte{}}
	for i := 0; i < il; i++ {
		e := b[16+16*i : 32+16*i]
		tag := int(binary.BigEndian.Uint32(e[0:4]))
		typ := binary.BigEndian.Uint32(e[4:8])
		off := int(binary.BigEndian.Uint32(e[8:12]))
		cnt := int(binary.BigEndian.Uint32(e[12:16]))
		if typ != 7 { // RPM_BIN_TYPE
			continue
		}
		if off < 0 || cnt < 0 || off+cnt > len(store) {
			return nil, invalid("signature header entry %d out of range", i)
		}
		h.bin[tag] = store[off : off+cnt]
	}
	return h, nil
}

// MD5 is the hex SIGMD5, "" when absent.
func (h *SigHeader) MD5() string { return hex.EncodeToString(h.bin[sigMD5]) }

// KeyID is the id (last 4 bytes, hex) of the key that made the header's
// OpenPGP signature, "" for an unsigned header.
func (h *SigHeader) KeyID() (string, error) {
	for _, tag := range []int{sigGPG, sigPGP, sigDSA, sigRSA} {
		if p := h.bin[tag]; len(p) > 0 {
			return sigPacketKeyID(p)
		}
	}
	return "", nil
}

// sigPacketKeyID reads the issuer key id of an OpenPGP signature packet.
func sigPacketKeyID(p []byte) (string, error) {
	body, tag, ok := packetBody(p)
	if !ok || tag != 2 || len(body) < 1 {
		return "", invalid("not an OpenPGP signature packet")
	}
	switch body[0] {
	case 3:
		if len(body) < 15 {
			return "", invalid("short v3 signature packet")
		}
		return hex.EncodeToString(body[11:15]), nil
	case 4:
		if len(body) < 6 {
			return "", invalid("short v4 signature packet")
		}
		n := int(binary.BigEndian.Uint16(body[4:6]))
		if 6+n+2 > len(body) {
			return "", invalid("short v4 signature packet")
		}
		ids := issuerIDs(body[6 : 6+n])
		m := int(binary.BigEndian.Uint16(body[6+n : 8+n]))
		if 8+n+m > len(body) {
			return "", invalid("short v4 signature packet")
		}
		ids = append(ids, issuerIDs(body[8+n:8+n+m])...)
		if len(ids) != 1 || len(ids[0]) < 4 {
			return "", invalid("signature packet has %d issuer key ids", len(ids))
		}
		return hex.EncodeToString(ids[0][len(ids[0])-4:]), nil
	}
	return "", invalid("unknown OpenPGP signature packet version %d", body[0])
}

func packetBody(p []byte) (body []byte, tag int, ok bool) {
	if len(p) < 2 || p[0]&0x80 == 0 {
		return nil, 0, false
	}
	var n, off int
	if p[0]&0x40 == 0 {
		tag = int(p[0]&0x3c) >> 2
		switch p[0] & 3 {
		case 0:
			n, off = int(p[1]), 2
		case 1:
			if len(p) < 3 {
				return nil, 0, false
			}
			n, off = int(binary.BigEndian.Uint16(p[1:3])), 3
		case 2:
			if len(p) < 5 {
				return nil, 0, false
			}
			n, off = int(binary.BigEndian.Uint32(p[1:5])), 5
		default:
			n, off = len(p)-1, 1
		}
	} else {
		tag = int(p[0] & 0x3f)
		switch b := int(p[1]); {
		case b < 192:
			n, off = b, 2
		case b < 224 && len(p) >= 3:
			n, off = (b-192)<<8+int(p[2])+192, 3
		case b == 255 && len(p) >= 6:
			n, off = int(binary.BigEndian.Uint32(p[2:6])), 6
		default:
			return nil, 0, false
		}
	}
	if off+n > len(p) || n < 0 {
		return nil, 0, false
	}
	return p[off : off+n], tag, true
}

// issuerIDs lists the issuer (type 16) subpackets' key ids.
func issuerIDs(subs []byte) [][]byte {
	var out [][]byte
	for len(subs) > 0 {
		var n, off int
		switch b := int(subs[0]); {
		case b < 192:
			n, off = b, 1
		case b < 255 && len(subs) >= 2:
			n, off = (b-192)<<8+int(subs[1])+192, 2
		case len(subs) >= 5:
			n, off = int(binary.BigEndian.Uint32(subs[1:5])), 5
		default:
			return out
		}
		if n < 1 || off+n > len(subs) {
			return out
		}
		if subs[off]&0x7f == 16 {
			out = append(out, subs[off+1:off+n])
		}
		subs = subs[off+n:]
	}
	return out
}
