package api_test

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokoji/gokoji/hub/api"
	"github.com/gokoji/gokoji/hub/hubtest"
)

var (
	benchOnce sync.Once
	benchRPMs map[string][]byte
)

// BenchmarkImportRPMs imports 1,000 binary rpms (plus their source rpm) into
// a fresh hub per iteration and reports rpms/s: "import" times importRPM
// alone (the uploads are done first, untimed); "cli" times what `koji
// import` sends per file — raw upload, checkUpload, importRPM. The rpms are
// built once with rpmbuild from testdata/specs/bench-many.spec.
func BenchmarkImportRPMs(b *testing.B) {
	benchOnce.Do(func() { benchRPMs = hubtest.BuildSpec(b, "bench-many.spec", map[string]string{"npkgs": "1000"}) })
	var names []string
	for n := range benchRPMs {
		if !strings.HasSuffix(n, ".src.rpm") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	names = append([]string{"bench-1.0-1.src.rpm"}, names...)
	// Each run's files stay until the whole benchmark ends. Removing a
	// run's thousands of files just before the next run is timed slows the
	// next run's file creation (ext4 without a journal skips inodes freed in
	// the last seconds, one by one), which no real import sees.
	trees := b.TempDir()
	for _, mode := range []string{"import", "cli"} {
		for _, backend := range hubtest.Backends {
			b.Run(mode+"/"+string(backend), func(b *testing.B) {
				var elapsed time.Duration
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					top, err := os.MkdirTemp(trees, "hub")
					if err != nil {
						b.Fatal(err)
					}
					h := hubtest.Start(b, hubtest.OpenDB(b, backend), func(c *api.Config) { c.TopDir = top })
					admin := h.Admin(b)
					upload := func(dir, n string) {
						if _, err := admin.Upload(ctx, uploadChunk(dir, n, benchRPMs[n])); err != nil {
							b.Fatal(err)
						}
						if _, err := admin.Call(ctx, "checkUpload", dir, n); err != nil {
							b.Fatal(err)
						}
					}
					if mode == "import" {
						for j, n := range names {
							upload(fmt.Sprintf("cli-import/%d", j), n)
						}
					}
					b.StartTimer()
					start := time.Now()
					for j, n := range names {
						dir := fmt.Sprintf("cli-import/%d", j)
						if mode == "cli" {
							upload(dir, n)
						}
						if _, err := admin.Call(ctx, "importRPM", dir, n); err != nil {
							b.Fatal(err)
						}
					}
					elapsed += time.Since(start)
				}
				b.ReportMetric(float64(len(names)*b.N)/elapsed.Seconds(), "rpms/s")
			})
		}
	}
}
