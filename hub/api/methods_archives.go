package api

import (
	"context"

	"github.com/gokoji/gokoji/hub"
)

// Maven, Windows and image builds and archives do not exist on this hub;
// these calls answer what a Koji hub without them answers, so clients that
// ask (koji buildinfo) carry on.
func archiveMethods() []Method {
	typed := func(name string) Method {
		return Method{Name: name, Params: []Param{P("buildInfo"), Opt("strict", false)}, Access: anyone,
			Doc: "Always None: there are no such builds here (a missing build faults with strict).",
			Handler: func(ctx context.Context, c *Call) (any, error) {
				_, err := lookupBuild(ctx, c, c.Args.Value("buildInfo"), c.Args.Bool("strict"))
				return nil, err
			}}
	}
	return []Method{
		typed("getMavenBuild"), typed("getWinBuild"), typed("getImageBuild"),
		{Name: "listArchives", Params: []Param{Opt("buildID", nil), Opt("buildrootID", nil), Opt("componentBuildrootID", nil),
			Opt("hostID", nil), Opt("type", nil), Opt("filename", nil), Opt("size", nil), Opt("checksum", nil),
			Opt("checksum_type", nil), Opt("typeInfo", nil), Opt("queryOpts", nil), Opt("imageID", nil), Opt("archiveID", nil),
			Opt("strict", false)}, Access: anyone,
			Doc: "Always []: there are no archives here (strict: 'No archives found.').",
			Handler: func(ctx context.Context, c *Call) (any, error) {
				if c.Args.Bool("strict") {
					return nil, hub.GenericError("No archives found.")
				}
				if truthy(c.Args.Map("queryOpts")["countOnly"]) {
					return int64(0), nil
				}
				return []any{}, c.Args.Err()
			}},
	}
}
