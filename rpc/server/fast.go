package server

import (
	"bufio"
	"context"
	"crypto/subtle"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The fast path. net/http costs about as much per request as everything
// the node does for sendrawtransaction besides verifying signatures (a
// background-read goroutine, header maps, deadlines, buffers), so the
// server reads each connection itself first: a request in the plain form
// clients send, for a method fastMethod names, that arrived whole, is
// answered here; at the first request that is anything else (another
// method, a batch, a notification, wrong credentials, a busy server, an
// unusual header, a malformed or slow request...), the connection, with
// the bytes read so far, is handed to net/http for the rest of its life,
// so every other request gets exactly what it got before. The fast path
// answers what ServeHTTP would (the same code runs the call) with the same
// status line and headers net/http writes.

// fastMethod reports whether the fast path serves a method. Such a method
// returns without waiting on anything outside the node, so it runs to its
// end whatever the client does meanwhile: a waiting method (a long-poll)
// needs the watch of its client (watch.go), which only connections served
// by net/http have.
func fastMethod(name string) bool { return name == "sendrawtransaction" }

const (
	// fastBufSize is a connection's read buffer: a request larger than
	// it (head and body) goes to net/http.
	fastBufSize = 16 << 10
	// fastMaxHead bounds the request line and headers.
	fastMaxHead = 4 << 10
	// fastMaxHeaders bounds the header lines.
	fastMaxHeaders = 16
)

// fastListener is the listener net/http serves: its Accept returns the
// connections the fast path hands over (and the real listener's errors,
// so net/http's handling of them is unchanged). Its goroutine (acceptLoop)
// accepts from the real listener and starts a fastConn for each
// connection; it ends when Close is called.
type fastListener struct {
	net.Listener
	s      *Server
	events chan acceptEvent
	done   chan struct{} // closed by Close
	once   sync.Once
	loop   sync.WaitGroup // acceptLoop
}

// acceptEvent is what Accept returns: a handed-over connection or the
// real listener's error.
type acceptEvent struct {
	conn net.Conn
	err  error
}

func newFastListener(s *Server, l net.Listener) *fastListener {
	fl := &fastListener{Listener: l, s: s, events: make(chan acceptEvent), done: make(chan struct{})}
	fl.loop.Add(1)
	go fl.acceptLoop()
	return fl
}

// Accept implements net.Listener for net/http.
func (fl *fastListener) Accept() (net.Conn, error) {
	select {
	case ev := <-fl.events:
		return ev.conn, ev.err
	case <-fl.done:
		return nil, net.ErrClosed
	}
}

// Close closes the real listener and stops acceptLoop.
func (fl *fastListener) Close() error {
	var err error
	fl.once.Do(func() {
		close(fl.done)
		err = fl.Listener.Close()
	})
	return err
}

// wait returns when acceptLoop has ended (after Close).
func (fl *fastListener) wait() { fl.loop.Wait() }

// acceptLoop accepts connections until Close. An error goes to net/http's
// next Accept, which decides (as it always did) whether to try again
// after a pause or to stop serving; the loop waits for that Accept, so
// net/http's pause paces it.
func (fl *fastListener) acceptLoop() {
	defer fl.loop.Done()
	for {
		c, err := fl.Listener.Accept()
		if err != nil {
			select {
			case fl.events <- acceptEvent{err: err}:
				continue
			case <-fl.done:
				return
			}
		}
		if !fl.s.fast.add(c) {
			c.Close()
			continue
		}
		go fl.serveConn(c)
	}
}

// handOver gives c, with the bytes already read from it, to net/http.
func (fl *fastListener) handOver(c net.Conn, pending []byte) {
	c.SetReadDeadline(time.Time{})
	hc := &handedConn{Conn: c, pending: pending, watch: newConnWatch(), s: fl.s}
	select {
	case fl.events <- acceptEvent{conn: hc}:
	case <-fl.done: // net/http stopped accepting
		hc.Close()
	}
}

// handedConn is a connection net/http takes over: Read returns the bytes
// the fast path read first; reads and writes tell watch of the client
// (watch.go); the first Close gives back its place among the server's
// connections.
type handedConn struct {
	net.Conn
	pending []byte
	watch   connWatch
	s       *Server
	closed  sync.Once
}

func (h *handedConn) Close() error {
	err := net.ErrClosed
	h.closed.Do(func() { err = h.Conn.Close() })
	return err
}

func (h *handedConn) Read(p []byte) (int, error) {
	if len(h.pending) > 0 {
		n := copy(p, h.pending)
		h.pending = h.pending[n:]
		return n, nil
	}
	n, err := h.Conn.Read(p)
	h.watch.sawRead(err)
	return n, err
}

func (h *handedConn) Write(p []byte) (int, error) {
	n, err := h.Conn.Write(p)
	h.watch.sawWrite(err)
	return n, err
}

// CloseWrite lets net/http half-close the connection as it does a TCP
// connection's (after an error answer, so that the client reads it).
func (h *handedConn) CloseWrite() error {
	if cw, ok := h.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// fastConns tracks the connections the fast path serves, so that
// Shutdown can close the idle ones and wait for the busy ones. mu guards
// every field; nothing is called under it (connections are closed after
// it is released).
type fastConns struct {
	mu      sync.Mutex
	busy    map[net.Conn]bool // every connection: true while it serves a request
	closing bool
	drained chan struct{} // closed when closing and no connection is left
	served  atomic.Int64  // requests answered by the fast path (tests)
}

func newFastConns() *fastConns {
	return &fastConns{busy: make(map[net.Conn]bool), drained: make(chan struct{})}
}

// add registers c; false if the server is shutting down.
func (f *fastConns) add(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closing {
		return false
	}
	f.busy[c] = false
	return true
}

// setBusy marks c busy or idle; false if the server is shutting down, when
// c must stop.
func (f *fastConns) setBusy(c net.Conn, busy bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.busy[c] = busy
	return !f.closing
}

func (f *fastConns) remove(c net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.busy, c)
	if f.closing && len(f.busy) == 0 {
		close(f.drained)
	}
}

// shutdown closes the idle connections and waits (until ctx ends) for the
// busy ones to finish their request.
func (f *fastConns) shutdown(ctx context.Context) error {
	f.mu.Lock()
	var idle []net.Conn
	if !f.closing {
		f.closing = true
		for c, busy := range f.busy {
			if !busy {
				idle = append(idle, c)
			}
		}
		if len(f.busy) == 0 {
			close(f.drained)
		}
	}
	f.mu.Unlock()
	for _, c := range idle {
		c.Close()
	}
	select {
	case <-f.drained:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fastConn is one connection's state on the fast path, reused from one
// request to the next.
type fastConn struct {
	c        net.Conn
	deadline time.Time // the read deadline set on c
	r        *bufio.Reader
	w        fastWriter
	date     []byte // the Date header's value for dateSec
	sec      int64
}

// deadlineSlack is how much earlier than asked a read deadline may fall:
// a deadline set less than this before the one asked for is kept, so that
// a connection's deadline is not reset at every request.
const deadlineSlack = time.Second

// setDeadline makes d, or a time at most deadlineSlack before it, c's read
// deadline.
func (fc *fastConn) setDeadline(d time.Time) {
	if ahead := d.Sub(fc.deadline); ahead < 0 || ahead >= deadlineSlack {
		fc.c.SetReadDeadline(d)
		fc.deadline = d
	}
}

// serveConn answers c's requests until it closes, fails, idles out or
// sends one the fast path does not serve (then net/http takes over).
func (fl *fastListener) serveConn(c net.Conn) {
	s := fl.s
	fc := &fastConn{c: c, r: bufio.NewReaderSize(c, fastBufSize), w: fastWriter{header: make(http.Header)}}
	handed := false
	defer func() {
		s.fast.remove(c)
		if !handed {
			c.Close()
		}
	}()
	// Before the first request: a byte within ReadHeaderTimeout. Between
	// requests, as net/http waits: 4 bytes within IdleTimeout (a client
	// that sends fewer and closes is not answered).
	wait, need := s.http.ReadHeaderTimeout, 1
	for {
		if fc.r.Buffered() < need {
			fc.setDeadline(s.now().Add(wait))
			if _, err := fc.r.Peek(need); err != nil {
				return // closed, idle too long, or shut down
			}
		}
		if !s.fast.setBusy(c, true) {
			return
		}
		req, ok := fc.readRequest(s)
		if ok {
			ok = fc.answer(s, req)
		}
		if !ok {
			pending, _ := fc.r.Peek(fc.r.Buffered())
			handed = true
			fl.handOver(c, pending)
			return
		}
		s.fast.served.Add(1)
		if _, err := c.Write(fc.w.out); err != nil {
			return
		}
		fc.r.Discard(req.size)
		if !s.fast.setBusy(c, false) {
			return
		}
		wait, need = s.http.IdleTimeout, 4
	}
}

// fastRequest is a request the fast path serves: slices of the read
// buffer, valid until the request is discarded from it.
type fastRequest struct {
	auth []byte
	body []byte
	size int // head and body
}

// readRequest waits until a whole request is in the buffer and returns it
// if the fast path serves it; ok is false (nothing consumed) for any other
// request, or if it did not arrive whole within net/http's timeouts
// (net/http then waits for it anew, as for a request it read from the
// start). Nothing is consumed from the buffer.
func (fc *fastConn) readRequest(s *Server) (req fastRequest, ok bool) {
	var start time.Time // when the first wait begins
	headLen, scanned := -1, 0
	var head fastHead
	for {
		buf, _ := fc.r.Peek(fc.r.Buffered())
		if headLen < 0 {
			if headLen = headEnd(buf, scanned); headLen < 0 && len(buf) >= fastMaxHead {
				return req, false
			}
			scanned = max(len(buf)-3, 0)
			if headLen >= 0 {
				if headLen > fastMaxHead {
					return req, false
				}
				if head, ok = parseHead(buf[:headLen]); !ok || headLen+head.contentLength > fastBufSize {
					return req, false
				}
			}
		}
		if headLen >= 0 && len(buf) >= headLen+head.contentLength {
			size := headLen + head.contentLength
			return fastRequest{auth: head.auth, body: buf[headLen:size], size: size}, true
		}
		limit := s.http.ReadHeaderTimeout // for the head, then ReadTimeout for all
		if headLen >= 0 {
			limit = s.http.ReadTimeout
		}
		if start.IsZero() {
			start = s.now()
		}
		fc.setDeadline(start.Add(limit))
		if _, err := fc.r.Peek(len(buf) + 1); err != nil {
			return req, false
		}
	}
}

// answer runs req and puts the whole HTTP answer in fc.w.out, as ServeHTTP
// would answer it; false, with nothing run, if req is not one the fast
// path serves (wrong credentials included) or the work queue is full:
// net/http then answers it as always. A request that finds every turn
// taken but room in the queue waits there, as ServeHTTP's would: the
// request arrived whole, and a request with a body keeps its place when
// its client leaves (docs/RPC.md), so the context never ends.
func (fc *fastConn) answer(s *Server, fr fastRequest) bool {
	req, ok := scanRequest(fr.body)
	if !ok || req.ID == nil || !fastMethod(req.Method) ||
		subtle.ConstantTimeCompare(fr.auth, s.authHeader) != 1 {
		return false
	}
	ctx := context.Background()
	if s.admit(ctx) != nil {
		return false
	}
	defer s.release()
	resp, _ := s.callRequest(ctx, req)
	fc.w.reset()
	s.answerOne(resp).writeTo(&fc.w)
	fc.w.finish(fc.dateHeader(s.now()))
	return true
}

// dateHeader is now as net/http's Date header, formatted once a second.
func (fc *fastConn) dateHeader(now time.Time) []byte {
	if sec := now.Unix(); sec != fc.sec || fc.date == nil {
		fc.date = now.UTC().AppendFormat(fc.date[:0], http.TimeFormat)
		fc.sec = sec
	}
	return fc.date
}

// fastWriter is the http.ResponseWriter of the fast path: it collects one
// answer (200 OK, the headers the handler sets, the body) and lays it out
// as net/http does.
type fastWriter struct {
	header http.Header
	status int
	body   []byte
	out    []byte // the whole answer, after finish
}

func (w *fastWriter) reset() {
	clear(w.header)
	w.status, w.body = 0, w.body[:0]
}

func (w *fastWriter) Header() http.Header { return w.header }

func (w *fastWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *fastWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.body = append(w.body, p...)
	return len(p), nil
}

// finish lays out the answer as net/http does: the status line, the
// handler's headers sorted by name, Date, then Content-Length unless the
// handler set it, a blank line and the body.
func (w *fastWriter) finish(date []byte) {
	w.WriteHeader(http.StatusOK)
	out := append(w.out[:0], "HTTP/1.1 "...)
	out = strconv.AppendInt(out, int64(w.status), 10)
	out = append(append(append(out, ' '), http.StatusText(w.status)...), "\r\n"...)
	keys := make([]string, 0, 4)
	for k := range w.header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range w.header[k] {
			out = append(append(append(append(out, k...), ": "...), v...), "\r\n"...)
		}
	}
	out = append(append(append(out, "Date: "...), date...), "\r\n"...)
	if _, set := w.header["Content-Length"]; !set {
		out = strconv.AppendInt(append(out, "Content-Length: "...), int64(len(w.body)), 10)
		out = append(out, "\r\n"...)
	}
	w.out = append(append(out, "\r\n"...), w.body...)
}

// fastHead is what the fast path needs from a request's head.
type fastHead struct {
	auth          []byte // the Authorization header's value
	contentLength int
}

// headEnd returns the length of the head in buf (through the blank line
// after the headers), or -1 if it has not all arrived; the search starts
// at from.
func headEnd(buf []byte, from int) int {
	for i := from; i+3 < len(buf); i++ {
		if buf[i] == '\r' && buf[i+1] == '\n' && buf[i+2] == '\r' && buf[i+3] == '\n' {
			return i + 4
		}
	}
	return -1
}

// fastHeaders are the header names (canonical; matched without regard to
// case) a request on the fast path may carry, each at most once: what
// clients of JSON-RPC send (Connection only as "keep-alive", which HTTP/1.1
// means anyway). net/http reads any other header the node might care about
// (Transfer-Encoding, Expect, Connection: close, Upgrade...) or refuses (a
// second Host or Content-Length).
var fastHeaders = [...]string{"Host", "Content-Length", "Authorization", "Content-Type", "User-Agent", "Accept", "Accept-Encoding", "Connection"}

// parseHead reads a head in the plain form only: the request line exactly
// "POST / HTTP/1.1", then at most fastMaxHeaders lines "Name: value"
// ending in CRLF, names among fastHeaders, each once, values of printable
// ASCII, spaces and tabs; Host, Content-Length (decimal digits) and
// Authorization present. Such a head reads the same with net/http
// (FuzzParseHead checks it). ok is false for any other.
func parseHead(head []byte) (h fastHead, ok bool) {
	const line = "POST / HTTP/1.1\r\n"
	if len(head) < len(line)+2 || string(head[:len(line)]) != line {
		return h, false
	}
	rest := head[len(line) : len(head)-2] // the header lines, each ending in CRLF
	var seen [len(fastHeaders)]bool
	for n := 0; len(rest) > 0; n++ {
		end := lineEnd(rest)
		if end < 0 || n == fastMaxHeaders {
			return h, false
		}
		name, value, ok := splitHeader(rest[:end])
		field := slices.IndexFunc(fastHeaders[:], func(f string) bool { return asciiEqualFold(f, name) })
		if !ok || field < 0 || seen[field] {
			return h, false
		}
		seen[field] = true
		switch fastHeaders[field] {
		case "Host":
			ok = validHost(value)
		case "Content-Length":
			h.contentLength, ok = parseLength(value)
		case "Authorization":
			h.auth = value
		case "Connection":
			ok = asciiEqualFold("keep-alive", value)
		}
		if !ok {
			return h, false
		}
		rest = rest[end+2:]
	}
	return h, seen[0] && seen[1] && seen[2]
}

// lineEnd returns the offset of the CRLF ending the first line of b, -1 if
// there is none or the line holds a lone CR or LF.
func lineEnd(b []byte) int {
	for i, c := range b {
		if c == '\n' {
			return -1
		}
		if c == '\r' {
			if i+1 < len(b) && b[i+1] == '\n' {
				return i
			}
			return -1
		}
	}
	return -1
}

// splitHeader splits "Name: value" (a token name right before the colon;
// the value of printable ASCII, spaces and tabs, trimmed of them at both
// ends).
func splitHeader(line []byte) (name, value []byte, ok bool) {
	colon := -1
	for i, c := range line {
		if c == ':' {
			colon = i
			break
		}
		if !isTokenChar(c) {
			return nil, nil, false
		}
	}
	if colon <= 0 {
		return nil, nil, false
	}
	value = line[colon+1:]
	for _, c := range value {
		if (c < 0x20 || c > 0x7e) && c != '\t' {
			return nil, nil, false
		}
	}
	for len(value) > 0 && (value[0] == ' ' || value[0] == '\t') {
		value = value[1:]
	}
	for len(value) > 0 && (value[len(value)-1] == ' ' || value[len(value)-1] == '\t') {
		value = value[:len(value)-1]
	}
	return line[:colon], value, true
}

func isTokenChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '!' || c == '#' || c == '$' || c == '%' ||
		c == '&' || c == '\'' || c == '*' || c == '+' || c == '^' || c == '`' || c == '|' || c == '~'
}

func asciiEqualFold(a string, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// validHost accepts a host[:port] of letters, digits and . - : [ ] (a
// name, an IPv4 address or a bracketed IPv6 one), not empty.
func validHost(v []byte) bool {
	for _, c := range v {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '.' || c == '-' || c == ':' || c == '[' || c == ']') {
			return false
		}
	}
	return len(v) > 0
}

// parseLength reads a Content-Length of at most 7 digits (the fast path's
// requests are far smaller).
func parseLength(v []byte) (int, bool) {
	if len(v) == 0 || len(v) > 7 {
		return 0, false
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
