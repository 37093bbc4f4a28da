package httpcap

import (
	"context"
	"errors"
	"io"
	"net"
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
