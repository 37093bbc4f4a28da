package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// seen is what net/http's server handed its handler for one request.
type seen struct {
	method, uri, proto, auth, expect string
	contentLength                    int64
	transferEncoding                 []string
	close                            bool
	body                             []byte
	bodyErr                          error
}

// netHTTPReader serves plain net/http on loopback and reports what its
// handler saw of each connection's first request.
type netHTTPReader struct {
	addr string
	mu   sync.Mutex
	seen map[string]seen // by the client's address
}

func newNetHTTPReader(tb testing.TB) *netHTTPReader {
	r := &netHTTPReader{seen: make(map[string]seen)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.seen[req.RemoteAddr] = seen{method: req.Method, uri: req.RequestURI, proto: req.Proto,
			auth: req.Header.Get("Authorization"), expect: req.Header.Get("Expect"),
			contentLength: req.ContentLength, transferEncoding: req.TransferEncoding, close: req.Close,
			body: body, bodyErr: err}
	})}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Shutdown(context.Background()) })
	r.addr = ln.Addr().String()
	return r
}

// read sends raw on a fresh connection, closes its sending side and
// returns what the handler saw, if it was called.
func (r *netHTTPReader) read(tb testing.TB, raw []byte) (seen, bool) {
	c := sendHalfClosing(tb, r.addr, raw)
	defer c.Close()
	io.Copy(io.Discard, c) // until net/http closes the connection
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.seen[c.LocalAddr().String()]
	return s, ok
}

// FuzzParseHead checks the fast path's reading of a request against
// net/http's: whenever parseHead accepts a head, net/http's server reads
// the same request from the same bytes (POST / over HTTP/1.1, the same
// Content-Length and Authorization, no Transfer-Encoding or Expect, the
// connection kept open) and hands its handler the same body.
func FuzzParseHead(f *testing.F) {
	plain := "POST / HTTP/1.1\r\nHost: 127.0.0.1:9443\r\nAuthorization: Basic dXNlcjpwYXNz\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\nhello"
	f.Add([]byte(plain))
	for _, edit := range [][2]string{ // variants of plain: each replaces [0] by [1]
		{"Content-Length: 5", "content-length:\t05 "},
		{"Host: 127.0.0.1:9443", "Host: [::1]:9443\r\nUser-Agent: Go-http-client/1.1\r\nAccept-Encoding: gzip"},
		{"Content-Length: 5", "Content-Length: 5\r\nContent-Length: 5"},
		{"Content-Length: 5", "Content-Length: 5\r\nTransfer-Encoding: chunked"},
		{"Content-Length: 5", "Content-Length: +5"},
		{"Host: 127.0.0.1:9443\r\n", ""},
		{"Host: 127.0.0.1:9443", "Host: a b"},
		{"Host: 127.0.0.1:9443", "Host : x"},
		{"\r\nAuthorization", "\r\n Authorization"},
		{"\r\nAuthorization", "\nAuthorization"},
		{"POST / ", "POST /x "},
		{"HTTP/1.1", "HTTP/1.0"},
		{"Basic dXNlcjpwYXNz", "Basic \x7f"},
		{"Content-Type", "Connection: Keep-Alive\r\nContent-Type"},
		{"Content-Type", "Connection: close\r\nContent-Type"},
		{"Content-Type", "Connection: keep-alive, Upgrade\r\nContent-Type"},
	} {
		f.Add([]byte(strings.Replace(plain, edit[0], edit[1], 1)))
	}
	r := newNetHTTPReader(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		headLen := headEnd(raw, 0)
		if headLen < 0 {
			return
		}
		h, ok := parseHead(raw[:headLen])
		if !ok {
			return
		}
		got, called := r.read(t, raw)
		if !called {
			t.Fatalf("parseHead accepts %q; net/http does not call its handler", raw)
		}
		want := seen{method: http.MethodPost, uri: "/", proto: "HTTP/1.1", auth: string(h.auth), contentLength: int64(h.contentLength)}
		if got.method != want.method || got.uri != want.uri || got.proto != want.proto || got.auth != want.auth ||
			got.contentLength != want.contentLength || got.expect != "" || got.transferEncoding != nil || got.close {
			t.Fatalf("%q: net/http read %+v, parseHead %+v", raw, got, h)
		}
		if end := headLen + h.contentLength; end <= len(raw) && (got.bodyErr != nil || !bytes.Equal(got.body, raw[headLen:end])) {
			t.Fatalf("%q: net/http read the body %q (%v), parseHead %q", raw, got.body, got.bodyErr, raw[headLen:end])
		}
	})
}

