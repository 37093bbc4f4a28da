package httpcap

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGate: turns are taken at once while free, even under an ended
// context; then requests wait in the queue until a turn frees or their
// context ends; beyond the queue, ErrFull at once.
func TestGate(t *testing.T) {
	g := NewGate(1, 1)
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.Enter(ended); err != nil {
		t.Fatalf("a free turn under an ended context: %v", err)
	}
	entered := make(chan error, 1)
	go func() { entered <- g.Enter(context.Background()) }()
	for g.Waiting() != 1 { // waits on the goroutine reaching the queue
		select {
		case err := <-entered:
			t.Fatalf("entered with every turn taken: %v", err)
		default:
		}
	}
	if err := g.Enter(context.Background()); !errors.Is(err, ErrFull) {
		t.Fatalf("beyond the queue: %v", err)
	}
	g.Leave()
	if err := <-entered; err != nil {
		t.Fatalf("the waiting request: %v", err)
	}
	if err := g.Enter(ended); !errors.Is(err, context.Canceled) || g.Waiting() != 0 || g.Running() != 1 {
		t.Fatalf("waiting under an ended context: %v, %d waiting, %d running", err, g.Waiting(), g.Running())
	}
	g.Leave()
	if g.Running() != 0 || g.Waiting() != 0 {
		t.Fatalf("after Leave: %d running, %d waiting", g.Running(), g.Waiting())
	}
}

// TestConns: past the cap a connection is refused and closed inside
// Accept, which goes on to the next; a place frees at its connection's
// first Close only.
// (Accept refuses at once: it does not wait for a place.)
func TestConns(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cs := NewConns(1, func(c net.Conn) { io.WriteString(c, "full\n") })
	l := cs.Listen(ln)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(time.Minute)) // a guard against hanging
		t.Cleanup(func() { c.Close() })
		return c
	}
	dial()
	first, err := l.Accept()
	if err != nil || cs.Open() != 1 {
		t.Fatalf("first: %v, %d open", err, cs.Open())
	}
	refused := dial()
	accepted := make(chan net.Conn)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	if got, err := io.ReadAll(refused); err != nil || string(got) != "full\n" {
		t.Fatalf("refused: %q %v", got, err)
	}
	first.Close()
	first.Close() // a second Close gives back nothing more
	dial()
	third := <-accepted
	if cs.Open() != 1 {
		t.Fatalf("%d open, want 1", cs.Open())
	}
	third.Close()
	if cs.Open() != 0 {
		t.Fatalf("%d open after every close", cs.Open())
	}
}

// errDrained is fakeListener's Accept error once it has no connection
// left.
var errDrained = errors.New("no connection left")

// fakeListener accepts the connections put in its channel, then fails
// with errDrained (it never waits).
type fakeListener struct {
	net.Listener
	conns chan net.Conn
}

func (l fakeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	default:
		return nil, errDrained
	}
}

// fakeConn counts its closes.
type fakeConn struct {
	net.Conn
	closes atomic.Int32
}

func (c *fakeConn) Close() error {
	c.closes.Add(1)
	return nil
}

// fakes makes n fake connections.
func fakes(n int) []*fakeConn {
	cs := make([]*fakeConn, n)
	for i := range cs {
		cs[i] = new(fakeConn)
	}
	return cs
}

// acceptOne puts c in ln and accepts through l, which wraps ln: the
// connection l returned, or nil if it refused c.
func acceptOne(t *testing.T, ln fakeListener, l net.Listener, c *fakeConn) net.Conn {
	t.Helper()
	ln.conns <- c
	got, err := l.Accept()
	if err != nil && !errors.Is(err, errDrained) {
		t.Fatal(err)
	}
	return got
}

