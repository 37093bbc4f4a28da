package explorer

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"time"

	"powchain/chain"
)

// Limits bound what one client can hold of the server. Zero fields take
// the defaults of DefaultLimits.
type Limits struct {
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	// WriteTimeout bounds every response but the event stream, whose
	// writes each get EventWriteTimeout instead.
	WriteTimeout      time.Duration
	EventWriteTimeout time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	// MaxSubscribers caps concurrent /events streams.
	MaxSubscribers int
}

// DefaultLimits are the limits of the node's HTTP server.
func DefaultLimits() Limits {
	return Limits{
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		EventWriteTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    16 << 10,
		MaxSubscribers:    32,
	}
}

// MaxBodyBytes: the server is read-only, so a request carries no body
// worth reading; a larger one is refused.
const MaxBodyBytes = 1 << 10

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	pick := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	pick(&l.ReadHeaderTimeout, d.ReadHeaderTimeout)
	pick(&l.ReadTimeout, d.ReadTimeout)
	pick(&l.WriteTimeout, d.WriteTimeout)
	pick(&l.EventWriteTimeout, d.EventWriteTimeout)
	pick(&l.IdleTimeout, d.IdleTimeout)
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if l.MaxSubscribers <= 0 {
		l.MaxSubscribers = d.MaxSubscribers
	}
	return l
}

// Config configures a Server.
type Config struct {
	Source Source
	Log    *slog.Logger
	Limits Limits
	// Metrics, if set, serves /metrics.
	Metrics http.Handler
}

// Server is the node's HTTP interface: REST, events, metrics and the
// explorer's pages. Its routes are fixed by New; after that it holds no
// mutable state of its own but the event hub (which has its own lock).
type Server struct {
	src    *Source
	log    *slog.Logger
	limits Limits
	hub    *hub
	http   *http.Server
	mux    *http.ServeMux
	// pages are the parsed page templates, read-only after New.
	pages map[string]*template.Template
	// stop ends the mempool watcher at shutdown.
	stop context.CancelFunc
	ctx  context.Context
}

// New builds the server, or fails if cfg lacks a part of its Source or the
// logger. The server hears of chain changes through
// HandleChainNotification, which the caller subscribes (after the
// mempool's).
func New(cfg Config) (*Server, error) {
	src := cfg.Source
	if src.Chain == nil || src.Mempool == nil || src.Net == nil || src.Clock == nil || cfg.Log == nil {
		return nil, errors.New("explorer: Config needs Source.Chain, Source.Mempool, Source.Net, Source.Clock and Log")
	}
	lim := cfg.Limits.withDefaults()
	ctx, stop := context.WithCancel(context.Background())
	s := &Server{src: &cfg.Source, log: cfg.Log, limits: lim, hub: newHub(lim.MaxSubscribers), mux: http.NewServeMux(), ctx: ctx, stop: stop}
	s.routes(cfg.Metrics)
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		ReadTimeout:       lim.ReadTimeout,
		WriteTimeout:      lim.WriteTimeout,
		IdleTimeout:       lim.IdleTimeout,
		MaxHeaderBytes:    lim.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(cfg.Log.Handler(), slog.LevelDebug),
	}
	s.http.RegisterOnShutdown(s.hub.close)
	return s, nil
}

// HandleChainNotification feeds /events; it never blocks (the hub drops
// events for subscribers that fall behind).
func (s *Server) HandleChainNotification(n chain.Notification) { s.hub.onChain(n) }

// Serve answers requests on l until Shutdown, and watches the mempool for
// accepted transactions meanwhile. It returns nil after a shutdown.
func (s *Server) Serve(l net.Listener) error {
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		s.hub.watchMempool(s.ctx, s.src.Mempool)
	}()
	err := s.http.Serve(l)
	s.stop()
	<-watched
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown ends every event stream, stops accepting requests and waits
// (until ctx ends) for the running ones.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stop()
	return s.http.Shutdown(ctx)
}

// ServeHTTP enforces the read-only contract and the body limit, and turns
// a panic into a 500 answer instead of a dropped connection.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("HTTP handler panicked", "path", r.URL.Path, "panic", p)
			s.fail(w, r, &apiError{Status: http.StatusInternalServerError, Message: "internal error"})
		}
	}()
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self' data:")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		s.fail(w, r, &apiError{Status: http.StatusMethodNotAllowed, Message: "this server is read-only: only GET and HEAD requests are served"})
		return
	}
	if r.ContentLength > MaxBodyBytes {
		s.fail(w, r, &apiError{Status: http.StatusRequestEntityTooLarge, Message: "requests to this server carry no body"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	s.mux.ServeHTTP(w, r)
}

// fail answers with an error: JSON under /rest/ and /events, a page
// elsewhere.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	msg := err.Error()
	if status == http.StatusInternalServerError {
		s.log.Error("HTTP request failed", "path", r.URL.Path, "err", err)
		msg = "internal error: " + msg
	}
	if isAPIPath(r.URL.Path) {
		writeJSONStatus(w, status, errorBody{Error: msg, Status: status})
		return
	}
	s.errorPage(w, status, msg)
}

// errorBody is the JSON of every error answer.
type errorBody struct {
	Error  string `json:"error"`
	Status int    `json:"status"`
}

func writeJSON(w http.ResponseWriter, v any) { writeJSONStatus(w, http.StatusOK, v) }

func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// AddressFile is the file in the node's network folder holding host:port
// of its HTTP interface while it runs (like rpc.AddressFile).
const AddressFile = "http.address"
