package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"powchain/rpc"
)

// MaxRequestSize bounds a request body: a hex-encoded maximum-size block
// (2 MB) with room to spare.
const MaxRequestSize = 8 << 20

// handler runs one method. params are the positional parameters.
type handler func(ctx context.Context, params []json.RawMessage) (any, error)

type method struct {
	fn   handler
	help string // first line: "name arg1 [arg2]"; then a description
}

// Server is a JSON-RPC 2.0 server over HTTP (POST /) with HTTP basic
// authentication. Methods are registered before Serve; after that the
// method table is read-only, so the server needs no lock of its own.
type Server struct {
	methods    map[string]method
	user, pass string
	log        *slog.Logger
	http       *http.Server
}

// NewServer returns a server that accepts the given credentials.
func NewServer(user, password string, log *slog.Logger) *Server {
	s := &Server{methods: make(map[string]method), user: user, pass: password, log: log}
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	s.register("help", "help [command]\nLists the commands, or describes one.", s.help)
	return s
}

func (s *Server) register(name, help string, fn handler) {
	s.methods[name] = method{fn: fn, help: help}
}

// Serve answers requests on l until Shutdown. It returns nil after a
// shutdown.
func (s *Server) Serve(l net.Listener) error {
	if err := s.http.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting requests and waits (until ctx ends) for the
// running ones.
func (s *Server) Shutdown(ctx context.Context) error { return s.http.Shutdown(ctx) }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "JSON-RPC takes POST requests", http.StatusMethodNotAllowed)
		return
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="powchain"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestSize))
	if err != nil {
		writeJSON(w, rpc.Response{JSONRPC: "2.0", ID: json.RawMessage("null"),
			Error: rpc.NewError(rpc.CodeInvalidRequest, "request too large or unreadable: %v", err)})
		return
	}
	trimmed := strings.TrimSpace(string(body))
	if strings.HasPrefix(trimmed, "[") {
		s.serveBatch(w, r.Context(), body)
		return
	}
	if resp, ok := s.call(r.Context(), body); ok {
		writeJSON(w, resp)
	} else {
		w.WriteHeader(http.StatusNoContent) // a notification gets no answer
	}
}

func (s *Server) serveBatch(w http.ResponseWriter, ctx context.Context, body []byte) {
	var reqs []json.RawMessage
	if err := json.Unmarshal(body, &reqs); err != nil || len(reqs) == 0 {
		writeJSON(w, rpc.Response{JSONRPC: "2.0", ID: json.RawMessage("null"), Error: rpc.NewError(rpc.CodeParseError, "invalid batch")})
		return
	}
	var resps []rpc.Response
	for _, raw := range reqs {
		if resp, ok := s.call(ctx, raw); ok {
			resps = append(resps, resp)
		}
	}
	writeJSON(w, resps)
}

func (s *Server) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	return ok && subtle.ConstantTimeCompare([]byte(user), []byte(s.user)) == 1 &&
		subtle.ConstantTimeCompare([]byte(pass), []byte(s.pass)) == 1
}

// call runs one request; ok is false for a notification (no id).
func (s *Server) call(ctx context.Context, raw []byte) (resp rpc.Response, ok bool) {
	resp = rpc.Response{JSONRPC: "2.0", ID: json.RawMessage("null")}
	var req rpc.Request
	if err := json.Unmarshal(raw, &req); err != nil {
		resp.Error = rpc.NewError(rpc.CodeParseError, "parse error: %v", err)
		return resp, true
	}
	if req.ID != nil {
		resp.ID = req.ID
	}
	params, err := positional(req.Params)
	if err != nil {
		resp.Error = rpc.NewError(rpc.CodeInvalidParams, "%v", err)
		return resp, req.ID != nil
	}
	m, found := s.methods[req.Method]
	if !found {
		resp.Error = rpc.NewError(rpc.CodeMethodNotFound, "Method not found: %q", req.Method)
		return resp, req.ID != nil
	}
	result, err := s.run(ctx, req.Method, m.fn, params)
	if err != nil {
		resp.Error = asRPCError(err)
	} else if resp.Result, err = json.Marshal(result); err != nil {
		resp.Error = rpc.NewError(rpc.CodeInternalError, "encode result: %v", err)
	}
	return resp, req.ID != nil
}

// run calls a method, turning a panic into an internal error so that no
// request can take the node down.
func (s *Server) run(ctx context.Context, name string, fn handler, params []json.RawMessage) (result any, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("rpc method panicked", "method", name, "panic", r)
			err = rpc.NewError(rpc.CodeInternalError, "internal error in %s", name)
		}
	}()
	return fn(ctx, params)
}

func positional(raw json.RawMessage) ([]json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var params []json.RawMessage
	if err := json.Unmarshal(raw, &params); err != nil {
		return nil, errors.New("params must be an array of positional parameters")
	}
	return params, nil
}

func asRPCError(err error) *rpc.Error {
	var e *rpc.Error
	if errors.As(err, &e) {
		return e
	}
	return rpc.NewError(rpc.CodeMiscError, "%v", err)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func (s *Server) help(_ context.Context, params []json.RawMessage) (any, error) {
	var name string
	if err := optional(params, 0, &name); err != nil {
		return nil, err
	}
	if name != "" {
		m, ok := s.methods[name]
		if !ok {
			return nil, rpc.NewError(rpc.CodeInvalidParameter, "help: unknown command: %s", name)
		}
		return m.help, nil
	}
	var lines []string
	for _, m := range s.methods {
		lines = append(lines, strings.SplitN(m.help, "\n", 2)[0])
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n"), nil
}

// ---- parameter helpers ----

// required decodes positional parameter i into v.
func required(params []json.RawMessage, i int, name string, v any) error {
	if i >= len(params) || string(params[i]) == "null" {
		return rpc.NewError(rpc.CodeInvalidParams, "missing parameter %d (%s)", i+1, name)
	}
	if err := json.Unmarshal(params[i], v); err != nil {
		return rpc.NewError(rpc.CodeTypeError, "parameter %d (%s): %v", i+1, name, err)
	}
	return nil
}

// optional decodes parameter i into v when present, else leaves v alone.
func optional(params []json.RawMessage, i int, v any) error {
	if i >= len(params) || string(params[i]) == "null" {
		return nil
	}
	if err := json.Unmarshal(params[i], v); err != nil {
		return rpc.NewError(rpc.CodeTypeError, "parameter %d: %v", i+1, err)
	}
	return nil
}
