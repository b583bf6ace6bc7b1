package api

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

var tagPerm = perm("tag")

func tagMethods() []Method {
	return []Method{
		{Name: "createTag", Params: []Param{P("name"), Opt("parent", nil), Opt("arches", nil), Opt("perm", nil), Opt("locked", false),
			Opt("maven_support", false), Opt("maven_include_all", false), Opt("extra", nil)},
			Access: tagPerm, Writes: true, Doc: "Create a tag, optionally inheriting from parent; returns its id.", Handler: createTag},
		{Name: "editTag2", Params: []Param{P("tagInfo")}, VarKW: "kwargs", Access: tagPerm, Writes: true,
			Doc:     "Edit a tag: name, arches, locked, perm, maven_support, maven_include_all, extra, remove_extra, block_extra.",
			Handler: editTag2},
		{Name: "editTag", Params: []Param{P("tagInfo"), P("name"), P("arches"), P("locked"), P("permissionID"), Opt("extra", nil)},
			Access: tagPerm, Writes: true, Doc: "Edit a tag (old positional form of editTag2).", Handler: editTagOld},
		{Name: "deleteTag", Params: []Param{P("tagInfo")}, Access: tagPerm, Writes: true,
			Doc: "Delete a tag: its config, extra, inheritance, package lists and targets are revoked at one event.", Handler: deleteTag},
		{Name: "getTag", Params: []Param{P("tagInfo"), Opt("strict", false), Opt("event", nil), Opt("blocked", false)}, Access: anyone,
			Doc: "A tag by id, name or {id|name}, as of event (or \"auto\" for a deleted tag's last state).", Handler: getTag},
		{Name: "getTagID", Params: []Param{P("info"), Opt("strict", false), Opt("create", false)}, Access: anyone,
			Doc: "The id of a tag name.", Handler: func(ctx context.Context, c *Call) (any, error) {
				if c.Args.Bool("create") {
					if err := c.AssertPerm(ctx, "tag"); err != nil {
						return nil, err
					}
					return nil, hub.GenericError("getTagID cannot create tags; use createTag")
				}
				n, err := lookupNamed(ctx, c, "tag", c.Args.Value("info"), c.Args.Bool("strict"), false)
				if err != nil || n == nil {
					return nil, err
				}
				return n.ID, nil
			}},
		{Name: "listTags", Params: []Param{Opt("build", nil), Opt("package", nil), Opt("perms", true), Opt("queryOpts", nil), Opt("pattern", nil)},
			Access: anyone, Doc: "List tags, optionally those holding a package (or build), or matching a glob pattern.", Handler: listTags},
		{Name: "getBuildConfig", Params: []Param{P("tag"), Opt("event", nil)}, Access: anyone,
			Doc: "A tag's config with arches and extra filled in through inheritance.", Handler: getBuildConfig},
	}
}

// decodeExtra turns a stored JSON value into XML-RPC values, with integral
// numbers as integers as Python's json gives them.
func decodeExtra(s string) (any, error) {
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return fromJSON(v), nil
}

func fromJSON(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = fromJSON(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = fromJSON(x[k])
		}
	}
	return v
}

// tagExtras reads the extra of tags as of event: for each tag, key → value,
// or with blocked, key → [is_blocked, value].
func tagExtras(ctx context.Context, c *Call, ids []int64, event *int64, blocked bool) (map[int64]map[string]any, error) {
	rows, err := store.TagExtras(ctx, c.Tx, ids, event)
	if err != nil {
		return nil, err
	}
	out := map[int64]map[string]any{}
	for _, id := range ids {
		out[id] = map[string]any{}
	}
	for _, r := range rows {
		var v any
		if r.Value != nil {
			if v, err = decodeExtra(*r.Value); err != nil {
				return nil, hub.GenericError("No such tag extra data: %s", r.Key)
			}
		}
		switch {
		case blocked:
			out[r.TagID][r.Key] = []any{r.Value == nil, v}
		case r.Value != nil:
			out[r.TagID][r.Key] = v
		}
	}
	return out, nil
}

func tagStruct(t *store.Tag, extra map[string]any) map[string]any {
	return map[string]any{
		"id": t.ID, "name": t.Name, "perm_id": t.PermID, "perm": t.Perm, "arches": t.Arches,
		"locked": t.Locked, "maven_support": t.MavenSupport, "maven_include_all": t.MavenIncludeAll, "extra": extra,
	}
}

