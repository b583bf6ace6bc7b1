package builderd

import (
	"context"
	"sync"

	"github.com/gokoji/gokoji/hub/kojiclient"
)

// sessionHub serialises calls on one hub session: the hub checks that call
// numbers only grow, and tasks run in parallel.
type sessionHub struct {
	mu sync.Mutex
	s  *kojiclient.Session
}

// NewSessionHub adapts a logged-in session for the daemon.
func NewSessionHub(s *kojiclient.Session) Hub { return &sessionHub{s: s} }

func (h *sessionHub) Call(ctx context.Context, method string, params ...any) (any, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.s.Call(ctx, method, params...)
}

func (h *sessionHub) CallKw(ctx context.Context, method string, params []any, kw map[string]any) (any, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.s.CallKw(ctx, method, params, kw)
}

func (h *sessionHub) UploadAt(ctx context.Context, dir, name string, offset int64, data []byte) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.s.UploadAt(ctx, dir, name, offset, data)
}
