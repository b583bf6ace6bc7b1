package api

import (
	"context"
	"strings"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

// nameOrID reads Koji's usual lookup argument: an id, a name, or a struct
// holding id or name.
func nameOrID(info any) (column string, value any, err error) {
	switch x := info.(type) {
	case int64:
		return "id", x, nil
	case string:
		return "name", x, nil
	case map[string]any:
		if id, ok := x["id"].(int64); ok {
			return "id", id, nil
		}
		if name, ok := x["name"].(string); ok {
			return "name", name, nil
		}
	}
	return "", nil, hub.ParameterError("Invalid name or id value: %s", pyRepr(info))
}

// lookupNamed finds a row of an (id, name) table as Koji's lookup_name does:
// strict faults "No such entry in table …", create inserts a missing name.
func lookupNamed(ctx context.Context, c *Call, table string, info any, strict, create bool) (*store.NamedID, error) {
	col, val, err := nameOrID(info)
	if err != nil {
		return nil, err
	}
	var n *store.NamedID
	if col == "id" {
		n, err = store.NameByID(ctx, c.Tx, table, val.(int64))
	} else {
		n, err = store.NameByName(ctx, c.Tx, table, val.(string))
	}
	if err != nil || n != nil {
		return n, err
	}
	switch {
	case strict:
		return nil, hub.GenericError("No such entry in table %s: %v", table, info)
	case create:
		name, ok := info.(string)
		if !ok {
			return nil, hub.GenericError("Name must be a string")
		}
		id, err := store.CreateName(ctx, c.Tx, table, name)
		if err != nil {
			return nil, err
		}
		return &store.NamedID{ID: id, Name: name}, nil
	}
	return nil, nil
}

// getTagAt finds a live tag (one with a tag_config row) as of event.
func getTagAt(ctx context.Context, c *Call, info any, event *int64, strict bool) (*store.Tag, error) {
	col, val, err := nameOrID(info)
	if err != nil {
		return nil, err
	}
	t, err := store.TagAt(ctx, c.Tx, col, val, event)
	if err != nil {
		return nil, err
	}
	if t == nil && strict {
		return nil, hub.GenericError("No such tagInfo: %s", pyRepr(info))
	}
	return t, nil
}

// eventArg reads an optional event id argument.
func eventArg(a *Args, name string) *int64 { return a.OptInt(name) }

// parseArches normalises arches given as a space- or comma-separated string
// or a list into Koji's space-separated form (strict takes only spaces); no
// arches are stored as "", as Koji does.
func parseArches(v any, strict bool) (*string, error) {
	arches, err := hub.ParseArches(v, strict)
	if err != nil {
		return nil, err
	}
	s := strings.Join(arches, " ")
	return &s, nil
}
