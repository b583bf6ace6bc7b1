// Package server is the hub's HTTP face: XML-RPC at /kojihub (and
// /kojihub/ssllogin), the topdir at /kojifiles/.
package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/api"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// Dispatcher runs one decoded call; *api.Dispatcher is the real one.
type Dispatcher interface {
	Handle(ctx context.Context, req *api.Request) (any, error)
}

// Server serves the hub over HTTP.
type Server struct {
	Dispatcher Dispatcher
	TopDir     string
	Limits     xmlrpc.Limits
	Log        logrus.FieldLogger
}

// Handler returns the hub's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/kojihub", s.serveRPC)
	mux.HandleFunc("/kojihub/", s.serveRPC) // /kojihub/ssllogin: same dispatcher
	files := http.StripPrefix("/kojifiles/", http.FileServer(http.Dir(s.TopDir)))
	mux.Handle("/kojifiles/", files)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "gokoji hub (Koji %s API)\nXML-RPC: /kojihub\nFiles: /kojifiles/\n", hub.KojiVersion)
	})
	return mux
}

func (s *Server) serveRPC(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Koji-Version", hub.KojiVersion)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		plain(w, http.StatusMethodNotAllowed, "Method Not Allowed\nThe Koji hub answers XML-RPC over POST only.\n")
		return
	}
	defer func() {
		// A bug must not cost the client a retry storm: answer with a fault.
		if p := recover(); p != nil {
			s.Log.WithField("panic", p).Error("panic while serving request")
			s.writeFault(w, &hub.Fault{Code: hub.CodeInternal, Msg: "<class 'Exception'>: internal server error"})
		}
	}()
	if r.Header.Get("Content-Type") == "application/octet-stream" {
		s.serveUpload(w, r)
		return
	}
	call, err := xmlrpc.DecodeCall(r.Body, s.Limits)
	if err != nil {
		switch {
		case errors.Is(err, xmlrpc.ErrTooLarge), errors.Is(err, xmlrpc.ErrTooDeep), errors.Is(err, xmlrpc.ErrDTD):
			s.writeFault(w, hub.GenericError("%v", err))
		case errors.Is(err, io.EOF) || r.ContentLength == 0:
			plain(w, http.StatusBadRequest, "Invalid request: Empty request\n")
		default:
			plain(w, http.StatusBadRequest, "Invalid request: "+err.Error()+"\n")
		}
		return
	}
	req := &api.Request{Method: call.Method, Params: call.Params, RemoteIP: remoteIP(r), CertUser: certUser(r.TLS),
		SSLLogin: strings.HasSuffix(r.URL.Path, "/ssllogin")}
	creds, err := credentials(r)
	if err != nil {
		req.SetCredsError(err)
	}
	req.Creds = creds
	s.respond(w, r, req)
}

// respond runs a request through the dispatcher and writes its answer.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, req *api.Request) {
	result, err := s.Dispatcher.Handle(r.Context(), req)
	if err != nil {
		f := hub.AsFault(err)
		if f.Code == hub.CodeInternal {
			s.Log.WithError(err).WithField("method", req.Method).Error("request failed")
		}
		s.writeFault(w, f)
		return
	}
	doc, err := xmlrpc.MarshalResponse(result)
	if err != nil {
		s.Log.WithError(err).WithField("method", req.Method).Error("cannot encode result")
		s.writeFault(w, &hub.Fault{Code: hub.CodeInternal, Msg: fmt.Sprintf("<class 'TypeError'>: %v", err)})
		return
	}
	writeXML(w, doc)
}

// serveUpload hands a raw upload (query parameters, body = the chunk) to the
// dispatcher, which checks the session and writes the chunk under work/.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.writeFault(w, hub.GenericError("invalid upload query: %v", err))
		return
	}
	req := &api.Request{Method: "rawUpload", RemoteIP: remoteIP(r), CertUser: certUser(r.TLS),
		Upload: &api.Upload{Query: q, Body: r.Body}}
	creds, err := credentials(r)
	if err != nil {
		req.SetCredsError(err)
	}
	req.Creds = creds
	s.respond(w, r, req)
}

func (s *Server) writeFault(w http.ResponseWriter, f *hub.Fault) {
	var buf bytes.Buffer
	if err := xmlrpc.EncodeFault(&buf, &xmlrpc.Fault{Code: f.Code, String: f.Msg}); err != nil {
		plain(w, http.StatusInternalServerError, "cannot encode fault\n")
		return
	}
	writeXML(w, &buf)
}

// document is an encoded XML-RPC document: a bytes.Buffer, or an
// xmlrpc.Response kept in the encoder's chunks.
type document interface {
	Len() int
	io.WriterTo
}

func writeXML(w http.ResponseWriter, body document) {
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(body.Len()))
	w.WriteHeader(http.StatusOK)
	body.WriteTo(w)
}

func plain(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// credentials reads the session from the Koji-Session-* headers, or else from
// the query parameters that clients before Koji 1.31 send.
func credentials(r *http.Request) (api.Credentials, error) {
	h := r.Header
	if id := h.Get("Koji-Session-Id"); id != "" {
		callnum := h.Get("Koji-Session-Callnum")
		if callnum == "" {
			callnum = h.Get("Koji-Callnum")
		}
		return parseCreds(id, h.Get("Koji-Session-Key"), callnum)
	}
	q := r.URL.Query()
	if len(q) == 0 {
		return api.Credentials{}, nil
	}
	if !q.Has("session-id") {
		return api.Credentials{}, hub.AuthError("'session-id' not specified in session args")
	}
	if !q.Has("session-key") {
		return api.Credentials{}, hub.AuthError("'session-key' not specified in session args")
	}
	return parseCreds(q.Get("session-id"), q.Get("session-key"), q.Get("callnum"))
}

func parseCreds(id, key, callnum string) (api.Credentials, error) {
	sid, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return api.Credentials{}, hub.AuthError("Invalid session id: %q", id)
	}
	c := api.Credentials{Present: true, SessionID: sid, Key: key}
	if callnum != "" {
		n, err := strconv.ParseInt(callnum, 10, 64)
		if err != nil {
			return api.Credentials{}, hub.AuthError("Invalid callnum: '%s'", callnum)
		}
		c.Callnum = &n
	}
	return c, nil
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// certUser is the CN of a verified client certificate. The listener accepts
// certificates on every path; only sslLogin requires one.
func certUser(cs *tls.ConnectionState) string {
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.PeerCertificates) == 0 {
		return ""
	}
	return cs.PeerCertificates[0].Subject.CommonName
}
