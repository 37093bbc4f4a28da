package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Clients that close their sending side right after a request (shutdown
// SHUT_WR, as `nc -N` does) make net/http end the request's context while
// the request is still to be answered. These tests send such requests on
// raw connections to a server with its fast path. For a request without a
// body net/http sees the end of the input before calling the handler, and
// the handler is held until the request's context has ended: the server
// then handles the request in the state the half-close leads to. (For a
// request with a body, net/http reads on, and ends the context, only once
// the body has been read.)

// halfCloseServer serves s with its fast path on loopback, the handler of
// each request without a body called once its context has ended;
// handling receives each call.
func halfCloseServer(t *testing.T, s *Server) (addr string, handling <-chan struct{}) {
	t.Helper()
	calls := make(chan struct{}, 16)
	s.http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength == 0 {
			select {
			case <-r.Context().Done():
			case <-time.After(time.Minute): // a guard against hanging, not a timing assertion
				t.Error("net/http did not end the context of a half-closed request")
			}
		}
		calls <- struct{}{}
		s.ServeHTTP(w, r)
	})
	addr = serveForTest(t, s.Serve)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return addr, calls
}

func newHalfCloseTestServer(t *testing.T) *Server {
	t.Helper()
	s, err := NewServer("user", "pass", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sendHalfClosed sends raw on a new connection, closes its sending side
// and delivers everything received until the server closes the connection.
func sendHalfClosed(t *testing.T, addr, raw string) <-chan string {
	t.Helper()
	c := sendHalfClosing(t, addr, []byte(raw))
	t.Cleanup(func() { c.Close() })
	got := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(c)
		got <- string(b)
	}()
	return got
}

// bodyless are requests without a body, in the plain form the fast path
// reads (which hands them to net/http: no call in them) and in one it does
// not read (no Content-Length).
func bodyless(auth string) []string {
	return []string{
		"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth + "\r\nContent-Length: 0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth + "\r\n\r\n",
	}
}

// TestRefusalWaitsForHalfClosedClient: a client with wrong credentials
// that closes its sending side after its request still waits for a slot
// and the whole delay, then gets its 401: half-closing neither skips the
// delay (the wait is not cut short) nor gets an early empty answer while
// the only slot is taken. The requests: two without a body, and a
// sendrawtransaction the fast path would answer but for the credentials,
// which it hands to net/http.
func TestRefusalWaitsForHalfClosedClient(t *testing.T) {
	s := newHalfCloseTestServer(t)
	s.SetLimits(Limits{FailedAuthSlots: 1})
	entered, release, ended := make(chan struct{}, 3), make(chan struct{}), make(chan struct{})
	var releases, cutShort atomic.Int32
	s.SetWaitForTest(func(ctx context.Context, _ time.Duration) {
		entered <- struct{}{}
		select { // as waitFor does
		case <-release:
		case <-ctx.Done():
			cutShort.Add(1)
		case <-ended: // the test failed with this delay waiting
		}
	})
	addr, handling := halfCloseServer(t, s)
	t.Cleanup(func() { close(ended) }) // before the server shuts down
	wrong := "Basic dXNlcjp3cm9uZw=="  // user:wrong
	requests := append(bodyless(wrong), plainRequest(wrong, `{"jsonrpc":"2.0","id":1,"method":"sendrawtransaction","params":["00"]}`))

	type answer struct {
		got      string
		releases int32 // delays ended when it arrived
	}
	answers := make(chan answer, len(requests))
	send := func(raw string) {
		got := sendHalfClosed(t, addr, raw)
		go func() {
			a := <-got // always comes: sendHalfClosed's reader ends within a minute
			answers <- answer{a, releases.Load()}
		}()
	}
	send(requests[0])
	select {
	case <-entered: // the first holds the only slot, waiting out its delay
	case a := <-answers:
		t.Fatalf("answered %q before the delay began", a.got)
	}
	for _, raw := range requests[1:] {
		send(raw)
	}
	for range requests {
		Receive(t, handling) // the others, each context ended if it can, want the slot
	}
	for want := int32(1); want <= int32(len(requests)); want++ {
		releases.Add(1)
		select {
		case release <- struct{}{}:
		case a := <-answers:
			t.Fatalf("answered %q with no delay waiting", a.got)
		case <-time.After(time.Minute): // a guard against hanging, not a timing assertion
			t.Fatal("no delay waiting to end")
		}
		a := Receive(t, answers)
		if n := cutShort.Load(); n != 0 {
			t.Fatalf("%d delays cut short when the client half-closed", n)
		}
		if a.releases < want || !strings.HasPrefix(a.got, "HTTP/1.1 401 Unauthorized\r\n") ||
			!strings.Contains(a.got, "\r\nWww-Authenticate: Basic realm=\"powchain\"\r\n") {
			t.Fatalf("answer %d came after %d delays ended: %q", want, a.releases, a.got)
		}
		if want < int32(len(requests)) {
			Receive(t, entered) // the next one's delay, after the last's
		}
	}
}

// TestHalfClosedClientGetsFreeTurn: an authenticated client that closes
// its sending side after its request is answered when a turn is free, not
// refused as if the work queue were full.
func TestHalfClosedClientGetsFreeTurn(t *testing.T) {
	s := newHalfCloseTestServer(t)
	addr, handling := halfCloseServer(t, s)
	const tries = 20 // the old code answered 503 to half of them, at random
	for i := range tries {
		raw := bodyless(string(s.authHeader))[i%2]
		got := sendHalfClosed(t, addr, raw)
		Receive(t, handling)
		answer := Receive(t, got)
		// The body is empty: the answer is a parse error, under HTTP 200.
		_, body, _ := strings.Cut(answer, "\r\n\r\n")
		if !strings.HasPrefix(answer, "HTTP/1.1 200 OK\r\n") || errorCode(body) != -32700 {
			t.Fatalf("request %d, %q: answered %q", i, raw, answer)
		}
	}
}

// TestHalfClosedClientLeavesQueue: a request still waiting for a turn when
// its client half-closes gives up its place in the queue, and its answer
// (JSON, as every other) says so, rather than that the queue is full.
func TestHalfClosedClientLeavesQueue(t *testing.T) {
	s := newHalfCloseTestServer(t)
	s.SetLimits(Limits{MaxRunning: 1, MaxQueued: 1})
	if err := s.turns.Enter(context.Background()); err != nil { // a request running, in the only turn
		t.Fatal(err)
	}
	addr, handling := halfCloseServer(t, s)
	got := sendHalfClosed(t, addr, bodyless(string(s.authHeader))[0])
	Receive(t, handling)
	answer := Receive(t, got)
	if !strings.HasPrefix(answer, "HTTP/1.1 503 Service Unavailable\r\n") || !strings.Contains(answer, "\r\nContent-Type: application/json\r\n") ||
		!strings.Contains(answer, "Request not run: the client closed the connection, or its sending side, while the request waited for a turn") {
		t.Fatalf("answered %q", answer)
	}
	if n := s.turns.Running() + s.turns.Waiting(); n != 1 {
		t.Fatalf("%d requests running or queued after the half-closed one gave up, want the running one", n)
	}
}

// errorCode is the code of the JSON-RPC error in body, 0 if none.
func errorCode(body string) int {
	var r struct {
		Error *struct{ Code int } `json:"error"`
	}
	if json.Unmarshal([]byte(body), &r) != nil || r.Error == nil {
		return 0
	}
	return r.Error.Code
}
