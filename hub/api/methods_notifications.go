package api

import (
	"context"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

// Build notifications: a user's wish to hear of builds of a package and/or
// into a tag, and their blocks (exceptions). As in Koji, the caller manages
// their own and an admin anyone's; the faults for a missing login or another
// user's entry are GenericErrors, so the checks are in the handlers. The hub
// only keeps these rows: it sends no mail.
func notificationMethods() []Method {
	return []Method{
		{Name: "getBuildNotifications", Params: []Param{Opt("userID", nil)}, Access: anyone,
			Doc: "A user's build notifications (by id, name or principal; the caller when None) as " +
				"[{id, user_id, package_id, tag_id, success_only, email}].",
			Handler: getBuildNotifications},
		{Name: "getBuildNotification", Params: []Param{P("id"), Opt("strict", false)}, Access: anyone,
			Doc:     "A build notification by id; None when missing unless strict.",
			Handler: getBuildNotification},
		{Name: "getBuildNotificationBlocks", Params: []Param{Opt("userID", nil)}, Access: anyone,
			Doc:     "A user's notification blocks (the caller when None) as [{id, user_id, package_id, tag_id}].",
			Handler: getBuildNotificationBlocks},
		{Name: "getBuildNotificationBlock", Params: []Param{P("id"), Opt("strict", false)}, Access: anyone,
			Doc:     "A notification block by id; None when missing unless strict.",
			Handler: getBuildNotificationBlock},
		{Name: "updateNotification", Params: []Param{P("id"), P("package_id"), P("tag_id"), P("success_only")},
			Access: anyone, Writes: true,
			Doc: "Change a build notification's package, tag (None for any) and success_only; the owner or an " +
				"admin only. The owner may not end up with two equal notifications.",
			Handler: updateNotification},
		{Name: "createNotification", Params: []Param{P("user_id"), P("package_id"), P("tag_id"), P("success_only")},
			Access: anyone, Writes: true,
			Doc: "Add a build notification for a user (yourself, or anyone as admin) on a package and/or tag " +
				"(None for any); its email is <user>@<EmailDomain>. No mail is sent by this hub.",
			Handler: createNotification},
		{Name: "deleteNotification", Params: []Param{P("id")}, Access: anyone, Writes: true,
			Doc: "Remove a build notification; the owner or an admin only.", Handler: deleteNotification},
		{Name: "createNotificationBlock", Params: []Param{P("user_id"), Opt("package_id", nil), Opt("tag_id", nil)},
			Access: anyone, Writes: true,
			Doc:     "Block build notifications of a user (yourself, or anyone as admin) for a package and/or tag.",
			Handler: createNotificationBlock},
		{Name: "deleteNotificationBlock", Params: []Param{P("id")}, Access: anyone, Writes: true,
			Doc: "Remove a notification block; the owner or an admin only.", Handler: deleteNotificationBlock},
	}
}

func notificationStruct(n *store.Notification) map[string]any {
	return map[string]any{"id": n.ID, "user_id": n.UserID, "package_id": optInt(n.PackageID),
		"tag_id": optInt(n.TagID), "success_only": n.SuccessOnly, "email": n.Email}
}

func notificationBlockStruct(b *store.NotificationBlock) map[string]any {
	return map[string]any{"id": b.ID, "user_id": b.UserID, "package_id": optInt(b.PackageID), "tag_id": optInt(b.TagID)}
}

// notificationLogin is Koji's check in the notification calls: a GenericError,
// not the usual ActionNotAllowed.
func notificationLogin(c *Call) error {
	if c.Session == nil {
		return hub.GenericError("Not logged-in")
	}
	return nil
}

// mayManage reports whether the caller may manage ownerID's entries.
func mayManage(ctx context.Context, c *Call, ownerID int64) (bool, error) {
	if c.Session.UserID == ownerID {
		return true, nil
	}
	return c.HasPerm(ctx, "admin")
}

// notificationTarget resolves package_id and tag_id as Koji's get_package_id
// and get_tag_id (strict): an id, a name, or None for any.
func notificationTarget(ctx context.Context, c *Call, pkg, tag any) (pkgID, tagID *int64, err error) {
	if pkg != nil {
		p, err := lookupNamed(ctx, c, "package", pkg, true, false)
		if err != nil {
			return nil, nil, err
		}
		pkgID = &p.ID
	}
	if tag != nil {
		t, err := lookupNamed(ctx, c, "tag", tag, true, false)
		if err != nil {
			return nil, nil, err
		}
		tagID = &t.ID
	}
	return pkgID, tagID, nil
}

func sameID(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// notificationExists is Koji's duplicate check: the user has one with the
// same package, tag and success_only already.
func notificationExists(ctx context.Context, c *Call, userID int64, pkgID, tagID *int64, successOnly bool) error {
	ns, err := store.Notifications(ctx, c.Tx, userID)
	if err != nil {
		return err
	}
	for _, n := range ns {
		if sameID(n.PackageID, pkgID) && sameID(n.TagID, tagID) && n.SuccessOnly == successOnly {
			return hub.GenericError("notification already exists")
		}
	}
	return nil
}

func getBuildNotifications(ctx context.Context, c *Call) (any, error) {
	u, err := lookupUser(ctx, c, c.Args.Value("userID"), true)
	if err != nil {
		return nil, err
	}
	ns, err := store.Notifications(ctx, c.Tx, u.ID)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(ns))
	for i := range ns {
		out[i] = notificationStruct(&ns[i])
	}
	return out, nil
}

// notificationByID reads a notification; strict faults when it is missing.
func notificationByID(ctx context.Context, c *Call, strict bool) (*store.Notification, error) {
	id := c.Args.Int("id")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	n, err := store.NotificationByID(ctx, c.Tx, id)
	if err != nil {
		return nil, err
	}
	if n == nil && strict {
		return nil, hub.GenericError("No notification with ID %d found", id)
	}
	return n, nil
}

func getBuildNotification(ctx context.Context, c *Call) (any, error) {
	n, err := notificationByID(ctx, c, c.Args.Bool("strict"))
	if err != nil || n == nil {
		return nil, err
	}
	return notificationStruct(n), nil
}

func getBuildNotificationBlocks(ctx context.Context, c *Call) (any, error) {
	u, err := lookupUser(ctx, c, c.Args.Value("userID"), true)
	if err != nil {
		return nil, err
	}
	bs, err := store.NotificationBlocks(ctx, c.Tx, u.ID)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(bs))
	for i := range bs {
		out[i] = notificationBlockStruct(&bs[i])
	}
	return out, nil
}

