package p2p

import (
	"net"
	"testing"
	"time"

	"powchain/wire"
)

// connServer is a Server with only what apply and writeLoop use, and one
// connection, peer 1, whose writer has not started: the far end of the
// pipe is returned.
func connServer(t *testing.T, writeTimeout time.Duration) (*Server, *conn, net.Conn) {
	s := &Server{
		cfg:   Config{Log: testLogger(t), Now: time.Now, WriteTimeout: writeTimeout},
		magic: testParams().Magic,
		conns: make(map[PeerID]*conn),
	}
	node, far := net.Pipe()
	t.Cleanup(func() { far.Close() })
	c := newConn(1, node, 1<<20)
	s.conns[c.id] = c
	return s, c, far
}

// TestDisconnectWritesQueuedFirst: when the Core sends a reject and drops
// the peer in one step, the peer reads the reject before the close, even
// if the writer first runs after the event loop carried out the
// disconnect (the order that, once in a few hundred runs, lost the reject
// of TestRejectInvalidBlock).
func TestDisconnectWritesQueuedFirst(t *testing.T) {
	s, c, far := connServer(t, time.Minute)
	rej := &MsgReject{Message: "block", Code: RejectInvalid, Reason: "bad-cb-amount", Hash: wire.Hash{1}}
	s.apply([]Action{
		{Kind: ActSend, Peer: c.id, Msg: rej},
		{Kind: ActDisconnect, Peer: c.id, Cause: CauseBanned},
	})
	s.wg.Add(1)
	go s.writeLoop(c)
	m, _, err := ReadMessage(far, s.magic)
	if got, ok := m.(*MsgReject); err != nil || !ok || *got != *rej {
		t.Fatalf("read %v (%v), want the reject", m, err)
	}
	if m, _, err := ReadMessage(far, s.magic); err == nil {
		t.Fatalf("read %s after the reject, want the connection closed", m.Type())
	}
	s.wg.Wait()
}

// TestDisconnectOfNonReader: a dropped peer that reads nothing holds its
// connection only until the write timeout ends the writing of what was
// queued for it.
func TestDisconnectOfNonReader(t *testing.T) {
	s, c, _ := connServer(t, 10*time.Millisecond)
	s.apply([]Action{
		{Kind: ActSend, Peer: c.id, Msg: &MsgPing{Nonce: 1}},
		{Kind: ActDisconnect, Peer: c.id, Cause: CauseBanned},
	})
	s.wg.Add(1)
	go s.writeLoop(c)
	select {
	case <-c.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the connection of a dropped peer that reads nothing stays open")
	}
	s.wg.Wait()
}