// TestConnsTakesIdle: with every place held, a new connection takes the
// place of the one idle longest (since net/http's last report of
// StateIdle), which is closed; a new, active or hijacked connection is
// never taken, a late report on a closed one does not make it idle, and
// reports on connections not Accept's are ignored. With none idle, the new
// connection is refused as before.
func TestConnsTakesIdle(t *testing.T) {
	var refused []net.Conn
	cs := NewConns(3, func(c net.Conn) { refused = append(refused, c) })
	ln := fakeListener{conns: make(chan net.Conn, 1)}
	l := cs.Listen(ln)
	fs, ns := fakes(3), fakes(3)
	held := make([]net.Conn, 3)
	for i := range held {
		held[i] = acceptOne(t, ln, l, fs[i])
	}
	cs.ConnState(held[0], http.StateNew)
	cs.ConnState(held[2], http.StateIdle)
	cs.ConnState(held[1], http.StateIdle)
	cs.ConnState(held[2], http.StateIdle) // a repeated report keeps its turn
	cs.ConnState(fs[0], http.StateIdle)   // not Accept's
	other := NewConns(1, nil)
	cs.ConnState(acceptOne(t, ln, other.Listen(ln), ns[0]), http.StateIdle)
	if cs.Idle() != 2 || other.Idle() != 0 {
		t.Fatalf("%d idle, want 2; %d of another cap", cs.Idle(), other.Idle())
	}

	a := acceptOne(t, ln, l, ns[1])
	if a == nil || fs[2].closes.Load() != 1 || fs[1].closes.Load() != 0 || cs.Open() != 3 || cs.Idle() != 1 {
		t.Fatalf("first newcomer: accepted %v, closes %d %d, %d open, %d idle",
			a != nil, fs[2].closes.Load(), fs[1].closes.Load(), cs.Open(), cs.Idle())
	}
	// net/http then closes it, and reports it idle late.
	if err := held[2].Close(); !errors.Is(err, net.ErrClosed) || fs[2].closes.Load() != 1 || cs.Open() != 3 {
		t.Fatalf("net/http closing the taken connection: %v, %d closes, %d open", err, fs[2].closes.Load(), cs.Open())
	}
	if cs.ConnState(held[2], http.StateIdle); cs.Idle() != 1 {
		t.Fatalf("a late report made a closed connection idle: %d idle, want 1", cs.Idle())
	}
	cs.ConnState(held[2], http.StateClosed)

	// held[1] goes active and idle again after a does: a is idle longest.
	cs.ConnState(a, http.StateIdle)
	cs.ConnState(held[1], http.StateActive)
	cs.ConnState(held[1], http.StateIdle)
	b := acceptOne(t, ln, l, ns[2])
	if b == nil || ns[1].closes.Load() != 1 || fs[1].closes.Load() != 0 {
		t.Fatalf("second newcomer: accepted %v, a closed %d times, held[1] %d", b != nil, ns[1].closes.Load(), fs[1].closes.Load())
	}

	cs.ConnState(held[1], http.StateActive)
	cs.ConnState(b, http.StateHijacked)
	last := new(fakeConn)
	if c := acceptOne(t, ln, l, last); c != nil || len(refused) != 1 || refused[0] != last || last.closes.Load() != 1 {
		t.Fatalf("a newcomer with none idle: accepted %v, %d refused, closed %d times", c != nil, len(refused), last.closes.Load())
	}
	for _, c := range []net.Conn{held[0], held[1], b} {
		c.Close()
	}
	if cs.Open() != 0 || cs.Idle() != 0 {
		t.Fatalf("after every close: %d open, %d idle", cs.Open(), cs.Idle())
	}
}

// TestConnsRace (for go test -race): connections go through net/http's
// states and are closed, some by two goroutines at once, while newcomers
// take the places of idle ones. The cap is never passed, every connection
// is closed exactly once, and at the end none is open or idle.
func TestConnsRace(t *testing.T) {
	const limit, total = 8, 2000
	var refused atomic.Int32
	cs := NewConns(limit, func(net.Conn) { refused.Add(1) })
	ln := fakeListener{conns: make(chan net.Conn, 1)}
	l := cs.Listen(ln)
	all := fakes(total)
	var accepted []net.Conn
	var wg sync.WaitGroup
	for _, f := range all {
		c := acceptOne(t, ln, l, f)
		if open := cs.Open(); open > limit {
			t.Fatalf("%d open, over the cap of %d", open, limit)
		}
		if c == nil {
			continue
		}
		selfClosed := len(accepted)%2 == 0
		accepted = append(accepted, c)
		wg.Go(func() {
			for _, st := range []http.ConnState{http.StateNew, http.StateActive, http.StateIdle, http.StateActive, http.StateIdle} {
				cs.ConnState(c, st)
			}
			if selfClosed { // by net/http and Shutdown, say
				wg.Go(func() { c.Close() })
				c.Close()
				cs.ConnState(c, http.StateClosed)
			}
		})
	}
	wg.Wait()
	taken := 0 // of those not closed themselves, closed by a newcomer taking their place
	for i, c := range accepted {
		if c.Close() != nil && i%2 == 1 {
			taken++
		}
	}
	if len(accepted)+int(refused.Load()) != total || cs.Open() != 0 || cs.Idle() != 0 {
		t.Fatalf("%d accepted, %d refused of %d; after every close %d open, %d idle",
			len(accepted), refused.Load(), total, cs.Open(), cs.Idle())
	}
	for i, f := range all {
		if n := f.closes.Load(); n != 1 {
			t.Fatalf("connection %d closed %d times", i, n)
		}
	}
	t.Logf("%d accepted (%d of them taken while idle), %d refused", len(accepted), taken, refused.Load())
}
