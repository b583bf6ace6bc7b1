package store

import (
	"context"
	"fmt"
)

// Notification is a row of build_notifications: a user asks to hear of
// builds of a package and/or into a tag (nil matches any).
type Notification struct {
	ID          int64  `db:"id"`
	UserID      int64  `db:"user_id"`
	PackageID   *int64 `db:"package_id"`
	TagID       *int64 `db:"tag_id"`
	SuccessOnly bool   `db:"success_only"`
	Email       string `db:"email"`
}

// NotificationBlock is a row of build_notifications_block: a user's
// exception to their notifications.
type NotificationBlock struct {
	ID        int64  `db:"id"`
	UserID    int64  `db:"user_id"`
	PackageID *int64 `db:"package_id"`
	TagID     *int64 `db:"tag_id"`
}

const (
	notificationCols = "id, user_id, package_id, tag_id, success_only, email"
	blockCols        = "id, user_id, package_id, tag_id"
)

// Notifications lists a user's build notifications by id.
func Notifications(ctx context.Context, tx *Tx, userID int64) ([]Notification, error) {
	var out []Notification
	if err := tx.Select(ctx, &out, "SELECT "+notificationCols+" FROM build_notifications WHERE user_id = ? ORDER BY id", userID); err != nil {
		return nil, fmt.Errorf("read notifications of user %d: %w", userID, err)
	}
	return out, nil
}

// NotificationByID returns a build notification, nil when there is none.
func NotificationByID(ctx context.Context, tx *Tx, id int64) (*Notification, error) {
	var n Notification
	err := tx.Get(ctx, &n, "SELECT "+notificationCols+" FROM build_notifications WHERE id = ?", id)
	if IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read notification %d: %w", id, err)
	}
	return &n, nil
}

// CreateNotification inserts a build notification and returns its id.
func CreateNotification(ctx context.Context, tx *Tx, n Notification) (int64, error) {
	id, err := tx.InsertID(ctx, "INSERT INTO build_notifications (user_id, package_id, tag_id, success_only, email) VALUES (?, ?, ?, ?, ?)",
		n.UserID, n.PackageID, n.TagID, n.SuccessOnly, n.Email)
	if err != nil {
		return 0, fmt.Errorf("create notification for user %d: %w", n.UserID, err)
	}
	return id, nil
}

// UpdateNotification changes what a build notification matches.
func UpdateNotification(ctx context.Context, tx *Tx, id int64, packageID, tagID *int64, successOnly bool) error {
	if _, err := tx.Exec(ctx, "UPDATE build_notifications SET package_id = ?, tag_id = ?, success_only = ? WHERE id = ?",
		packageID, tagID, successOnly, id); err != nil {
		return fmt.Errorf("update notification %d: %w", id, err)
	}
	return nil
}

// DeleteNotification removes a build notification.
func DeleteNotification(ctx context.Context, tx *Tx, id int64) error {
	if _, err := tx.Exec(ctx, "DELETE FROM build_notifications WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete notification %d: %w", id, err)
	}
	return nil
}

// NotificationBlocks lists a user's notification blocks by id.
func NotificationBlocks(ctx context.Context, tx *Tx, userID int64) ([]NotificationBlock, error) {
	var out []NotificationBlock
	if err := tx.Select(ctx, &out, "SELECT "+blockCols+" FROM build_notifications_block WHERE user_id = ? ORDER BY id", userID); err != nil {
		return nil, fmt.Errorf("read notification blocks of user %d: %w", userID, err)
	}
	return out, nil
}

// NotificationBlockByID returns a notification block, nil when there is none.
func NotificationBlockByID(ctx context.Context, tx *Tx, id int64) (*NotificationBlock, error) {
	var b NotificationBlock
	err := tx.Get(ctx, &b, "SELECT "+blockCols+" FROM build_notifications_block WHERE id = ?", id)
	if IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read notification block %d: %w", id, err)
	}
	return &b, nil
}

// CreateNotificationBlock inserts a notification block and returns its id.
func CreateNotificationBlock(ctx context.Context, tx *Tx, b NotificationBlock) (int64, error) {
	id, err := tx.InsertID(ctx, "INSERT INTO build_notifications_block (user_id, package_id, tag_id) VALUES (?, ?, ?)",
		b.UserID, b.PackageID, b.TagID)
	if err != nil {
		return 0, fmt.Errorf("create notification block for user %d: %w", b.UserID, err)
	}
	return id, nil
}

// DeleteNotificationBlock removes a notification block.
func DeleteNotificationBlock(ctx context.Context, tx *Tx, id int64) error {
	if _, err := tx.Exec(ctx, "DELETE FROM build_notifications_block WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete notification block %d: %w", id, err)
	}
	return nil
}
