package store

import (
	"context"
	"fmt"
)

// CGUsers holds who may import as each content generator (versioned).
var CGUsers = Versioned{Table: "cg_users"}

// CGUser is one active grant: a content generator and a user allowed to
// import as it.
type CGUser struct {
	CGID     int64  `db:"cg_id"`
	CGName   string `db:"cg_name"`
	UserName string `db:"user_name"`
}

// ActiveCGUsers lists the active grants, in the order they were made.
func ActiveCGUsers(ctx context.Context, tx *Tx) ([]CGUser, error) {
	var out []CGUser
	err := tx.Select(ctx, &out, `SELECT g.id AS cg_id, g.name AS cg_name, u.name AS user_name
		FROM cg_users cu JOIN content_generator g ON g.id = cu.cg_id JOIN users u ON u.id = cu.user_id
		WHERE cu.active = TRUE ORDER BY cu.create_event, g.id, u.id`)
	if err != nil {
		return nil, fmt.Errorf("list content generator users: %w", err)
	}
	return out, nil
}

// HasCGAccess reports whether the user holds an active grant for the
// content generator.
func HasCGAccess(ctx context.Context, tx *Tx, cgID, userID int64) (bool, error) {
	var n int
	if err := tx.Get(ctx, &n, "SELECT COUNT(*) FROM cg_users WHERE cg_id = ? AND user_id = ? AND active = TRUE", cgID, userID); err != nil {
		return false, fmt.Errorf("check content generator access: %w", err)
	}
	return n > 0, nil
}
