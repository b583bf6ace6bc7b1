package kojicli

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// pyError is a Python exception the CLI would let through to its top level,
// which logs it as "ClassName: message".
type pyError struct{ class, msg string }

func (e *pyError) Error() string { return e.class + ": " + e.msg }

func (o *ordered) get(k string) any {
	for i, key := range o.keys {
		if key == k {
			return o.vals[i]
		}
	}
	return nil
}

// formatTimeLong is koji.formatTimeLong: "Sat, 21 Nov 2026 05:27:39 UTC" in
// local time, "" for no time.
func formatTimeLong(v any) string {
	var t time.Time
	switch x := v.(type) {
	case float64:
		t = time.Unix(int64(x), int64((x-float64(int64(x)))*1e9))
	case int64:
		t = time.Unix(x, 0)
	case string:
		if x == "" {
			return ""
		}
		p, err := time.ParseInLocation("2006-01-02 15:04:05", strings.SplitN(x, ".", 2)[0], time.Local)
		if err != nil {
			return x
		}
		t = p
	default:
		return ""
	}
	return t.Local().Format("Mon, 02 Jan 2006 15:04:05 MST")
}

// formatSize is _format_size.
func formatSize(n float64) string {
	switch {
	case n/1073741824 >= 1:
		return fmt.Sprintf("%0.2f GiB", n/1073741824)
	case n/1048576 >= 1:
		return fmt.Sprintf("%0.2f MiB", n/1048576)
	case n/1024 >= 1:
		return fmt.Sprintf("%0.2f KiB", n/1024)
	}
	return fmt.Sprintf("%0.2f B", n)
}

// formatSecs is _format_secs.
func formatSecs(t float64) string {
	h := int(t / 3600)
	t = float64(int(t) % 3600)
	return fmt.Sprintf("%02d:%02d:%02d", h, int(t/60), int(t)%60)
}

// downloadProgress is _download_progress.
func (a *app) downloadProgress(total, done, size int64) {
	pct, pctStr := 0.0, "???%"
	if total != 0 {
		pct = float64(done) / float64(total)
		pctStr = fmt.Sprintf("%3d%%", int(pct*100))
	}
	data := formatSize(float64(done))
	if size != 0 {
		data = data + " / " + formatSize(float64(size))
	}
	a.printf("[%-36s] %4s %10s\r", strings.Repeat("=", int(pct*36)), pctStr, data)
}

// uploadProgress is _progress_callback, fed by kojiclient's Upload.
func (a *app) uploadProgress() func(done, total int64, elapsed time.Duration) {
	var lastDone int64
	var lastT time.Duration
	return func(done, total int64, elapsed time.Duration) {
		pct := 0.0
		if total != 0 {
			pct = float64(done) / float64(total)
		}
		piece, dt := done-lastDone, (elapsed - lastT).Seconds()
		lastDone, lastT = done, elapsed
		speed := "- B/sec"
		if dt > 0 {
			if done != total {
				speed = formatSize(float64(piece)/dt) + "/sec"
			} else if elapsed > 0 {
				speed = formatSize(float64(total)/elapsed.Seconds()) + "/sec"
			}
		}
		a.printf("[%-36s] %4s %8s %10s %14s\r", strings.Repeat("=", int(pct*36)), fmt.Sprintf("%02d%%", int(pct*100)),
			formatSecs(elapsed.Seconds()), formatSize(float64(done)), speed)
	}
}

// downloadFile is download_file: fetch url into relpath, resuming a
// partial file when the expected size is known, with "Downloading …" and a
// progress meter unless quiet.
func (a *app) downloadFile(url, relpath string, quiet, noprogress bool, size, num int, filesize int64) error {
	if strings.Contains(relpath, "/") {
		if err := os.MkdirAll(filepath.Dir(relpath), 0o755); err != nil {
			return err
		}
	}
	if !quiet {
		if size != 0 && num != 0 {
			a.printf("Downloading [%d/%d]: %s\n", num, size, relpath)
		} else {
			a.printf("Downloading: %s\n", relpath)
		}
	}
	hc := &http.Client{Timeout: 0}
	if filesize == 0 {
		req, _ := http.NewRequestWithContext(a.ctx, http.MethodHead, url, nil)
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 && resp.ContentLength > 0 {
				filesize = resp.ContentLength
			}
		}
	}
	var f *os.File
	var pos int64
	var err error
	req, _ := http.NewRequestWithContext(a.ctx, http.MethodGet, url, nil)
	if filesize != 0 {
		f, err = os.OpenFile(relpath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		st, _ := f.Stat()
		pos = st.Size()
		if pos != 0 {
			if pos == filesize {
				f.Close()
				if !quiet {
					a.printf("File %s already downloaded, skipping\n", relpath)
				}
				return nil
			}
			if !quiet {
				a.printf("Appending to existing file %s\n", relpath)
			}
			req.Header.Set("Range", "bytes="+strconv.FormatInt(pos, 10)+"-")
		}
	} else if f, err = os.Create(relpath); err != nil {
		return err
	}
	var mtime time.Time
	resp, err := hc.Do(req)
	if err != nil {
		f.Close()
		if pos == 0 {
			os.Remove(relpath)
		}
		return &pyError{"ConnectionError", err.Error()}
	}
	defer resp.Body.Close()
	if resp.StatusCode == 200 || resp.StatusCode == 416 {
		f.Close()
		if f, err = os.Create(relpath); err != nil {
			return err
		}
		pos = 0
	}
	if resp.StatusCode >= 400 {
		f.Close()
		if pos == 0 {
			os.Remove(relpath)
		}
		kind := "Client"
		if resp.StatusCode >= 500 {
			kind = "Server"
		}
		return &pyError{"HTTPError", fmt.Sprintf("%d %s Error: %s for url: %s", resp.StatusCode, kind,
			http.StatusText(resp.StatusCode), url)}
	}
	length := filesize
	if length == 0 && resp.ContentLength > 0 {
		length = resp.ContentLength
	}
	buf := make([]byte, 1<<20)
	for {
		n, rerr := io.ReadFull(resp.Body, buf)
		if n > 0 {
			if _, err := f.Write(buf[:n]); err != nil {
				f.Close()
				return err
			}
			pos += int64(n)
			if !(quiet || noprogress) {
				a.downloadProgress(length, pos, filesize)
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			f.Close()
			return &pyError{"ConnectionError", rerr.Error()}
		}
	}
	if length == 0 && !(quiet || noprogress) {
		a.downloadProgress(pos, pos, filesize)
	}
	if lm := resp.Header.Get("Last-Modified"); lm != "" {
		mtime, _ = http.ParseTime(lm)
	}
	f.Close()
	if pos == 0 {
		os.Remove(relpath)
	} else if !mtime.IsZero() {
		os.Chtimes(relpath, time.Now(), mtime)
	}
	if !(quiet || noprogress) {
		a.println()
	}
	return nil
}
