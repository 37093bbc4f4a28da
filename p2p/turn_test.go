package p2p

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBusyLoopHoldsOneMessagePerPeer: while the event loop is busy, a peer
// that keeps sending gets one message into the loop's queue and one
// decoded in its reader, which then waits for its turn without reading
// on; when the loop resumes it handles every message, in order.
func TestBusyLoopHoldsOneMessagePerPeer(t *testing.T) {
	var decodedPings atomic.Int64
	node := newNode(t, "node", testParams(), func(c *Config) {
		c.NoDiscovery = true
		c.OnMessage = func(received bool, typ MsgType, _ int) {
			if received && typ == TypePing {
				decodedPings.Add(1)
			}
		}
	})
	r := dialRawLocal(t, node)
	r.handshake()
	waitFor(t, 10*time.Second, "handshake done", func() bool { return peerCount(node) == 1 })

	held, release := make(chan *conn), make(chan struct{})
	var releaseOnce sync.Once
	resume := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(resume)
	go node.srv.call(func(time.Time) {
		for _, c := range node.srv.conns {
			held <- c
		}
		<-release
	})
	c := <-held

	const pings = 50
	for i := range pings {
		r.send(&MsgPing{Nonce: uint64(i + 1)})
	}
	waitFor(t, 10*time.Second, "the reader waiting for its turn", func() bool {
		if n := decodedPings.Load(); n > 2 {
			t.Fatalf("the reader decoded %d pings while the loop was busy, want at most 2", n)
		}
		return decodedPings.Load() == 2 && waitingForTurn(node.srv, c)
	})
	if n := len(node.srv.events); n != 1 {
		t.Fatalf("%d events queued for the busy loop, want the peer's one message", n)
	}

	resume()
	for i := range pings {
		pong := r.expect(TypePong).(*MsgPong)
		if pong.Nonce != uint64(i+1) {
			t.Fatalf("pong %d answers ping %d, want the pings answered in order", i+1, pong.Nonce)
		}
	}
	if n := decodedPings.Load(); n != pings {
		t.Fatalf("%d pings decoded, want %d", n, pings)
	}
}

// waitingForTurn reports whether c's reader is blocked in takeTurn (which
// may be inlined into the reader's frame).
func waitingForTurn(s *Server, c *conn) bool {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	reader := []byte(fmt.Sprintf("p2p.(*Server).readLoop(%p, %p)", s, c))
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, reader) && bytes.Contains(g, []byte("p2p.(*conn).takeTurn(")) && bytes.Contains(g, []byte("[select")) {
			return true
		}
	}
	return false
}
