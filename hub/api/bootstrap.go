package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

// AdminUser is the administrator created on first start, as in a Koji install.
const AdminUser = "kojiadmin"

// Bootstrap creates the admin user with the admin permission when the
// database has no users yet. With an empty password it generates one. It
// returns the password it set, or "" when the database was already set up.
func Bootstrap(ctx context.Context, db *store.DB, password string) (string, error) {
	var set string
	err := db.InTx(ctx, true, func(tx *store.Tx) error {
		var n int
		if err := tx.Get(ctx, &n, "SELECT COUNT(*) FROM users"); err != nil {
			return fmt.Errorf("count users: %w", err)
		}
		if n > 0 {
			return nil
		}
		if password == "" {
			b := make([]byte, 18)
			if _, err := rand.Read(b); err != nil {
				return fmt.Errorf("generate admin password: %w", err)
			}
			password = base64.RawURLEncoding.EncodeToString(b)
		}
		hash, err := hashPassword(password)
		if err != nil {
			return err
		}
		id, err := store.CreateUser(ctx, tx, store.NewUser{Name: AdminUser, UserType: hub.UserTypeNormal, PasswordHash: hash})
		if err != nil {
			return err
		}
		adminPerm, err := store.PermByName(ctx, tx, "admin")
		if err != nil || adminPerm == nil {
			return fmt.Errorf("admin permission missing from schema: %v", err)
		}
		if err := store.UserPerms.Insert(ctx, tx, id, map[string]any{"user_id": id, "perm_id": adminPerm.ID}); err != nil {
			return err
		}
		set = password
		return nil
	})
	return set, err
}
