package server

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"powchain/internal/httpcap"
	"powchain/rpc"
)

// MaxRequestSize bounds a request body: a hex-encoded maximum-size block
// (2 MB) with room to spare.
const MaxRequestSize = 8 << 20

// Limits bound what requests can make the node do at once. The zero value
// of a field means its default (DefaultLimits).
type Limits struct {
	// MaxBatchCalls caps the calls in one batch.
	MaxBatchCalls int
	// MaxReplyBytes caps the encoded size of one reply (a whole batch
	// counts as one reply). Results are counted as they are encoded and
	// encoding stops at the first one that goes over, so no reply larger
	// than this is ever held in memory.
	MaxReplyBytes int
	// MaxRunning requests run at once (Bitcoin Core: rpcthreads); up to
	// MaxQueued more wait for a turn (rpcworkqueue); beyond that a request
	// is refused with HTTP 503.
	MaxRunning, MaxQueued int
	// FailedAuthDelay is how long the answer to a request with wrong
	// credentials waits (Bitcoin Core: 250 ms). At most FailedAuthSlots
	// such answers wait at once; further failures queue behind them, so
	// wrong guesses cannot be made faster than FailedAuthSlots per delay
	// however many connections try. Nothing the client does (closing its
	// connection or only its sending side) cuts a wait short; only
	// Shutdown does. Authenticated requests never wait on them.
	FailedAuthDelay time.Duration
	FailedAuthSlots int
	// MaxConnections caps the connections open at once, whatever they
	// do (idle, sending, running, waiting for a turn or for a refusal's
	// delay), so that no client can make the node hold sockets and
	// goroutines without bound. A connection beyond it is answered HTTP
	// 503 at once, before any of its request is read (so the answer says
	// nothing about credentials), and closed. The connections already
	// open are served as before.
	MaxConnections int
}

// DefaultLimits are the limits a node runs with (docs/RPC.md).
func DefaultLimits() Limits {
	return Limits{
		MaxBatchCalls:   1000,
		MaxReplyBytes:   32 << 20,
		MaxRunning:      16,
		MaxQueued:       64,
		FailedAuthDelay: 250 * time.Millisecond,
		FailedAuthSlots: 4,
		MaxConnections:  128,
	}
}

// withDefaults fills the zero fields of l from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	for _, f := range []struct{ v, def *int }{
		{&l.MaxBatchCalls, &d.MaxBatchCalls}, {&l.MaxReplyBytes, &d.MaxReplyBytes},
		{&l.MaxRunning, &d.MaxRunning}, {&l.MaxQueued, &d.MaxQueued}, {&l.FailedAuthSlots, &d.FailedAuthSlots},
		{&l.MaxConnections, &d.MaxConnections},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	if l.FailedAuthDelay <= 0 {
		l.FailedAuthDelay = d.FailedAuthDelay
	}
	return l
}

// handler runs one method. params are the positional parameters.
type handler func(ctx context.Context, params []json.RawMessage) (any, error)

type method struct {
	fn   handler
	help string // first line: "name arg1 [arg2]"; then a description
	// maxParams is how many parameters the method takes at most (its
	// help's arguments); a call with more is refused, as Bitcoin Core
	// refuses one, rather than run without them.
	maxParams int
}

