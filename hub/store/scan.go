package store

import (
	"fmt"

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

// ScanInt64 is Scan for pgx itself (see Tx.eachRow).
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

// ScanInt64 is Scan for pgx itself (see Tx.eachRow).
func (c optIntCol) ScanInt64(v pgtype.Int8) error {
	if !v.Valid {
		*c.p = nil
		return nil
	}
	n := v.Int64
	*c.p = &n
	return nil
}
