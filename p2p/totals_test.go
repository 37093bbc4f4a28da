package p2p

import (
	"testing"
	"time"
)

// TestTotalsKeepClosedConnections: Totals counts every byte read from and
// written to peers since the server was made, those of connections closed
// since included (getnettotals), a frame cut short included.
func TestTotalsKeepClosedConnections(t *testing.T) {
	n := newNode(t, "totals", testParams(), func(c *Config) { c.NoDiscovery = true })
	totals := func() Totals {
		t.Helper()
		tot, err := n.srv.Totals()
		if err != nil {
			t.Fatal(err)
		}
		return tot
	}
	if tot := totals(); tot != (Totals{}) {
		t.Fatalf("a server without connections yet: %+v", tot)
	}

	// A peer that shakes hands, is answered a ping, then hangs up in the
	// middle of a frame.
	p1 := dialRawLocal(t, n)
	p1.handshake()
	p1.send(&MsgPing{Nonce: 1})
	p1.expect(TypePong)
	frame, err := EncodeFrame(p1.params.Magic, &MsgPing{Nonce: 2})
	if err != nil {
		t.Fatal(err)
	}
	p1.write(frame[:FrameHeaderSize+2])
	p1.nc.Close()
	<-p1.closed
	waitConns(t, n, 0)
	closed := totals()
	if closed.Recv != p1.wrote.Load() {
		t.Errorf("after the only peer left: %d bytes received, the peer wrote %d", closed.Recv, p1.wrote.Load())
	}
	if closed.Sent == 0 || closed.Sent < p1.read.Load() {
		t.Errorf("after the only peer left: %d bytes sent, the peer read %d", closed.Sent, p1.read.Load())
	}

	// A second peer: the totals are the closed connection's bytes and
	// the open one's, as getpeerinfo counts them.
	p2 := dialRawLocal(t, n)
	p2.handshake()
	p2.send(&MsgPing{Nonce: 3})
	p2.expect(TypePong)
	waitFor(t, 10*time.Second, "the totals to be the closed connection's and the open one's", func() bool {
		tot, peers := totals(), n.peers()
		return len(peers) == 1 && peers[0].BytesRecv == p2.wrote.Load() &&
			tot.Recv == closed.Recv+peers[0].BytesRecv && tot.Sent == closed.Sent+peers[0].BytesSent
	})
}
