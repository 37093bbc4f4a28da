package p2p

import (
	"net"
	"sync"
	"testing"
	"time"

	"powchain/chain/chaintest"
	"powchain/wire"
)

// pipeListener hands the node the near ends of in-memory pipes, which
// hold no bytes in flight: what the node writes waits until the far end
// reads it, so a test decides exactly when the node's writer can go on.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }

// dial connects a new pipe to the node and returns the far end.
func (l *pipeListener) dial() net.Conn {
	near, far := net.Pipe()
	l.conns <- loopbackPipe{near}
	return far
}

// loopbackPipe gives a pipe's near end the addresses of a loopback
// connection, as the Core expects a host and port.
type loopbackPipe struct{ net.Conn }

func (loopbackPipe) LocalAddr() net.Addr  { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }
func (loopbackPipe) RemoteAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2} }

// onlyConn returns the node's one connection, once it has one.
func onlyConn(t *testing.T, n *testNode) *conn {
	t.Helper()
	var c *conn
	waitFor(t, 10*time.Second, "the node's connection", func() bool {
		_ = n.srv.call(func(time.Time) {
			for _, cc := range n.srv.conns {
				c = cc
			}
		})
		return c != nil
	})
	return c
}

// TestSlowReaderPausedNotDropped: a peer that sends requests faster than
// it reads the answers (here 600 getheaders, 6 MB of answers, before it
// reads any) is made to wait while a quarter of its send budget is queued,
// as Bitcoin Core pauses such a peer, and gets every answer once it reads.
// Before, the node took every request, queued every answer and
// disconnected the peer when its 4 MiB queue overflowed.
func TestSlowReaderPausedNotDropped(t *testing.T) {
	params := testParams()
	ln := newPipeListener()
	n := newNode(t, "server", params, func(c *Config) {
		c.NoDiscovery = true
		c.ListenFunc = func(string, string) (net.Listener, error) { return ln, nil }
	})
	g := chaintest.NewGenerator(t, params)
	n.process(buildChain(g, "b", 100)...)
	r := &rawPeer{t: t, nc: ln.dial(), params: params, nonce: 7, msgs: make(chan Message, 1000), closed: make(chan struct{})}
	t.Cleanup(func() { r.nc.Close() })

	r.send(&MsgVersion{Network: params.Name, Genesis: params.GenesisHash, ProtocolVersion: ProtocolVersion, UserAgent: "/slow/", Nonce: r.nonce})
	for got := map[MsgType]bool{}; !got[TypeVersion] || !got[TypeVerAck]; {
		m, _, err := ReadMessage(r.nc, params.Magic)
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		got[m.Type()] = true
	}
	r.send(&MsgVerAck{})

	const requests = 600
	asked := make(chan struct{})
	go func() { // blocks while the node reads nothing more
		defer close(asked)
		for range requests {
			r.send(&MsgGetHeaders{Locator: []wire.Hash{params.GenesisHash}})
		}
	}()
	c := onlyConn(t, n)
	waitFor(t, 10*time.Second, "the reader paused or the peer dropped", func() bool {
		select {
		case <-c.closed:
			return true
		default:
			return c.paused.Load()
		}
	})
	t.Logf("%d bytes queued when the reader stopped", c.queued.Load())
	if q := c.queued.Load(); q > c.maxBytes/2 {
		t.Errorf("%d bytes queued, want the reader to stop soon after a quarter of %d", q, c.maxBytes)
	}

	answers := 0
	for answers < requests {
		m, _, err := ReadMessage(r.nc, params.Magic)
		if err != nil {
			t.Fatalf("connection lost after %d of %d headers answers: %v", answers, requests, err)
		}
		if h, ok := m.(*MsgHeaders); ok && len(h.Headers) == 100 {
			answers++
		}
	}
	<-asked
	select {
	case <-c.closed:
		t.Fatal("the node dropped the peer after answering every request")
	default:
	}
}
