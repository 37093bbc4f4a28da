package server

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"powchain/rpc"
	"powchain/wire"
)

// Clients that close their connections, or only their sending side, over
// raw connections to a server with its fast path: their long calls
// (getblocktemplate's long-poll, a real Mining behind it), and the cap on
// the connections they hold.

// longPollServer serves s, with e's Mining behind getblocktemplate, on
// loopback. seen receives the context net/http gives each request when
// its long-poll begins, polls the error each long-poll returned.
func longPollServer(t *testing.T, s *Server, e *miningEnv) (addr string, seen <-chan context.Context, polls <-chan error) {
	t.Helper()
	ctxs, errs := make(chan context.Context, 4), make(chan error, 4)
	var httpCtx context.Context // of the request being served
	s.register("getblocktemplate", (&Backend{Template: func(ctx context.Context, id string) (*rpc.BlockTemplate, error) {
		ctxs <- httpCtx
		tmpl, err := e.mining.Template(ctx, id)
		errs <- err
		return tmpl, err
	}}).getBlockTemplate)
	s.http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpCtx = r.Context() // one request at a time in these tests
		s.ServeHTTP(w, r)
	})
	addr = serveForTest(t, s.Serve)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return addr, ctxs, errs
}

// longPollRequest is a getblocktemplate long-poll on e's current template.
func longPollRequest(t *testing.T, s *Server, e *miningEnv) string {
	t.Helper()
	tmpl, err := e.mining.Template(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	body := `{"jsonrpc":"2.0","id":1,"method":"getblocktemplate","params":[{"longpollid":"` + tmpl.LongPollID + `"}]}`
	return plainRequest(string(s.authHeader), body)
}

// ended waits until net/http has ended ctx: it has seen the client's input
// end.
func ended(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(time.Minute): // a guard against hanging, not a timing assertion
		t.Fatal("net/http did not end the context of a request whose client's input ended")
	}
}

// TestHalfClosedLongPollAnswered: a long-poll whose client closes its
// sending side after the request (body and all) runs on once net/http has
// seen the input end; the client is asked whether it is still there with
// 102 Processing, and the long-poll is answered when the tip changes.
func TestHalfClosedLongPollAnswered(t *testing.T) {
	e := newMiningEnv(t, miningGenesis.Add(time.Hour))
	e.mining.maxWait = time.Hour
	s := newHalfCloseTestServer(t)
	s.probeEvery = time.Millisecond
	addr, seen, polls := longPollServer(t, s, e)
	c := sendHalfClosing(t, addr, []byte(longPollRequest(t, s, e)))
	defer c.Close()
	ended(t, Receive(t, seen))
	r := bufio.NewReader(c)
	for range 2 { // two probes received: the client is still there
		if status, err := r.ReadString('\n'); status != "HTTP/1.1 102 Processing\r\n" {
			rest, _ := io.ReadAll(r)
			t.Fatalf("before the tip changed: %q %v", status+string(rest), err)
		}
		if blank, _ := r.ReadString('\n'); blank != "\r\n" {
			t.Fatalf("102 Processing with headers: %q", blank)
		}
	}
	e.mineGen()
	if err := Receive(t, polls); err != nil {
		t.Fatalf("long-poll: %v", err)
	}
	var answer strings.Builder
	io.Copy(&answer, r) // the rest, until the connection closes
	got := answer.String()
	for strings.HasPrefix(got, "HTTP/1.1 102 Processing\r\n\r\n") {
		got = strings.TrimPrefix(got, "HTTP/1.1 102 Processing\r\n\r\n")
	}
	_, body, _ := strings.Cut(got, "\r\n\r\n")
	var resp struct{ Result rpc.BlockTemplate }
	if !strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n") || json.Unmarshal([]byte(body), &resp) != nil || resp.Result.Height != 2 {
		t.Fatalf("answer after the tip changed: %q", answer.String())
	}
}

// TestHalfClosedGenerateAnswered: generatetoaddress of a client that
// closes its sending side after the request mines every block, though
// net/http has seen the client's input end before the first, and is
// answered with their hashes.
func TestHalfClosedGenerateAnswered(t *testing.T) {
	e := newMiningEnv(t, miningGenesis.Add(time.Hour))
	s := newHalfCloseTestServer(t)
	var httpCtx context.Context // of the request being served (one at a time)
	s.register("generatetoaddress", (&Backend{Chain: e.chain, Generate: func(ctx context.Context, n int, payTo wire.KeyHash) ([]wire.Hash, error) {
		ended(t, httpCtx)
		return e.mining.Generate(ctx, n, payTo)
	}}).generateToAddress)
	s.http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpCtx = r.Context()
		s.ServeHTTP(w, r)
	})
	addr := serveForTest(t, s.Serve)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	payTo, _ := wire.EncodeAddress(e.params.AddressPrefix, wire.KeyHash{7})
	got := exchange(t, addr, []byte(plainRequest(string(s.authHeader),
		`{"jsonrpc":"2.0","id":1,"method":"generatetoaddress","params":[3,"`+payTo+`"]}`)))
	_, body, _ := strings.Cut(got, "\r\n\r\n")
	var resp struct{ Result []string }
	if !strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n") || json.Unmarshal([]byte(body), &resp) != nil ||
		len(resp.Result) != 3 || e.chain.Tip().Height != 3 || resp.Result[2] != e.chain.Tip().Hash.String() {
		t.Fatalf("answered %q; tip at height %d", got, e.chain.Tip().Height)
	}
}