func getTag(ctx context.Context, c *Call) (any, error) {
	info := c.Args.Value("tagInfo")
	var event *int64
	auto := false
	if s, ok := c.Args.Value("event").(string); ok && s == "auto" {
		auto = true
		col, val, err := nameOrID(info)
		if err != nil {
			return nil, err
		}
		var n *store.NamedID
		if col == "id" {
			n, err = store.NameByID(ctx, c.Tx, "tag", val.(int64))
		} else {
			n, err = store.NameByName(ctx, c.Tx, "tag", val.(string))
		}
		if err != nil {
			return nil, err
		}
		if n != nil {
			_, revoke, ok, err := store.LastTagConfigEvents(ctx, c.Tx, n.ID)
			if err != nil {
				return nil, err
			}
			if ok && revoke != nil {
				before := *revoke - 1 // the moment before the tag was deleted
				event = &before
			}
		}
	} else {
		event = eventArg(c.Args, "event")
	}
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	t, err := getTagAt(ctx, c, info, event, c.Args.Bool("strict"))
	if err != nil || t == nil {
		return nil, err
	}
	extras, err := tagExtras(ctx, c, []int64{t.ID}, event, c.Args.Bool("blocked"))
	if err != nil {
		return nil, err
	}
	out := tagStruct(t, extras[t.ID])
	if event != nil {
		out["query_event"] = *event
		if auto {
			ev := *event + 1
			out["revoke_event"] = ev
		}
	}
	return out, nil
}

func encodeExtra(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", hub.GenericError("extra value cannot be stored: %v", err)
	}
	return string(b), nil
}

func createTag(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	spec := newTag{Name: a.String("name"), Extra: a.Map("extra"), Parent: a.Value("parent"), Arches: a.Value("arches"),
		Perm: a.Value("perm"), Locked: a.Bool("locked"), MavenSupport: a.Bool("maven_support"), MavenIncludeAll: a.Bool("maven_include_all")}
	if err := a.Err(); err != nil {
		return nil, err
	}
	return insertTag(ctx, c, spec)
}

// newTag is what a new tag gets: Koji's _create_tag arguments, as given.
type newTag struct {
	Name                          string
	Parent, Arches, Perm          any // nil: none
	Locked                        bool
	MavenSupport, MavenIncludeAll bool
	Extra                         map[string]any
}

// insertTag creates a tag without an access check (Koji's _create_tag);
// it returns the tag's id.
func insertTag(ctx context.Context, c *Call, spec newTag) (int64, error) {
	name := spec.Name
	if err := hub.VerifyInternalName(name); err != nil {
		return 0, err
	}
	arches, err := parseArches(spec.Arches, true)
	if err != nil {
		return 0, err
	}
	if spec.MavenSupport || spec.MavenIncludeAll {
		return 0, hub.GenericError("Maven support not enabled")
	}
	if t, err := store.TagAt(ctx, c.Tx, "name", name, nil); err != nil {
		return 0, err
	} else if t != nil {
		return 0, hub.GenericError("A tag with the name '%s' already exists", name)
	}
	var parent *store.Tag
	if p := spec.Parent; truthy(p) {
		if parent, err = getTagAt(ctx, c, p, nil, false); err != nil {
			return 0, err
		}
		if parent == nil {
			return 0, hub.GenericError("Parent tag '%v' could not be found", p)
		}
	}
	var permID *int64
	if p := spec.Perm; p != nil {
		n, err := lookupNamed(ctx, c, "permissions", p, true, false)
		if err != nil {
			return 0, err
		}
		permID = &n.ID
	}
	// A deleted tag of the same name keeps its id and gets a new config.
	n, err := lookupNamed(ctx, c, "tag", name, false, true)
	if err != nil {
		return 0, err
	}
	if err := store.TagConfig.Insert(ctx, c.Tx, c.UserID(), map[string]any{
		"tag_id": n.ID, "arches": arches, "perm_id": permID, "locked": spec.Locked,
		"maven_support": false, "maven_include_all": false,
	}); err != nil {
		return 0, err
	}
	for _, k := range sortedKeys(spec.Extra) {
		v, err := encodeExtra(spec.Extra[k])
		if err != nil {
			return 0, err
		}
		if err := store.TagExtra.Insert(ctx, c.Tx, c.UserID(), map[string]any{"tag_id": n.ID, "key": k, "value": v}); err != nil {
			return 0, err
		}
	}
	if parent != nil {
		link := inheritanceLink{ParentID: parent.ID, PkgFilter: ""}
		if err := writeInheritance(ctx, c, n.ID, []inheritanceLink{link}, false); err != nil {
			return 0, err
		}
	}
	return n.ID, nil
}

