package store

import (
	"encoding/binary"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// Scan targets for answers of tens of thousands of rows. database/sql
// fills an *int64 or *int through reflection, and a nullable **int64
// through reflection and a recursive call; these take the driver's value
// directly. Both drivers hand integers over as int64.

// intCol scans a NOT NULL integer column into *p.
type intCol[T ~int | ~int64] struct{ p *T }

func (c intCol[T]) Scan(src any) error {
	v, ok := src.(int64)
	if !ok {
		return fmt.Errorf("integer column holds %T", src)
	}
	*c.p = T(v)
	return nil
}

// ScanInt64 is Scan for pgx itself (see Tx.eachRows).
func (c intCol[T]) ScanInt64(v pgtype.Int8) error {
	if !v.Valid {
		return fmt.Errorf("integer column holds NULL")
	}
	*c.p = T(v.Int64)
	return nil
}

// optIntCol scans a nullable integer column into *p (nil for NULL).
type optIntCol struct{ p **int64 }

func (c optIntCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.p = nil
	case int64:
		*c.p = &v
	default:
		return fmt.Errorf("integer column holds %T", src)
	}
	return nil
}

// ScanInt64 is Scan for pgx itself (see Tx.eachRows).
func (c optIntCol) ScanInt64(v pgtype.Int8) error {
	if !v.Valid {
		*c.p = nil
		return nil
	}
	n := v.Int64
	*c.p = &n
	return nil
}

// scanBinary fills dest from one row of pgx's raw values when every column
// is one it decodes here: integers and booleans in PostgreSQL's binary
// format and text, into intCol, *int64, optIntCol, *string, **string or
// *bool. For any other row it reports false, having changed nothing that
// matters: Scan then reads the row, filling every target again.
func scanBinary(fields []pgconn.FieldDescription, raw [][]byte, dest []any) bool {
	if len(fields) != len(dest) || len(raw) != len(dest) {
		return false
	}
	for _, f := range fields {
		if f.Format != pgtype.BinaryFormatCode && f.DataTypeOID != pgtype.TextOID {
			return false
		}
	}
	for i, d := range dest {
		v, oid := raw[i], fields[i].DataTypeOID
		switch t := d.(type) {
		case intCol[int64]:
			n, ok := binaryInt(oid, v)
			if !ok {
				return false
			}
			*t.p = n
		case *int64:
			n, ok := binaryInt(oid, v)
			if !ok {
				return false
			}
			*t = n
		case intCol[int]:
			n, ok := binaryInt(oid, v)
			if !ok {
				return false
			}
			*t.p = int(n)
		case optIntCol:
			if v == nil {
				*t.p = nil
				continue
			}
			n, ok := binaryInt(oid, v)
			if !ok {
				return false
			}
			*t.p = &n
		case *string:
			if v == nil || (oid != pgtype.TextOID && oid != pgtype.VarcharOID) {
				return false
			}
			*t = string(v)
		case **string:
			if v == nil {
				*t = nil
				continue
			}
			if oid != pgtype.TextOID && oid != pgtype.VarcharOID {
				return false
			}
			s := string(v)
			*t = &s
		case *bool:
			if oid != pgtype.BoolOID || len(v) != 1 {
				return false
			}
			*t = v[0] == 1
		default:
			return false
		}
	}
	return true
}

// binaryInt decodes a NOT NULL int8, int4 or int2 in binary format.
func binaryInt(oid uint32, v []byte) (int64, bool) {
	switch {
	case oid == pgtype.Int8OID && len(v) == 8:
		return int64(binary.BigEndian.Uint64(v)), true
	case oid == pgtype.Int4OID && len(v) == 4:
		return int64(int32(binary.BigEndian.Uint32(v))), true
	case oid == pgtype.Int2OID && len(v) == 2:
		return int64(int16(binary.BigEndian.Uint16(v))), true
	}
	return 0, false
}