// TestFastWriterLayout: the fast path lays out an answer exactly as
// net/http writes the same handler's, whether the handler sets
// Content-Length or not.
func TestFastWriterLayout(t *testing.T) {
	for _, handler := range []func(w http.ResponseWriter){
		func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "3")
			w.Write([]byte("{}\n"))
		},
		func(w http.ResponseWriter) {
			writeJSON(w, http.StatusOK, map[string]int{"a": 1})
		},
	} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { handler(w) })}
		go srv.Serve(ln)
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
		var want bytes.Buffer // net/http's answer, byte for byte
		resp, err := http.ReadResponse(bufio.NewReader(io.TeeReader(c, &want)), nil)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		c.Close()
		srv.Shutdown(context.Background())

		w := fastWriter{header: make(http.Header)}
		handler(&w)
		w.finish([]byte(resp.Header.Get("Date")))
		if string(w.out) != want.String() {
			t.Fatalf("fast path wrote\n%q\nnet/http wrote\n%q", w.out, want.String())
		}
	}
}

// TestFastPathLeavesBusyToNetHTTP: when no turn is free, the fast path
// runs nothing and leaves the request to net/http (whose ServeHTTP answers
// 503 as before).
func TestFastPathLeavesBusyToNetHTTP(t *testing.T) {
	s, err := NewServer("user", "pass", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	s.register("sendrawtransaction", func(context.Context, []json.RawMessage) (any, error) {
		ran++
		return "x", nil
	})
	fc := &fastConn{w: fastWriter{header: make(http.Header)}}
	req := fastRequest{auth: s.authHeader, body: []byte(`{"jsonrpc":"2.0","id":1,"method":"sendrawtransaction","params":["00"]}`)}
	if !fc.answer(s, req) || ran != 1 {
		t.Fatalf("a free server: answered %v, ran %d", false, ran)
	}
	// Every turn taken (by this goroutine) and the queue full (a goroutine
	// waiting in it).
	s.SetLimits(Limits{MaxRunning: 1, MaxQueued: 1})
	if err := s.turns.Enter(context.Background()); err != nil {
		t.Fatal(err)
	}
	queued := make(chan error, 1)
	go func() { queued <- s.turns.Enter(context.Background()) }()
	for guard := time.Now().Add(time.Minute); s.turns.Waiting() != 1; runtime.Gosched() {
		if time.Now().After(guard) { // a guard against hanging, not a timing assertion
			t.Fatal("the second request never queued")
		}
	}
	if fc.answer(s, req) || ran != 1 {
		t.Fatalf("a busy server: the fast path answered (ran %d)", ran)
	}
	s.turns.Leave()
	if err := Receive(t, queued); err != nil {
		t.Fatal(err)
	}
	s.turns.Leave()
}

// TestFastPathTimeouts: a connection the fast path holds is closed when it
// idles past IdleTimeout after a request, or sends a head too slowly
// (ReadHeaderTimeout; net/http, to which the fast path hands it, closes
// it), as net/http closes its own.
func TestFastPathTimeouts(t *testing.T) {
	s, err := NewServer("user", "pass", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s.register("sendrawtransaction", func(context.Context, []json.RawMessage) (any, error) { return "x", nil })
	s.http.IdleTimeout, s.http.ReadHeaderTimeout = 50*time.Millisecond, 50*time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	body := `{"jsonrpc":"2.0","id":1,"method":"sendrawtransaction","params":["00"]}`
	request := plainRequest(string(s.authHeader), body)
	for _, send := range []string{request, request[:20]} {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(time.Minute)) // a guard against hanging, not a timing assertion
		io.WriteString(c, send)
		got, err := io.ReadAll(c) // until the server closes the connection
		if err != nil {
			t.Fatalf("after %q: %v (%q), want the connection closed", send, err, got)
		}
		if answered := bytes.HasPrefix(got, []byte("HTTP/1.1 200 OK\r\n")); answered != (send == request) {
			t.Fatalf("after %q: %q", send, got)
		}
	}
	if s.fast.served.Load() != 1 {
		t.Fatalf("the fast path answered %d requests, want 1", s.fast.served.Load())
	}
}

// FuzzFastPathMatchesNetHTTP sends the same bytes (any number of requests,
// whole, cut short or malformed) on one connection to a server with its
// fast path and to net/http serving the same Server's ServeHTTP, then
// closes the sending side: both must answer byte for byte alike (Date
// aside) and close the connection.
func FuzzFastPathMatchesNetHTTP(f *testing.F) {
	s, err := NewServer("user", "pass", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		f.Fatal(err)
	}
	s.SetWaitForTest(func(context.Context, time.Duration) {})
	s.register("sendrawtransaction", func(_ context.Context, params []json.RawMessage) (any, error) {
		raw, err := hexParam(params, 0, "hexstring", "TX")
		if err != nil {
			return nil, err
		}
		return quoted(fmt.Sprintf("%x", len(raw))), nil
	})
	s.register("getblockcount", func(context.Context, []json.RawMessage) (any, error) { return 7, nil })
	// The sending side is closed at once, so net/http ends the context of
	// a request it handles (of one without a body, maybe before its
	// handler runs): ServeHTTP must answer such a request as any other.
	fast := serveForTest(f, s.Serve)
	f.Cleanup(func() { s.Shutdown(context.Background()) })
	plain := &http.Server{Handler: s.http.Handler, ReadHeaderTimeout: s.http.ReadHeaderTimeout, ReadTimeout: s.http.ReadTimeout, IdleTimeout: s.http.IdleTimeout}
	slow := serveForTest(f, plain.Serve)
	f.Cleanup(func() { plain.Shutdown(context.Background()) })

	body := `{"jsonrpc":"2.0","id":1,"method":"sendrawtransaction","params":["00ff"]}`
	request := plainRequest(string(s.authHeader), body)
	for _, seed := range []string{
		request,
		request + request,
		request + strings.Replace(request, "sendrawtransaction", "getblockcount", 1) + request,
		request[:len(request)-5],
		strings.Replace(request, "Content-Length", "Expect: 100-continue\r\nContent-Length", 1),
		strings.Replace(request, "Content-Length", "Connection: keep-alive\r\nContent-Length", 1) + request,
		strings.Replace(request, "Content-Length", "Connection: close\r\nContent-Length", 1) + request,
		strings.Replace(request, "dXNlcjpwYXNz", "dXNlcjpwYXNx", 1),
		// No body: the context may have ended when the handler runs.
		request[:strings.Index(request, "Content-Length")] + "Content-Length: 0\r\n\r\n",
		strings.Replace(request[:strings.Index(request, "Content-Length")]+"\r\n", "dXNlcjpwYXNz", "dXNlcjpwYXNx", 1),
		strings.Replace(request, `"id":1,`, "", 1),
		strings.Replace(request, `"00ff"`, `"zz"`, 1),
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"garbage\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got := exchange(t, fast, raw)
		if n := s.turns.Running() + s.turns.Waiting(); n != 0 {
			t.Fatalf("sent %q to the fast path: %d turns still taken after the connection closed", raw, n)
		}
		want := exchange(t, slow, raw)
		if n := s.turns.Running() + s.turns.Waiting(); n != 0 {
			t.Fatalf("sent %q to net/http: %d turns still taken after the connection closed", raw, n)
		}
		if got != want {
			t.Fatalf("sent %q\nfast path answered %q\nnet/http answered  %q", raw, got, want)
		}
	})
}