// notificationBlockByID reads a block; strict faults when it is missing.
func notificationBlockByID(ctx context.Context, c *Call, strict bool) (*store.NotificationBlock, error) {
	id := c.Args.Int("id")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	b, err := store.NotificationBlockByID(ctx, c.Tx, id)
	if err != nil {
		return nil, err
	}
	if b == nil && strict {
		return nil, hub.GenericError("No notification block with ID %d found", id)
	}
	return b, nil
}

func getBuildNotificationBlock(ctx context.Context, c *Call) (any, error) {
	b, err := notificationBlockByID(ctx, c, c.Args.Bool("strict"))
	if err != nil || b == nil {
		return nil, err
	}
	return notificationBlockStruct(b), nil
}

func updateNotification(ctx context.Context, c *Call) (any, error) {
	if err := notificationLogin(c); err != nil {
		return nil, err
	}
	n, err := notificationByID(ctx, c, true)
	if err != nil {
		return nil, err
	}
	if ok, err := mayManage(ctx, c, n.UserID); err != nil {
		return nil, err
	} else if !ok {
		return nil, hub.GenericError("user %d cannot update notifications for user %d", c.Session.UserID, n.UserID)
	}
	pkgID, tagID, err := notificationTarget(ctx, c, c.Args.Value("package_id"), c.Args.Value("tag_id"))
	if err != nil {
		return nil, err
	}
	successOnly := c.Args.Bool("success_only")
	// As in Koji, the notification itself counts: an update that changes
	// nothing faults too.
	if err := notificationExists(ctx, c, n.UserID, pkgID, tagID, successOnly); err != nil {
		return nil, err
	}
	return nil, store.UpdateNotification(ctx, c.Tx, n.ID, pkgID, tagID, successOnly)
}