// Server is a JSON-RPC 2.0 server over HTTP (POST /) with HTTP basic
// authentication. Methods and limits are set before Serve; after that they
// are read-only, so the server needs no lock of its own: the admission
// channels below, and the stopping context that Shutdown ends, are its only
// shared state.
type Server struct {
	methods    map[string]method
	user, pass string
	log        *slog.Logger
	http       *http.Server

	limits Limits
	// turns admits requests: MaxRunning running, MaxQueued waiting;
	// failedAuth holds a token for every failed authentication waiting out
	// its delay; conns caps the open connections (conns.go). turns and
	// conns are internal/httpcap's, which the explorer's server uses too.
	turns      *httpcap.Gate
	failedAuth chan struct{}
	conns      *httpcap.Conns
	// wait waits d or until ctx ends; tests replace it.
	wait func(ctx context.Context, d time.Duration)
	// stopping ends when Shutdown begins (stop ends it): it bounds the
	// waits that a request's own context must not cut short, a refusal's.
	stopping context.Context
	stop     context.CancelFunc
	// observe, if set, is told of every call (metrics); see SetObserver.
	observe func(method string) (done func(failed bool))

	// authHeader is the Authorization header of the right credentials as
	// clients send it; the fast path serves only requests that carry it.
	authHeader []byte
	// fast tracks the connections the fast path serves (fast.go).
	fast *fastConns
	// now is the wall clock, for what HTTP ties to it as net/http does:
	// the Date header and connection deadlines.
	now func() time.Time
	// probeEvery is how often a client whose input has ended is asked
	// whether it is still there while its calls run (watch.go).
	probeEvery time.Duration
}

// NewServer returns a server that accepts the given credentials, with
// DefaultLimits, or an error if a credential or the logger is missing (an
// empty user and password would let anyone in).
func NewServer(user, password string, log *slog.Logger) (*Server, error) {
	if user == "" || password == "" || log == nil {
		return nil, errors.New("server: NewServer needs a user, a password and a logger")
	}
	s := &Server{methods: make(map[string]method), user: user, pass: password, log: log, wait: waitFor,
		authHeader: []byte("Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))),
		fast:       newFastConns(), now: time.Now, probeEvery: defaultProbeEvery}
	s.http = &http.Server{
		Handler:           s,
		ConnContext:       withConn,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	s.stopping, s.stop = context.WithCancel(context.Background())
	s.SetLimits(DefaultLimits())
	s.register("help", s.help)
	return s, nil
}

// SetLimits replaces the limits (zero fields take their default). Call it
// before Serve.
func (s *Server) SetLimits(l Limits) {
	s.limits = l.withDefaults()
	s.turns = httpcap.NewGate(s.limits.MaxRunning, s.limits.MaxQueued)
	s.failedAuth = make(chan struct{}, s.limits.FailedAuthSlots)
	s.conns = httpcap.NewConns(s.limits.MaxConnections, s.refuseConn)
}

// SetObserver makes the server tell observe of every call it decodes, when
// it starts (with the method name as sent) and, through the function
// observe returns, when it ends and whether it failed. The node times calls
// with its clock this way. observe runs on the request's goroutine and must
// be safe for concurrent use. Call it before Serve.
func (s *Server) SetObserver(observe func(method string) (done func(failed bool))) {
	s.observe = observe
}

// HasMethod reports whether method is registered.
func (s *Server) HasMethod(method string) bool {
	_, ok := s.methods[method]
	return ok
}

func waitFor(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// register offers a method; its help comes from methodDocs.
func (s *Server) register(name string, fn handler) {
	s.methods[name] = method{fn: fn, help: methodDocs[name].text(name), maxParams: len(methodDocs[name].params)}
}

// Serve answers requests on l until Shutdown. It returns nil after a
// shutdown.
// Connections are read by the fast path first (fast.go), which hands them
// to net/http at their first request it does not serve itself.
func (s *Server) Serve(l net.Listener) error {
	fl := newFastListener(s, s.conns.Listen(l))
	err := s.http.Serve(fl)
	fl.Close()
	fl.wait()
	if !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting requests, closes idle connections and waits
// (until ctx ends) for the running requests. Refusals of wrong
// credentials still waiting are answered at once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stop()
	err := s.http.Shutdown(ctx)
	if fastErr := s.fast.shutdown(ctx); err == nil {
		err = fastErr
	}
	return err
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "JSON-RPC takes POST requests", http.StatusMethodNotAllowed)
		return
	}
	if !s.authorized(r) {
		s.refuseAuth(w)
		return
	}
	if refused := s.admit(r.Context()); refused != nil {
		writeJSON(w, http.StatusServiceUnavailable, errorResponse(nil, refused))
		return
	}
	defer s.release()
	body, err := readBody(http.MaxBytesReader(w, r.Body, MaxRequestSize), r.ContentLength)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeJSON(w, http.StatusOK, errorResponse(nil, rpc.NewError(rpc.CodeInvalidRequest,
			"request too large: the limit is %d MiB", MaxRequestSize>>20)))
		return
	case err != nil:
		writeJSON(w, http.StatusOK, errorResponse(nil, rpc.NewError(rpc.CodeInvalidRequest,
			"request body could not be read: the connection failed or the client stopped sending")))
		return
	}
	ctx, callsDone := s.watchClient(w, r)
	a := s.answerBody(ctx, body)
	callsDone()
	a.writeTo(w)
}