func editTagOld(ctx context.Context, c *Call) (any, error) {
	kw := map[string]any{"name": c.Args.Value("name"), "arches": c.Args.Value("arches"),
		"locked": c.Args.Value("locked"), "perm_id": c.Args.Value("permissionID")}
	if c.Args.Value("extra") != nil {
		kw["extra"] = c.Args.Value("extra")
	}
	return nil, editTag(ctx, c, c.Args.Value("tagInfo"), kw)
}

func editTag2(ctx context.Context, c *Call) (any, error) {
	return nil, editTag(ctx, c, c.Args.Value("tagInfo"), c.Args.Kwargs())
}

var editTagKeys = map[string]bool{"name": true, "arches": true, "locked": true, "perm": true, "perm_id": true,
	"maven_support": true, "maven_include_all": true, "extra": true, "remove_extra": true, "block_extra": true}

func editTag(ctx context.Context, c *Call, info any, kw map[string]any) error {
	for _, k := range sortedKeys(kw) {
		if !editTagKeys[k] {
			return hub.ParameterError("editTag2() got an unexpected keyword argument '%s'", k)
		}
	}
	if truthy(kw["maven_support"]) || truthy(kw["maven_include_all"]) {
		return hub.GenericError("Maven support not enabled")
	}
	t, err := getTagAt(ctx, c, info, nil, true)
	if err != nil {
		return err
	}
	extras, err := tagExtras(ctx, c, []int64{t.ID}, nil, false)
	if err != nil {
		return err
	}
	current := extras[t.ID]
	if _, ok := kw["perm_id"]; !ok {
		if p, ok := kw["perm"]; ok {
			kw["perm_id"] = p
		}
	}
	newCfg := *t
	changed := false
	if p, ok := kw["perm_id"]; ok {
		var id *int64
		if p != nil {
			n, err := lookupNamed(ctx, c, "permissions", p, true, false)
			if err != nil {
				return err
			}
			id = &n.ID
		}
		if !equalInt(id, t.PermID) {
			newCfg.PermID, changed = id, true
		}
	}
	if name, ok := kw["name"].(string); ok && name != "" && name != t.Name {
		if err := hub.VerifyInternalName(name); err != nil {
			return err
		}
		if other, err := store.NameByName(ctx, c.Tx, "tag", name); err != nil {
			return err
		} else if other != nil {
			return hub.GenericError("Name %s already taken by tag %d", name, other.ID)
		}
		if err := store.RenameNamed(ctx, c.Tx, "tag", t.ID, name); err != nil {
			return err
		}
	}
	if v, ok := kw["arches"]; ok && truthy(v) {
		arches, err := parseArches(v, true)
		if err != nil {
			return err
		}
		if !equalStr(arches, t.Arches) {
			newCfg.Arches, changed = arches, true
		}
	}
	if v, ok := kw["locked"]; ok {
		if b := truthy(v); b != t.Locked {
			newCfg.Locked, changed = b, true
		}
	}
	if changed {
		if _, err := store.TagConfig.Revoke(ctx, c.Tx, c.UserID(), map[string]any{"tag_id": t.ID}); err != nil {
			return err
		}
		if err := store.TagConfig.Insert(ctx, c.Tx, c.UserID(), map[string]any{
			"tag_id": t.ID, "arches": newCfg.Arches, "perm_id": newCfg.PermID, "locked": newCfg.Locked,
			"maven_support": t.MavenSupport, "maven_include_all": t.MavenIncludeAll,
		}); err != nil {
			return err
		}
	}
	return editTagExtra(ctx, c, t, current, kw)
}