// notificationOwner resolves the user_id argument of the create calls and
// checks the caller may act for that user; what names the fault.
func notificationOwner(ctx context.Context, c *Call, what string) (*hub.User, error) {
	if err := notificationLogin(c); err != nil {
		return nil, err
	}
	info := c.Args.Value("user_id")
	u, err := lookupUser(ctx, c, info, false)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, hub.GenericError("No such user ID: %s", pyStr(info))
	}
	if ok, err := mayManage(ctx, c, u.ID); err != nil {
		return nil, err
	} else if !ok {
		return nil, hub.GenericError("user %s cannot create %s for user %s", c.Session.User.Name, what, u.Name)
	}
	return u, nil
}

func createNotification(ctx context.Context, c *Call) (any, error) {
	u, err := notificationOwner(ctx, c, "notifications")
	if err != nil {
		return nil, err
	}
	pkgID, tagID, err := notificationTarget(ctx, c, c.Args.Value("package_id"), c.Args.Value("tag_id"))
	if err != nil {
		return nil, err
	}
	successOnly := c.Args.Bool("success_only")
	if err := notificationExists(ctx, c, u.ID, pkgID, tagID, successOnly); err != nil {
		return nil, err
	}
	_, err = store.CreateNotification(ctx, c.Tx, store.Notification{UserID: u.ID, PackageID: pkgID, TagID: tagID,
		SuccessOnly: successOnly, Email: u.Name + "@" + emailDomain(c)})
	return nil, err
}

// emailDomain is the hub's EmailDomain option; unset, Koji writes None.
func emailDomain(c *Call) string {
	if d, ok := c.d.Config.Options["EmailDomain"].(string); ok && d != "" {
		return d
	}
	return "None"
}

func deleteNotification(ctx context.Context, c *Call) (any, error) {
	n, err := notificationByID(ctx, c, true)
	if err != nil {
		return nil, err
	}
	if err := notificationLogin(c); err != nil {
		return nil, err
	}
	if ok, err := mayManage(ctx, c, n.UserID); err != nil {
		return nil, err
	} else if !ok {
		return nil, hub.GenericError("user %d cannot delete notifications for user %d", c.Session.UserID, n.UserID)
	}
	return nil, store.DeleteNotification(ctx, c.Tx, n.ID)
}

func createNotificationBlock(ctx context.Context, c *Call) (any, error) {
	u, err := notificationOwner(ctx, c, "notification blocks")
	if err != nil {
		return nil, err
	}
	pkgID, tagID, err := notificationTarget(ctx, c, c.Args.Value("package_id"), c.Args.Value("tag_id"))
	if err != nil {
		return nil, err
	}
	bs, err := store.NotificationBlocks(ctx, c.Tx, u.ID)
	if err != nil {
		return nil, err
	}
	for _, b := range bs {
		if sameID(b.PackageID, pkgID) && sameID(b.TagID, tagID) {
			return nil, hub.GenericError("notification already exists") // Koji's words for a block too
		}
	}
	_, err = store.CreateNotificationBlock(ctx, c.Tx, store.NotificationBlock{UserID: u.ID, PackageID: pkgID, TagID: tagID})
	return nil, err
}

func deleteNotificationBlock(ctx context.Context, c *Call) (any, error) {
	b, err := notificationBlockByID(ctx, c, true)
	if err != nil {
		return nil, err
	}
	if err := notificationLogin(c); err != nil {
		return nil, err
	}
	if ok, err := mayManage(ctx, c, b.UserID); err != nil {
		return nil, err
	} else if !ok {
		return nil, hub.GenericError("user %d cannot delete notification blocks for user %d", c.Session.UserID, b.UserID)
	}
	return nil, store.DeleteNotificationBlock(ctx, c.Tx, b.ID)
}
