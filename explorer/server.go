package explorer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"powchain/chain"
	"powchain/internal/httpcap"
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
	// MaxSubscribers caps concurrent /events streams. A stream holds a
	// connection but no running turn (below).
	MaxSubscribers int
	// MaxConnections caps the connections open at once, whatever they do
	// (idle between requests, sending, running, waiting for a turn,
	// holding an event stream). A connection beyond it takes the place of
	// the one idle longest between requests, which is closed: browsers
	// keep a few idle keep-alive connections after every page, and a
	// visitor who left should not lock out the next one. If none is idle,
	// the newcomer is answered HTTP 503 with a JSON error at once, before
	// anything of it is read, and closed; the connections already open
	// are served as before. It must exceed MaxSubscribers (New refuses it
	// otherwise), so that the event streams cannot hold every connection.
	MaxConnections int
	// MaxRunning requests are served at once (Bitcoin Core: rpcthreads,
	// which its REST interface shares); up to MaxQueued more wait for a
	// turn (rpcworkqueue), each at most MaxQueueWait, then it is answered
	// 503; a request that finds the queue full is answered 503 at once.
	// MaxQueueWait is at most half of WriteTimeout (withDefaults clamps
	// it), so a request that waited the whole of it can still be answered.
	// Event streams take no turn: MaxSubscribers bounds them.
	MaxRunning, MaxQueued int
	MaxQueueWait          time.Duration
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
		MaxConnections:    128,
		MaxRunning:        16,
		MaxQueued:         64,
		MaxQueueWait:      10 * time.Second,
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
	pick(&l.MaxQueueWait, d.MaxQueueWait)
	l.MaxQueueWait = min(l.MaxQueueWait, l.WriteTimeout/2)
	for _, f := range []struct{ v, def *int }{
		{&l.MaxHeaderBytes, &d.MaxHeaderBytes}, {&l.MaxSubscribers, &d.MaxSubscribers},
		{&l.MaxConnections, &d.MaxConnections}, {&l.MaxRunning, &d.MaxRunning}, {&l.MaxQueued, &d.MaxQueued},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
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
	// conns caps the open connections (Serve wraps its listener with
	// it, and it hears of idle ones through http.Server.ConnState);
	// turns the requests running and waiting. Both are internal/httpcap's
	// and safe for concurrent use.
	conns *httpcap.Conns
	turns *httpcap.Gate
	mux   *http.ServeMux
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
	if lim.MaxConnections <= lim.MaxSubscribers {
		return nil, fmt.Errorf("explorer: Limits.MaxConnections (%d) must exceed MaxSubscribers (%d), or the event streams could hold every connection",
			lim.MaxConnections, lim.MaxSubscribers)
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Server{src: &cfg.Source, log: cfg.Log, limits: lim, hub: newHub(lim.MaxSubscribers), mux: http.NewServeMux(), ctx: ctx, stop: stop}
	s.conns = httpcap.NewConns(lim.MaxConnections, s.refuseConn)
	s.turns = httpcap.NewGate(lim.MaxRunning, lim.MaxQueued)
	s.routes(cfg.Metrics)
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		ReadTimeout:       lim.ReadTimeout,
		WriteTimeout:      lim.WriteTimeout,
		IdleTimeout:       lim.IdleTimeout,
		MaxHeaderBytes:    lim.MaxHeaderBytes,
		ConnState:         s.conns.ConnState, // a newcomer over the cap takes an idle connection's place
		ErrorLog:          slog.NewLogLogger(cfg.Log.Handler(), slog.LevelDebug),
	}
	s.http.RegisterOnShutdown(s.hub.close)
	return s, nil
}

// HandleChainNotification feeds /events; it never blocks (the hub drops
// events for subscribers that fall behind).
func (s *Server) HandleChainNotification(n chain.Notification) { s.hub.onChain(n) }

// Serve answers requests on l until Shutdown (at most
// Limits.MaxConnections connections at once), and watches the mempool for
// accepted transactions meanwhile. It returns nil after a shutdown.
func (s *Server) Serve(l net.Listener) error {
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		s.hub.watchMempool(s.ctx, s.src.Mempool)
	}()
	err := s.http.Serve(s.conns.Listen(l))
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

// ServeHTTP enforces the read-only contract and the body limit, gives every
// request but an event stream a running turn (takeTurn), and turns a panic
// into a 500 answer instead of a dropped connection.
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
	// Only GET and HEAD get here, so the path alone names the route.
	if r.URL.Path != eventsPath { // a stream lives long and costs little: MaxSubscribers bounds it
		if err := s.takeTurn(r); err != nil {
			s.fail(w, r, err)
			return
		}
		defer s.turns.Leave()
	}
	s.mux.ServeHTTP(w, r)
}

// takeTurn waits for a running turn (Limits.MaxRunning), in the queue
// (MaxQueued) at most MaxQueueWait; an error is the 503 to answer. A
// request takes a free turn at once, whatever its context says; one whose
// client goes away while it waits gives up its place.
func (s *Server) takeTurn(r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), s.limits.MaxQueueWait)
	defer cancel()
	switch err := s.turns.Enter(ctx); {
	case err == nil:
		return nil
	case errors.Is(err, httpcap.ErrFull):
		return &apiError{Status: http.StatusServiceUnavailable, Message: fmt.Sprintf(
			"too many requests: %d running and %d waiting, the limit; try again later", s.limits.MaxRunning, s.limits.MaxQueued)}
	case errors.Is(err, context.DeadlineExceeded):
		return &apiError{Status: http.StatusServiceUnavailable, Message: fmt.Sprintf(
			"too many requests: waited %v for one of the %d running to finish; try again later", s.limits.MaxQueueWait, s.limits.MaxRunning)}
	default:
		return &apiError{Status: http.StatusServiceUnavailable, Message: "request not run: the client went away while it waited for a turn"}
	}
}

// refuseConn answers c, a connection over Limits.MaxConnections, with HTTP
// 503 and the JSON error every API error has (nothing of the request is
// read, so its path cannot choose a page instead); httpcap closes it.
func (s *Server) refuseConn(c net.Conn) {
	body, _ := json.Marshal(errorBody{Status: http.StatusServiceUnavailable, Error: fmt.Sprintf(
		"too many connections: %d open, the limit; try again later", s.limits.MaxConnections)})
	body = append(body, '\n')
	now := s.src.Clock.Now()
	resp := &http.Response{
		StatusCode: http.StatusServiceUnavailable, ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json"}, "X-Content-Type-Options": {"nosniff"},
			"Date": {now.UTC().Format(http.TimeFormat)}},
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Close: true,
	}
	c.SetWriteDeadline(now.Add(httpcap.RefuseWriteTimeout))
	bw := bufio.NewWriterSize(c, 512)
	if resp.Write(bw) == nil {
		bw.Flush()
	}
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
