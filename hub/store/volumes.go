package store

import (
	"context"
	"fmt"
)

// TagUpdateVolumeChange is Koji's TAG_UPDATE_TYPES VOLUME_CHANGE: a build in
// the tag moved to another volume.
const TagUpdateVolumeChange = 0

// ListVolumes returns every storage volume, DEFAULT (id 0) first.
func ListVolumes(ctx context.Context, tx *Tx) ([]NamedID, error) {
	var out []NamedID
	if err := tx.Select(ctx, &out, "SELECT id, name FROM volume ORDER BY id"); err != nil {
		return nil, fmt.Errorf("list volumes: %w", err)
	}
	return out, nil
}

// CreateVolume adds a volume and returns its id. The volume table's ids are
// plain numbers (DEFAULT is 0), so the next one is taken here.
func CreateVolume(ctx context.Context, tx *Tx, name string) (int64, error) {
	if tx.Dialect == Postgres {
		// Two hubs adding volumes at once would pick the same id.
		if _, err := tx.Exec(ctx, "LOCK TABLE volume IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			return 0, fmt.Errorf("lock volume table: %w", err)
		}
	}
	var id int64
	if err := tx.Get(ctx, &id, "SELECT COALESCE(MAX(id), 0) + 1 FROM volume"); err != nil {
		return 0, fmt.Errorf("next volume id: %w", err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO volume (id, name) VALUES (?, ?)", id, name); err != nil {
		return 0, fmt.Errorf("create volume %q: %w", name, err)
	}
	return id, nil
}

// DeleteVolume removes a volume row.
func DeleteVolume(ctx context.Context, tx *Tx, id int64) error {
	if _, err := tx.Exec(ctx, "DELETE FROM volume WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete volume %d: %w", id, err)
	}
	return nil
}

// VolumeInUse reports whether any build (in any state) is on the volume.
func VolumeInUse(ctx context.Context, tx *Tx, id int64) (bool, error) {
	var n []int64
	if err := tx.Select(ctx, &n, "SELECT 1 FROM build WHERE volume_id = ? LIMIT 1", id); err != nil {
		return false, fmt.Errorf("read builds of volume %d: %w", id, err)
	}
	return len(n) > 0, nil
}

// SetBuildVolume moves a build's record from volume from to volume to; it
// reports false when the build was no longer on from (a concurrent move).
func SetBuildVolume(ctx context.Context, tx *Tx, buildID, from, to int64) (bool, error) {
	n, err := tx.Exec(ctx, "UPDATE build SET volume_id = ? WHERE id = ? AND volume_id = ?", to, buildID, from)
	if err != nil {
		return false, fmt.Errorf("update volume of build %d: %w", buildID, err)
	}
	return n == 1, nil
}

// AddTagUpdate records a change of a tag's content that is not a row of a
// versioned table (Koji's set_tag_update), so repos of the tag stop being
// current.
func AddTagUpdate(ctx context.Context, tx *Tx, tagID, userID int64, updateType int) error {
	ev, err := tx.Event(ctx)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "INSERT INTO tag_updates (tag_id, update_event, updater_id, update_type) VALUES (?, ?, ?, ?)",
		tagID, ev, userID, updateType); err != nil {
		return fmt.Errorf("record update of tag %d: %w", tagID, err)
	}
	return nil
}
