package builderd

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"time"
)

// streamLogs uploads what is new in each log file of dir every interval, so
// koji watch-logs follows a live build, and once more when ctx ends. It
// returns when the final upload is done.
func (d *Daemon) streamLogs(ctx context.Context, t *Task, dir string, names []string) func() {
	stop := make(chan struct{})
	done := make(chan struct{})
	sent := map[string]int64{}
	flush := func(ctx context.Context) {
		for _, n := range names {
			d.uploadNew(ctx, t, filepath.Join(dir, n), n, sent)
		}
	}
	interval := d.Config.LogInterval
	if interval <= 0 {
		interval = 2 * time.Second
	}
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				flush(ctx)
			case <-stop:
				flush(context.Background())
				return
			}
		}
	}()
	return func() {
		close(stop)
		<-done
	}
}

// uploadNew sends the bytes of path past what was sent before.
func (d *Daemon) uploadNew(ctx context.Context, t *Task, path, name string, sent map[string]int64) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	off := sent[name]
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return
	}
	buf := make([]byte, 1<<20)
	for {
		n, rerr := f.Read(buf)
		if n > 0 {
			if err := d.Hub.UploadAt(ctx, t.Uploads, name, off, buf[:n]); err != nil {
				d.Log.WithError(err).WithField("task", t.ID).Warn("log upload failed; will retry")
				return
			}
			off += int64(n)
			sent[name] = off
		}
		if rerr != nil {
			return
		}
	}
}