// serveForTest runs serve on a loopback listener and returns its address.
func serveForTest(tb testing.TB, serve func(net.Listener) error) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go serve(ln)
	return ln.Addr().String()
}

var dateLine = regexp.MustCompile(`Date: [^\r]*\r\n`)

// exchange sends raw to addr on a new connection, closes its sending side
// and returns everything received until the server closes it, each Date
// header's value replaced.
func exchange(tb testing.TB, addr string, raw []byte) string {
	c := sendHalfClosing(tb, addr, raw)
	defer c.Close()
	got, err := io.ReadAll(c)
	if err != nil {
		tb.Fatalf("after %q: %v", raw, err)
	}
	return dateLine.ReplaceAllString(string(got), "Date: DATE\r\n")
}

// sendHalfClosing sends raw to addr on a new connection and closes its
// sending side, as clients do that shut down SHUT_WR after a request
// (`nc -N`); the caller reads the answer and closes the connection, within
// a minute.
func sendHalfClosing(tb testing.TB, addr string, raw []byte) *net.TCPConn {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tc := c.(*net.TCPConn)
	tc.SetDeadline(time.Now().Add(time.Minute)) // a guard against hanging, not a timing assertion
	tc.Write(raw)
	tc.CloseWrite()
	return tc
}

// plainRequest is a request with body in the plain form the fast path
// reads, with the given Authorization header.
func plainRequest(auth, body string) string {
	return "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}