func editTagExtra(ctx context.Context, c *Call, t *store.Tag, current map[string]any, kw map[string]any) error {
	keyList := func(name string) ([]string, error) {
		v, ok := kw[name]
		if !ok || v == nil {
			return nil, nil
		}
		l, ok := v.([]any)
		if !ok {
			return nil, hub.ParameterError("Invalid type for value %s: %s, expected type <class 'list'>", pyRepr(v), pyClass(v))
		}
		out := make([]string, 0, len(l))
		for _, e := range l {
			s, ok := e.(string)
			if !ok {
				return nil, hub.ParameterError("%s must be a list of strings", name)
			}
			out = append(out, s)
		}
		return out, nil
	}
	remove, err := keyList("remove_extra")
	if err != nil {
		return err
	}
	block, err := keyList("block_extra")
	if err != nil {
		return err
	}
	var extra map[string]any
	if v, ok := kw["extra"]; ok && v != nil {
		if extra, ok = v.(map[string]any); !ok {
			return hub.ParameterError("extra must be a struct, not %s", typeName(v))
		}
	}
	for _, k := range append(append([]string{}, remove...), block...) {
		if _, ok := extra[k]; ok {
			return hub.GenericError("Can not both add/update and remove tag-extra: '%s'", k)
		}
	}
	set := func(key string, value any) error {
		if _, err := store.TagExtra.Revoke(ctx, c.Tx, c.UserID(), map[string]any{"tag_id": t.ID, "key": key}); err != nil {
			return err
		}
		return store.TagExtra.Insert(ctx, c.Tx, c.UserID(), map[string]any{"tag_id": t.ID, "key": key, "value": value})
	}
	for _, k := range sortedKeys(extra) {
		if cur, ok := current[k]; ok && pyRepr(cur) == pyRepr(extra[k]) {
			continue
		}
		v, err := encodeExtra(extra[k])
		if err != nil {
			return err
		}
		if err := set(k, v); err != nil {
			return err
		}
	}
	for _, k := range block {
		if err := set(k, nil); err != nil {
			return err
		}
	}
	var missing []string
	for _, k := range remove {
		if _, ok := current[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return hub.GenericError("Tag: %s doesn't have extra: %s", t.Name, joinComma(missing))
	}
	for _, k := range remove {
		if _, err := store.TagExtra.Revoke(ctx, c.Tx, c.UserID(), map[string]any{"tag_id": t.ID, "key": k}); err != nil {
			return err
		}
	}
	return nil
}

func joinComma(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(x)
	}
	return b.String()
}

func equalInt(a, b *int64) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }

func equalStr(a, b *string) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// tagDeleteRevokes lists what deleting a tag revokes, as (table, column).
// Later parts of the data model that hang rows on tags add theirs here.
var tagDeleteRevokes = []struct {
	table  store.Versioned
	column string
}{
	{store.TagConfig, "tag_id"}, {store.TagExtra, "tag_id"}, {store.TagInheritance, "tag_id"},
	{store.TagInheritance, "parent_id"}, {store.BuildTargetConfig, "build_tag"}, {store.BuildTargetConfig, "dest_tag"},
	{store.TagPackages, "tag_id"}, {store.TagPackageOwners, "tag_id"},
	{store.TagExternalRepos, "tag_id"}, {store.TagListing, "tag_id"},
	{store.GroupConfig, "tag_id"}, {store.GroupReqListing, "tag_id"}, {store.GroupPackageListing, "tag_id"},
}

