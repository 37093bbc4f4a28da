package explorer_test

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"powchain/explorer"
)

// guard bounds a wait on a condition: a guard against hanging, not a
// timing assertion.
const guard = time.Minute

// keptConn is a client connection that stays open between requests.
type keptConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialKept(t *testing.T, base string) *keptConn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(guard))
	return &keptConn{t: t, c: c, r: bufio.NewReader(c)}
}

// get sends a GET of path on the connection and returns the answer's
// status and body.
func (k *keptConn) get(path string) (int, string) {
	k.t.Helper()
	k.send(path)
	return k.read()
}

// send sends a GET of path on the connection.
func (k *keptConn) send(path string) {
	k.t.Helper()
	if _, err := io.WriteString(k.c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		k.t.Fatal(err)
	}
}

// read reads an answer on the connection: its status and body.
func (k *keptConn) read() (int, string) {
	k.t.Helper()
	resp, err := http.ReadResponse(k.r, nil)
	if err != nil {
		k.t.Fatalf("an answer on a kept connection: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		k.t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// expectClosed checks that the server has closed the connection (the
// client, having sent nothing, reads the end of the stream).
func (k *keptConn) expectClosed() {
	k.t.Helper()
	if b, err := k.r.ReadByte(); err != io.EOF {
		k.t.Fatalf("a connection the server should have closed: read %q, %v", b, err)
	}
}

// readAll reads everything the server sends on a new connection over which
// the client sends nothing, until the server closes it.
func readAll(t *testing.T, base string) string {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(guard))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("a connection over the cap: %v after %q, want an answer and the close", err, got)
	}
	return string(got)
}

// jsonError decodes an error body.
func jsonError(t *testing.T, body string) (msg string, status int) {
	t.Helper()
	var e struct {
		Error  string `json:"error"`
		Status int    `json:"status"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("not a JSON error: %q", body)
	}
	return e.Error, e.Status
}

// waitConns waits until the server has open connections open, idle of
// them idle between requests.
func waitConns(t *testing.T, srv *explorer.Server, open, idle int) {
	t.Helper()
	for deadline := time.Now().Add(guard); ; runtime.Gosched() {
		o, i := srv.ConnsForTest()
		if o == open && i == idle {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections open and %d idle, want %d and %d", o, i, open, idle)
		}
	}
}

// TestConnectionCap: with MaxConnections open and none idle (an event
// stream and requests in progress), a further connection is answered 503
// with a JSON error and closed at once, before it sends anything; the
// connections open are served as before.
func TestConnectionCap(t *testing.T) {
	m := newBlockingMetrics(t)
	e := newEnvMetrics(t, explorer.Limits{MaxConnections: 3, MaxSubscribers: 1}, m)
	base := e.serve()
	events := openStream(t, base)
	var busy []*keptConn
	for range 2 {
		k := dialKept(t, base)
		k.send("/metrics")
		receive(t, m.entered)
		busy = append(busy, k)
	}

	got := readAll(t, base) // returns only when the server has closed it
	head, body, _ := strings.Cut(got, "\r\n\r\n")
	if !strings.HasPrefix(head, "HTTP/1.1 503 Service Unavailable\r\n") || !strings.Contains(head, "\r\nConnection: close") ||
		!strings.Contains(head, "\r\nContent-Type: application/json") {
		t.Fatalf("a connection over the cap: %q", got)
	}
	if msg, status := jsonError(t, body); status != http.StatusServiceUnavailable || !strings.Contains(msg, "too many connections: 3 open") {
		t.Fatalf("a connection over the cap: %d %q", status, msg)
	}

	close(m.release)
	for i, k := range busy {
		if status, body := k.read(); status != http.StatusOK {
			t.Fatalf("request %d in progress: %d %s", i+1, status, body)
		}
	}
	e.extend("c", 1)
	if name, _ := events.next(); name != explorer.EventBlock {
		t.Fatalf("the event stream after the refusal: %q, want a block", name)
	}
}

// TestConnectionCapTakesIdle: with MaxConnections open and every one idle
// between requests (as browsers keep a few after a page), a new connection
// is served, and the connection idle longest, whenever it opened, is
// closed to make room for it.
func TestConnectionCapTakesIdle(t *testing.T) {
	e := newEnv(t, explorer.Limits{MaxConnections: 3, MaxSubscribers: 1})
	base := e.serve()
	var kept []*keptConn
	for i := range 3 {
		k := dialKept(t, base)
		if status, body := k.get("/rest/chaininfo.json"); status != http.StatusOK {
			t.Fatalf("connection %d: %d %s", i+1, status, body)
		}
		waitConns(t, e.srv, i+1, i+1) // so kept[0] is idle longest, kept[2] least
		kept = append(kept, k)
	}

	first := dialKept(t, base)
	if status, body := first.get("/rest/chaininfo.json"); status != http.StatusOK {
		t.Fatalf("a new connection with every one open idle: %d %s", status, body)
	}
	kept[0].expectClosed()
	waitConns(t, e.srv, 3, 3)

	// A request on kept[1] makes it the newest idle one: kept[2] is now
	// idle longest, though it opened later.
	if status, _ := kept[1].get("/"); status != http.StatusOK {
		t.Fatalf("an idle connection's next request: %d", status)
	}
	waitConns(t, e.srv, 3, 3)
	second := dialKept(t, base)
	if status, body := second.get("/rest/chaininfo.json"); status != http.StatusOK {
		t.Fatalf("a second new connection: %d %s", status, body)
	}
	kept[2].expectClosed()
	for name, k := range map[string]*keptConn{"kept[1]": kept[1], "first": first} {
		if status, _ := k.get("/"); status != http.StatusOK {
			t.Fatalf("%s, idle but not longest: %d", name, status)
		}
	}
}

// blockingMetrics is a /metrics handler that reports each request entering
// it and answers only when released.
type blockingMetrics struct {
	entered chan struct{}
	release chan struct{}
}

func newBlockingMetrics(t *testing.T) *blockingMetrics {
	m := &blockingMetrics{entered: make(chan struct{}, 8), release: make(chan struct{})}
	t.Cleanup(func() {
		select {
		case <-m.release:
		default:
			close(m.release) // a failed test leaves none waiting
		}
	})
	return m
}

func (m *blockingMetrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.entered <- struct{}{}
	<-m.release
	io.WriteString(w, "powchain_test 1\n")
}

func receive[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(guard):
		t.Fatal("nothing arrived within a minute")
		panic("unreachable")
	}
}

// result is a request's answer, as a goroutine delivers it.
type result struct {
	status int
	body   string
	err    error
}

func getAsync(url string) <-chan result {
	ch := make(chan result, 1)
	go func() {
		resp, err := http.Get(url)
		if err != nil {
			ch <- result{err: err}
			return
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		ch <- result{resp.StatusCode, string(body), err}
	}()
	return ch
}

// waitTurns waits until the server has running requests running and
// waiting waiting.
func waitTurns(t *testing.T, srv *explorer.Server, running, waiting int) {
	t.Helper()
	for deadline := time.Now().Add(guard); ; runtime.Gosched() {
		r, w := srv.TurnsForTest()
		if r == running && w == waiting {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d running and %d waiting, want %d and %d", r, w, running, waiting)
		}
	}
}

// TestRunningCap: with MaxRunning requests running, MaxQueued more wait
// for a turn and are served when one frees; beyond that a request is
// answered 503 at once (JSON under /rest/, a page elsewhere); a request
// that waits MaxQueueWait is answered 503.
func TestRunningCap(t *testing.T) {
	t.Run("queue", func(t *testing.T) {
		m := newBlockingMetrics(t)
		e := newEnvMetrics(t, explorer.Limits{MaxRunning: 1, MaxQueued: 1}, m)
		base := e.serve()
		running := getAsync(base + "/metrics")
		receive(t, m.entered)
		waiting := getAsync(base + "/rest/chaininfo.json")
		waitTurns(t, e.srv, 1, 1)

		r := receive(t, getAsync(base+"/rest/chaininfo.json"))
		if msg, status := jsonError(t, r.body); r.status != http.StatusServiceUnavailable || status != r.status ||
			!strings.Contains(msg, "too many requests: 1 running and 1 waiting") {
			t.Fatalf("a request beyond the queue: %d %q", r.status, r.body)
		}
		if r := receive(t, getAsync(base+"/")); r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "too many requests") {
			t.Fatalf("a page beyond the queue: %d %q", r.status, r.body)
		}

		close(m.release)
		for name, ch := range map[string]<-chan result{"running": running, "waiting": waiting} {
			if r := receive(t, ch); r.err != nil || r.status != http.StatusOK {
				t.Fatalf("the %s request: %v %d %q", name, r.err, r.status, r.body)
			}
		}
		waitTurns(t, e.srv, 0, 0)
	})
	t.Run("wait bound", func(t *testing.T) {
		m := newBlockingMetrics(t)
		e := newEnvMetrics(t, explorer.Limits{MaxRunning: 1, MaxQueued: 1, MaxQueueWait: time.Millisecond}, m)
		base := e.serve()
		running := getAsync(base + "/metrics")
		receive(t, m.entered)
		r := receive(t, getAsync(base+"/rest/chaininfo.json")) // the turn is held until after this answer
		if msg, _ := jsonError(t, r.body); r.status != http.StatusServiceUnavailable || !strings.Contains(msg, "waited 1ms") {
			t.Fatalf("a request that waited its bound: %d %q", r.status, r.body)
		}
		close(m.release)
		if r := receive(t, running); r.status != http.StatusOK {
			t.Fatalf("the running request: %v %d", r.err, r.status)
		}
	})
}

// TestStreamsTakeNoTurn: event streams, open for as long as their clients
// like, hold no running turn: with the one turn there is and every stream
// allowed open, pages and REST requests are served.
func TestStreamsTakeNoTurn(t *testing.T) {
	e := newEnv(t, explorer.Limits{MaxRunning: 1, MaxQueued: 1, MaxQueueWait: time.Millisecond, MaxSubscribers: 3, MaxConnections: 8})
	base := e.serve()
	for range 3 {
		openStream(t, base)
	}
	waitTurns(t, e.srv, 0, 0)
	for _, path := range []string{"/", "/rest/chaininfo.json", "/block/3", "/mempool"} {
		if r := receive(t, getAsync(base+path)); r.err != nil || r.status != http.StatusOK {
			t.Fatalf("GET %s with every stream open: %v %d %q", path, r.err, r.status, r.body)
		}
	}
}

// TestNewRejectsStreamsOverConnections: limits that would let the event
// streams hold every connection are refused up front.
func TestNewRejectsStreamsOverConnections(t *testing.T) {
	e := newEnv(t, explorer.Limits{})
	_, err := explorer.New(explorer.Config{
		Source: explorer.Source{Chain: e.chain, Mempool: e.pool, Net: fakeNet{}, Clock: wallClock{}},
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)), Limits: explorer.Limits{MaxConnections: 4, MaxSubscribers: 4},
	})
	if err == nil || !strings.Contains(err.Error(), "MaxConnections") {
		t.Fatalf("New with MaxConnections = MaxSubscribers: %v", err)
	}
}
