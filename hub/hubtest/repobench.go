package hubtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// RepoBench is a build tag of 100 tagged noarch builds and a 101st one left
// out, for timing a tag change to a READY repo of the tag.
type RepoBench struct {
	Admin *xmlrpc.Client
	Tag   string
	n     int
	last  int64
}

// NewRepoBench imports p000…p100 (noarch builds, with their SRPMs) as
// admin, and tags all but p100 into tag bench-build, the build tag of
// target bench, whose arches are x86_64.
func NewRepoBench(b *testing.B, admin *xmlrpc.Client) *RepoBench {
	b.Helper()
	var nvrs [][3]string
	for i := 0; i < 101; i++ {
		nvrs = append(nvrs, [3]string{fmt.Sprintf("p%03d", i), "1.0", "1"})
	}
	rpms := BuildRPMs(b, nvrs)
	ctx := context.Background()
	do := func(method string, args []any, kw map[string]any) {
		if _, err := admin.CallKw(ctx, method, args, kw); err != nil {
			b.Fatalf("%s: %v", method, err)
		}
	}
	do("createTag", []any{"bench-build"}, map[string]any{"arches": "x86_64"})
	do("createBuildTarget", []any{"bench", "bench-build", "bench-build"}, nil)
	for i, n := range nvrs {
		do("packageListAdd", []any{"bench-build", n[0], "kojiadmin"}, nil)
		for _, f := range []string{n[0] + "-1.0-1.src.rpm", n[0] + "-1.0-1.noarch.rpm"} {
			dir := fmt.Sprintf("bench/%d", i)
			if _, err := admin.Upload(ctx, xmlrpc.UploadChunk{Dir: dir, Name: f, Overwrite: true, Data: rpms[f]}); err != nil {
				b.Fatal(err)
			}
			do("importRPM", []any{dir, f}, nil)
		}
		if i < 100 {
			do("tagBuildBypass", []any{"bench-build", n[0] + "-1.0-1"}, nil)
		}
	}
	return &RepoBench{Admin: admin, Tag: "bench-build"}
}

// WaitFirst waits for the tag's first READY repo.
func (r *RepoBench) WaitFirst() { r.last = r.waitNewer(r.last) }

// Change tags p100 into the tag, or untags it every other call, and waits
// for the READY repo that follows.
func (r *RepoBench) Change(b *testing.B) {
	method := "tagBuildBypass"
	if r.n%2 == 1 {
		method = "untagBuildBypass"
	}
	r.n++
	if _, err := r.Admin.Call(context.Background(), method, r.Tag, "p100-1.0-1"); err != nil {
		b.Fatalf("%s: %v", method, err)
	}
	r.last = r.waitNewer(r.last)
}

// Last is the id of the newest READY repo seen.
func (r *RepoBench) Last() int64 { return r.last }

func (r *RepoBench) waitNewer(after int64) int64 {
	for {
		res, _ := r.Admin.Call(context.Background(), "getRepo", r.Tag)
		if rm, ok := res.(map[string]any); ok && rm["id"].(int64) > after {
			return rm["id"].(int64)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