// bodyPresize bounds the buffer readBody allocates before any of the body
// has arrived, so that a Content-Length alone cannot make the node
// allocate much.
const bodyPresize = 64 << 10

// readBody reads r to the end like io.ReadAll, into a buffer sized at
// once to the length the request declares when that is not large (one
// allocation and no copy for an ordinary request); a larger body grows the
// buffer as it arrives.
func readBody(r io.Reader, declared int64) ([]byte, error) {
	body := make([]byte, 0, min(max(declared, 0), bodyPresize)+1)
	for {
		n, err := r.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if err == io.EOF {
			return body, nil
		}
		if err != nil {
			return body, err
		}
		if len(body) == cap(body) {
			body = append(body, 0)[:len(body)]
		}
	}
}

// refuseAuth answers a request with wrong or missing credentials after
// FailedAuthDelay, holding one of FailedAuthSlots meanwhile, and closes
// the connection so that every guess costs a new one. The wait runs on the
// connection's own goroutine: no goroutine or worker slot is spent on it.
//
// Only Shutdown cuts the waits short, never the request's context:
// net/http ends that when the client closes its sending side after the
// request, and a client that could end the wait so would learn that its
// guess was wrong at once (from an early 401, or from no answer at all).
// So the 401 always goes, after the whole wait; to a client that is gone,
// the write fails harmlessly.
func (s *Server) refuseAuth(w http.ResponseWriter) {
	select {
	case s.failedAuth <- struct{}{}:
		s.wait(s.stopping, s.limits.FailedAuthDelay)
		<-s.failedAuth
	case <-s.stopping.Done():
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="powchain"`)
	w.Header().Set("Connection", "close")
	http.Error(w, "unauthorized", http.StatusUnauthorized)
}

// admit waits for a turn to run (MaxRunning at once), queueing behind at
// most MaxQueued others. A free turn is taken whatever ctx says (net/http
// ends a request's context when the client closes its sending side, and
// such a client still reads its answer); only a request still waiting in
// the queue when ctx ends gives up its place. nil means the request runs
// and release must be called when it is done; otherwise the error, for the
// client, says why it does not run: the queue is full, or it gave up.
func (s *Server) admit(ctx context.Context) *rpc.Error {
	switch err := s.turns.Enter(ctx); {
	case err == nil:
		return nil
	case errors.Is(err, httpcap.ErrFull):
		return rpc.NewError(rpc.CodeMiscError,
			"Work queue depth exceeded: %d requests running and %d waiting; try again later", s.limits.MaxRunning, s.limits.MaxQueued)
	default:
		return rpc.NewError(rpc.CodeMiscError,
			"Request not run: the client closed the connection, or its sending side, while the request waited for a turn (%d requests running)", s.limits.MaxRunning)
	}
}

// release ends a turn that admit gave.
func (s *Server) release() { s.turns.Leave() }

// answer is what a request's calls give: its reply, or one error object
// in the reply's place.
type answer struct {
	rb      reply
	batch   bool
	failure *rpc.Response
}

// answerBody runs the call or batch of calls in body.
func (s *Server) answerBody(ctx context.Context, body []byte) answer {
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '[' {
		return s.answerBatch(ctx, body)
	}
	resp, ok := s.call(ctx, body)
	if !ok {
		return answer{rb: s.newReply()} // a notification gets no answer
	}
	return s.answerOne(resp)
}

// answerOne is the answer to a single call.
func (s *Server) answerOne(resp rpc.Response) answer {
	a := answer{rb: s.newReply()}
	if !a.rb.add(resp) {
		return failed(resp.ID, a.rb.tooLarge())
	}
	return a
}

func (s *Server) answerBatch(ctx context.Context, body []byte) answer {
	var reqs []json.RawMessage
	if err := json.Unmarshal(body, &reqs); err != nil {
		return failed(nil, requestError(body))
	}
	if len(reqs) == 0 {
		return failed(nil, rpc.NewError(rpc.CodeInvalidRequest, "Invalid Request: an empty batch holds no call"))
	}
	if len(reqs) > s.limits.MaxBatchCalls {
		return failed(nil, rpc.NewError(rpc.CodeInvalidRequest,
			"batch of %d calls exceeds the limit of %d calls per batch", len(reqs), s.limits.MaxBatchCalls))
	}
	a := answer{rb: s.newReply(), batch: true}
	for _, raw := range reqs {
		resp, ok := s.call(ctx, raw)
		if ok && !a.rb.add(resp) {
			return failed(nil, a.rb.tooLarge())
		}
	}
	return a
}

func failed(id json.RawMessage, e *rpc.Error) answer {
	resp := errorResponse(id, e)
	return answer{failure: &resp}
}

// writeTo sends the answer (HTTP 200, or 204 if it holds no response).
func (a answer) writeTo(w http.ResponseWriter) {
	if a.failure != nil {
		writeJSON(w, http.StatusOK, *a.failure)
		return
	}
	a.rb.writeTo(w, a.batch)
}

// reply accumulates the encoded responses of one request and refuses to
// grow past its limit. A response is kept as pieces (its start, the
// result as the method's encoding returned it, its end), so a result is
// never copied.
type reply struct {
	parts [][][]byte
	size  int
	limit int
}

func (s *Server) newReply() reply { return reply{limit: s.limits.MaxReplyBytes} }

// add encodes resp into the reply; false (and nothing added) if the reply
// would exceed its limit. The caller then drops the reply.
func (r *reply) add(resp rpc.Response) bool {
	pieces := encodeResponse(resp)
	size := 1 // a separator or bracket per response
	for _, p := range pieces {
		size += len(p)
	}
	if r.size+size > r.limit {
		r.parts = nil
		return false
	}
	r.parts = append(r.parts, pieces)
	r.size += size
	return true
}

// encodeResponse is the JSON of resp in pieces. A result (valid JSON: the
// method's value as json.Marshal encoded it) is used as it is.
func encodeResponse(resp rpc.Response) [][]byte {
	if resp.Error != nil {
		b, _ := json.Marshal(resp) // cannot fail: an id and an error object
		return [][]byte{b}
	}
	start := append(append([]byte(`{"jsonrpc":"2.0","id":`), resp.ID...), `,"result":`...)
	return [][]byte{start, resp.Result, []byte("}")}
}

func (r *reply) tooLarge() *rpc.Error {
	return rpc.NewError(rpc.CodeInvalidRequest,
		"reply too large: it would exceed the limit of %d bytes per reply; ask for less at once (fewer calls per batch, a lower verbosity)", r.limit)
}

// writeTo sends the reply: a JSON array of the responses for a batch, else
// the single response; nothing (HTTP 204) if every call was a notification.
// Its length is known, so it goes with a Content-Length (never chunked) and
// net/http has nothing to count.
func (r *reply) writeTo(w http.ResponseWriter, batch bool) {
	if len(r.parts) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	length := r.size // each response's separator counted; the last one is the newline
	if batch {
		length += 2 // the brackets
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(length))
	if batch {
		w.Write([]byte{'['})
	}
	for i, pieces := range r.parts {
		if i > 0 {
			w.Write([]byte{','})
		}
		for _, p := range pieces {
			w.Write(p)
		}
	}
	if batch {
		w.Write([]byte{']'})
	}
	w.Write([]byte{'\n'})
}

func errorResponse(id json.RawMessage, e *rpc.Error) rpc.Response {
	if id == nil {
		id = json.RawMessage("null")
	}
	return rpc.Response{JSONRPC: "2.0", ID: id, Error: e}
}

func (s *Server) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	return ok && subtle.ConstantTimeCompare([]byte(user), []byte(s.user)) == 1 &&
		subtle.ConstantTimeCompare([]byte(pass), []byte(s.pass)) == 1
}

// call runs one request; ok is false for a notification (no id).
func (s *Server) call(ctx context.Context, raw []byte) (resp rpc.Response, ok bool) {
	resp = rpc.Response{JSONRPC: "2.0", ID: json.RawMessage("null")}
	req, err := decodeRequest(raw)
	if err != nil { // not a request object: answered, with a null id
		resp.Error = err
		return resp, true
	}
	return s.callRequest(ctx, req)
}

// callRequest runs a decoded request; ok is false for a notification: a
// JSON-RPC 2.0 request without an id (a JSON-RPC 1.x request has none, as
// in Bitcoin Core: it is answered under the id null). A request without a
// method, or with a jsonrpc member the server does not take, is no call
// and no notification: it is answered as an invalid request.
func (s *Server) callRequest(ctx context.Context, req request) (resp rpc.Response, ok bool) {
	resp = rpc.Response{JSONRPC: "2.0", ID: json.RawMessage("null")}
	if req.ID != nil {
		resp.ID = req.ID
	}
	v2, versionErr := jsonrpcVersion(req.JSONRPC)
	if versionErr != nil {
		resp.Error = versionErr
		return resp, true
	}
	answered := req.ID != nil || !v2
	if req.Method == "" {
		resp.Error = invalidRequest()
		return resp, true
	}
	if s.observe != nil {
		done := s.observe(req.Method)
		defer func() { done(resp.Error != nil) }()
	}
	if req.paramsErr != nil {
		resp.Error = req.paramsErr
		return resp, answered
	}
	m, found := s.methods[req.Method]
	if !found {
		resp.Error = rpc.NewError(rpc.CodeMethodNotFound, "Method not found: %q", req.Method)
		return resp, answered
	}
	if len(req.Params) > m.maxParams {
		resp.Error = tooManyParams(req.Method, m.maxParams, len(req.Params))
		return resp, answered
	}
	result, runErr := s.run(ctx, req.Method, m.fn, req.Params)
	if runErr != nil {
		resp.Error = asRPCError(runErr)
	} else if resp.Result, runErr = encodeResult(result); runErr != nil {
		resp.Error = rpc.NewError(rpc.CodeInternalError, "encode result: %v", runErr)
	}
	return resp, answered
}

// jsonText is a result that its method encoded itself: valid JSON, sent as
// it is.
type jsonText []byte

// quoted is s as a JSON string, for text that needs no escapes (hex).
func quoted(s string) jsonText {
	return jsonText(append(append(append(make([]byte, 0, len(s)+2), '"'), s...), '"'))
}

func encodeResult(result any) ([]byte, error) {
	if text, ok := result.(jsonText); ok {
		return text, nil
	}
	return json.Marshal(result)
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

// requestError says what is wrong with a request that does not decode,
// in JSON's terms.
func requestError(raw []byte) *rpc.Error {
	if !json.Valid(raw) {
		return rpc.NewError(rpc.CodeParseError, "Parse error: the request is not valid JSON")
	}
	return invalidRequest()
}

// invalidRequest is the error of JSON that is no request object, or one
// without a method.
func invalidRequest() *rpc.Error {
	return rpc.NewError(rpc.CodeInvalidRequest, `Invalid Request object: it must be {"jsonrpc":"2.0","id":...,"method":"name","params":[...]} with method a string`)
}

func asRPCError(err error) *rpc.Error {
	var e *rpc.Error
	if errors.As(err, &e) {
		return e
	}
	return rpc.NewError(rpc.CodeMiscError, "%v", err)
}

// writeJSON sends v as JSON under status, the Content-Type set before
// the status goes out with the headers.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