func deleteTag(ctx context.Context, c *Call) (any, error) {
	t, err := getTagAt(ctx, c, c.Args.Value("tagInfo"), nil, true)
	if err != nil {
		return nil, err
	}
	// Before any revoke: a tagging that commits during the delete would
	// otherwise leave its listing active in the deleted tag.
	if err := store.LockTag(ctx, c.Tx, t.ID); err != nil {
		return nil, err
	}
	for _, r := range tagDeleteRevokes {
		if _, err := r.table.Revoke(ctx, c.Tx, c.UserID(), map[string]any{r.column: t.ID}); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func listTags(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	build, pkg := a.Value("build"), a.Value("package")
	if build != nil && pkg != nil {
		return nil, hub.GenericError("only one of build and package may be specified")
	}
	var conds []string
	var args []any
	if pattern := a.OptString("pattern"); pattern != nil {
		conds = append(conds, "t.name "+c.Tx.Dialect.CaseInsensitiveLike()+" ? ESCAPE '\\'")
		args = append(args, globToLike(*pattern))
	}
	var pkgRows map[int64]store.PackageEntry
	if pkg != nil {
		p, err := lookupNamed(ctx, c, "package", pkg, false, false)
		if err != nil {
			return nil, err
		}
		if p == nil {
			return nil, hub.GenericError("No such package: %v", pkg)
		}
		entries, err := store.PackageEntries(ctx, c.Tx, store.PackageFilter{PackageID: &p.ID}, nil)
		if err != nil {
			return nil, err
		}
		pkgRows = map[int64]store.PackageEntry{}
		ids := []int64{}
		for _, e := range entries {
			pkgRows[e.TagID] = e
			ids = append(ids, e.TagID)
		}
		in, inArgs := store.InList(ids)
		conds = append(conds, "t.id IN "+in)
		args = append(args, inArgs...)
	}
	if build != nil {
		ids, err := tagsOfBuild(ctx, c, build)
		if err != nil {
			return nil, err
		}
		in, inArgs := store.InList(ids)
		conds = append(conds, "t.id IN "+in)
		args = append(args, inArgs...)
	}
	opts := a.Map("queryOpts")
	if err := a.Err(); err != nil {
		return nil, err
	}
	cond := ""
	for i, x := range conds {
		if i > 0 {
			cond += " AND "
		}
		cond += x
	}
	tags, err := store.TagWhere(ctx, c.Tx, nil, cond, args...)
	if err != nil {
		return nil, err
	}
	rows := make([]any, 0, len(tags))
	for i := range tags {
		t := &tags[i]
		m := map[string]any{"id": t.ID, "name": t.Name, "arches": t.Arches, "locked": t.Locked,
			"maven_support": t.MavenSupport, "maven_include_all": t.MavenIncludeAll}
		if a.Bool("perms") {
			m["perm_id"], m["perm"] = t.PermID, t.Perm
		}
		if e, ok := pkgRows[t.ID]; ok {
			m["owner_id"], m["owner_name"], m["blocked"], m["extra_arches"] = e.OwnerID, e.OwnerName, e.Blocked, e.ExtraArches
		}
		rows = append(rows, m)
	}
	return applyQueryOpts(rows, opts)
}

// globToLike turns a shell glob into a LIKE pattern with '\' as escape.
func globToLike(g string) string {
	var b bytes.Buffer
	for _, r := range g {
		switch r {
		case '\\', '%', '_':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '*':
			b.WriteByte('%')
		case '?':
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func getBuildConfig(ctx context.Context, c *Call) (any, error) {
	event := eventArg(c.Args, "event")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	t, err := getTagAt(ctx, c, c.Args.Value("tag"), event, true)
	if err != nil {
		return nil, err
	}
	order, err := fullInheritance(ctx, c, t.ID, event, false)
	if err != nil {
		return nil, err
	}
	ids := []int64{t.ID}
	for _, l := range order {
		if !l.NoConfig {
			ids = append(ids, l.ParentID)
		}
	}
	extras, err := tagExtras(ctx, c, ids, event, true)
	if err != nil {
		return nil, err
	}
	out := tagStruct(t, nil)
	extra := extras[t.ID]
	var archesFrom any
	extraFrom := map[string]any{}
	arches := t.Arches
	for _, l := range order {
		if l.NoConfig {
			continue
		}
		anc, err := store.TagAt(ctx, c.Tx, "id", l.ParentID, event)
		if err != nil {
			return nil, err
		}
		if anc == nil {
			continue
		}
		src := map[string]any{"id": anc.ID, "name": anc.Name}
		if arches == nil && anc.Arches != nil {
			arches, archesFrom = anc.Arches, src
		}
		for k, v := range extras[anc.ID] {
			if _, ok := extra[k]; !ok {
				extra[k] = v
				extraFrom[k] = src
			}
		}
	}
	final := map[string]any{}
	for k, v := range extra {
		pair := v.([]any)
		if !pair[0].(bool) {
			final[k] = pair[1]
		}
	}
	out["arches"] = arches
	out["extra"] = final
	out["config_inheritance"] = map[string]any{"extra": extraFrom, "arches": archesFrom}
	if event != nil {
		out["query_event"] = *event
	}
	return out, nil
}