// TestGoneClientEndsLongPoll: a long-poll whose client closed its socket
// ends: at once if the close reset the connection, else at the probe that
// finds the client gone.
func TestGoneClientEndsLongPoll(t *testing.T) {
	for _, tc := range []struct {
		name  string
		close func(*net.TCPConn)
		probe time.Duration
	}{
		{"closed", func(c *net.TCPConn) { c.Close() }, time.Millisecond},
		{"reset", func(c *net.TCPConn) { c.SetLinger(0); c.Close() }, time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newMiningEnv(t, miningGenesis.Add(time.Hour))
			e.mining.maxWait = time.Hour
			s := newHalfCloseTestServer(t)
			s.probeEvery = tc.probe
			addr, seen, polls := longPollServer(t, s, e)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			c.Write([]byte(longPollRequest(t, s, e)))
			Receive(t, seen) // the long-poll began
			tc.close(c.(*net.TCPConn))
			if err := Receive(t, polls); err == nil {
				t.Fatal("the long-poll of a client gone returned a template")
			}
		})
	}
}

// TestConnectionCap: clients that send wrong credentials and close (or
// only half-close) hold their connections until their refusals' turns;
// with MaxConnections open, a further connection is answered 503 at once
// and closed, before anything of it is read, while a client already
// connected is served as before; the refusals still wait their turn and
// delay, and once their connections close, new connections are served.
func TestConnectionCap(t *testing.T) {
	s := newHalfCloseTestServer(t)
	s.SetLimits(Limits{FailedAuthSlots: 1, MaxConnections: 3})
	entered, release, ended := make(chan struct{}, 3), make(chan struct{}), make(chan struct{})
	s.SetWaitForTest(func(ctx context.Context, _ time.Duration) {
		entered <- struct{}{}
		select {
		case <-release:
		case <-ended: // the test failed with this delay waiting
		}
	})
	handling := make(chan struct{}, 4)
	s.http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handling <- struct{}{}
		s.ServeHTTP(w, r)
	})
	addr := serveForTest(t, s.Serve)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	t.Cleanup(func() { close(ended) }) // before the server shuts down
	help := plainRequest(string(s.authHeader), `{"jsonrpc":"2.0","id":1,"method":"help","params":["help"]}`)

	// A client connected first, with the right credentials, keeps its
	// connection open.
	kept, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer kept.Close()
	kept.SetDeadline(time.Now().Add(time.Minute)) // a guard against hanging, not a timing assertion
	keptReader := bufio.NewReader(kept)
	askKept := func() {
		t.Helper()
		kept.Write([]byte(help))
		resp, err := http.ReadResponse(keptReader, nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("the client connected first: %v %v", resp, err)
		}
		io.Copy(io.Discard, resp.Body)
		Receive(t, handling)
	}
	askKept()

	// Two guessers: one closes its socket, one only its sending side (it
	// reads its 401). Their connections stay open, their refusals waiting.
	wrong := plainRequest("Basic dXNlcjp3cm9uZw==", `{"jsonrpc":"2.0","id":1,"method":"sendrawtransaction","params":["00"]}`)
	closed := sendHalfClosing(t, addr, []byte(wrong))
	closed.Close()
	halfClosed := sendHalfClosed(t, addr, wrong)
	Receive(t, handling)
	Receive(t, handling)
	Receive(t, entered) // one refusal waits its delay, the other its turn

	// A connection beyond the cap: 503 at once, nothing read.
	if got := exchange(t, addr, nil); !strings.HasPrefix(got, "HTTP/1.1 503 Service Unavailable\r\n") ||
		!strings.Contains(got, "\r\nConnection: close\r\n") || !strings.Contains(got, "\r\nContent-Type: application/json\r\n") ||
		!strings.Contains(got, `"message":"Too many connections: 3 open, the limit; try again later"`) {
		t.Fatalf("a connection over the cap: %q", got)
	}
	askKept() // the client connected first is served as before

	// The refusals take their turns and whole delays; the half-closed
	// guesser gets its 401.
	release <- struct{}{}
	Receive(t, entered)
	release <- struct{}{}
	if got := Receive(t, halfClosed); !strings.HasPrefix(got, "HTTP/1.1 401 Unauthorized\r\n") {
		t.Fatalf("the half-closed guesser: %q", got)
	}
	// Once the guessers' connections close (net/http closes them fully a
	// moment after its answers), new connections are served again.
	kept.Close()
	for guard := time.Now().Add(time.Minute); s.conns.Open() > 0; time.Sleep(time.Millisecond) {
		if time.Now().After(guard) { // a guard against hanging, not a timing assertion
			t.Fatalf("%d connections still open", s.conns.Open())
		}
	}
	if got := exchange(t, addr, []byte(help)); !strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n") {
		t.Fatalf("after the guessers left: %q", got)
	}
}
