package api

import (
	"context"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

// Content generators: who may import builds as each one. The imports
// themselves (CGImport, CGInitBuild) are not served yet.
func cgMethods() []Method {
	return []Method{
		{Name: "listCGs", Access: anyone,
			Doc:     "The content generators that have users: {name: {id, users: [user names]}}.",
			Handler: listCGs},
		{Name: "grantCGAccess", Params: []Param{P("user"), P("cg"), Opt("create", false)}, Access: admin, Writes: true,
			Doc:     "Allow a user to import as a content generator (id or name); create makes a new one by name.",
			Handler: grantCGAccess},
		{Name: "revokeCGAccess", Params: []Param{P("user"), P("cg")}, Access: admin, Writes: true,
			Doc:     "Take back a user's right to import as a content generator.",
			Handler: revokeCGAccess},
	}
}

// cgAnswer is one content generator in listCGs' answer.
type cgAnswer struct {
	ID    int64    `xmlrpc:"id"`
	Users []string `xmlrpc:"users"`
}

func listCGs(ctx context.Context, c *Call) (any, error) {
	rows, err := store.ActiveCGUsers(ctx, c.Tx)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, r := range rows {
		cg, ok := out[r.CGName].(*cgAnswer)
		if !ok {
			cg = &cgAnswer{ID: r.CGID}
			out[r.CGName] = cg
		}
		cg.Users = append(cg.Users, r.UserName)
	}
	return out, nil
}

func grantCGAccess(ctx context.Context, c *Call) (any, error) {
	create := c.Args.Bool("create")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	u, err := lookupUser(ctx, c, c.Args.Value("user"), true)
	if err != nil {
		return nil, err
	}
	cg, err := lookupNamed(ctx, c, "content_generator", c.Args.Value("cg"), !create, create)
	if err != nil {
		return nil, err
	}
	has, err := store.HasCGAccess(ctx, c.Tx, cg.ID, u.ID)
	if err != nil {
		return nil, err
	}
	if has {
		return nil, hub.GenericError("User already has access to content generator %s", cg.Name)
	}
	return nil, store.CGUsers.Insert(ctx, c.Tx, c.UserID(), map[string]any{"cg_id": cg.ID, "user_id": u.ID})
}

func revokeCGAccess(ctx context.Context, c *Call) (any, error) {
	u, err := lookupUser(ctx, c, c.Args.Value("user"), true)
	if err != nil {
		return nil, err
	}
	cg, err := lookupNamed(ctx, c, "content_generator", c.Args.Value("cg"), true, false)
	if err != nil {
		return nil, err
	}
	_, err = store.CGUsers.Revoke(ctx, c.Tx, c.UserID(), map[string]any{"cg_id": cg.ID, "user_id": u.ID})
	return nil, err
}
