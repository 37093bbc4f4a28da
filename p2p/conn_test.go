package p2p

import (
	"fmt"
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
	writeUntilClosed(t, s, c, "the connection of a dropped peer that reads nothing stays open")
}

// writeUntilClosed runs c's writer and fails the test with failure unless
// it closes the connection within 10 s (the far end reads nothing).
func writeUntilClosed(t *testing.T, s *Server, c *conn, failure string) {
	t.Helper()
	s.wg.Add(1)
	go s.writeLoop(c)
	select {
	case <-c.closed:
	case <-time.After(10 * time.Second):
		t.Fatal(failure)
	}
	s.wg.Wait()
}

// pushOf is a compact block of a header with the given nonce, and its
// block's id.
func pushOf(nonce uint32) (*MsgCmpctBlock, wire.Hash) {
	coinbase := &wire.Tx{Version: 1, Inputs: []wire.TxIn{{}}, Outputs: []wire.TxOut{{Amount: 1}}}
	m := &MsgCmpctBlock{Header: wire.BlockHeader{Version: 1, Nonce: nonce}, Nonce: uint64(nonce),
		Prefilled: []PrefilledTx{{Index: 0, Tx: coinbase}}}
	return m, m.Header.BlockHash()
}

// TestStalePushDropped: a compact block pushed unasked (Action.Push) whose
// block the peer has shown it has by the time the writer reaches it is not
// sent; a push of another block, and a compact block sent as an answer
// (not a push) of the same block, are sent, in order.
func TestStalePushDropped(t *testing.T) {
	s, c, far := connServer(t, time.Minute)
	shown, shownHash := pushOf(1)
	other, _ := pushOf(2)
	s.apply([]Action{
		{Kind: ActSend, Peer: c.id, Msg: &MsgPing{Nonce: 1}},
		{Kind: ActSend, Peer: c.id, Msg: shown, Push: true},
		{Kind: ActSend, Peer: c.id, Msg: other, Push: true},
		{Kind: ActSend, Peer: c.id, Msg: &MsgPing{Nonce: 2}},
		{Kind: ActSend, Peer: c.id, Msg: shown},
	})
	// What the reader does with an announcement of the block, read while
	// the pushes wait.
	c.noteShown(&MsgAnnounce{Headers: []wire.BlockHeader{shown.Header}})
	s.wg.Add(1)
	go s.writeLoop(c)
	want := []string{"ping 1", "cmpctblock " + other.Header.BlockHash().String(), "ping 2", "cmpctblock " + shownHash.String()}
	for _, w := range want {
		m, _, err := ReadMessage(far, s.magic)
		if err != nil {
			t.Fatalf("read: %v, want %s", err, w)
		}
		if got := describe(m); got != w {
			t.Fatalf("read %s, want %s", got, w)
		}
	}
	c.close()
	s.wg.Wait()
	if q := c.queued.Load(); q != 0 {
		t.Fatalf("%d bytes still counted as queued, want 0", q)
	}
}

// describe names a ping by its nonce and a compact block by its block.
func describe(m Message) string {
	switch m := m.(type) {
	case *MsgPing:
		return fmt.Sprintf("ping %d", m.Nonce)
	case *MsgCmpctBlock:
		return "cmpctblock " + m.Header.BlockHash().String()
	}
	return m.Type().String()
}

// TestReaderNotesShownOverTCP: over a TCP connection, what the peer sends
// reaches the reader's record of the blocks it has before the event loop
// takes it (nothing takes it here), and a push of such a block queued
// afterwards never leaves: the peer reads the ping queued after it, then
// the close.
func TestReaderNotesShownOverTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	far, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer far.Close()
	node, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		cfg:   Config{Log: testLogger(t), Now: time.Now, WriteTimeout: time.Minute},
		magic: testParams().Magic, conns: make(map[PeerID]*conn),
		events: make(chan any, 4), done: make(chan struct{}),
	}
	defer close(s.done)
	c := newConn(1, node, 1<<20)
	s.conns[c.id] = c
	s.wg.Add(1)
	go s.readLoop(c)

	push, hash := pushOf(3)
	for _, m := range []Message{&MsgInv{Items: []InvVect{{Type: InvTx, Hash: hash}}}, &MsgInv{Items: []InvVect{{Type: InvBlock, Hash: hash}}}} {
		frame, err := EncodeFrame(s.magic, m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := far.Write(frame); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 { // the reader posts each message after noting it
		ev := <-s.events
		if msg := ev.(evMessage); msg.msg.Type() != TypeInv {
			t.Fatalf("posted %v, want the inv", msg)
		}
		c.giveTurn()
	}
	if c.stale(outgoing{msg: push, push: false}) || !c.stale(outgoing{msg: push, push: true}) {
		t.Fatal("after an inv of the block: want its push stale, and only a push")
	}
	s.apply([]Action{
		{Kind: ActSend, Peer: c.id, Msg: push, Push: true},
		{Kind: ActSend, Peer: c.id, Msg: &MsgPing{Nonce: 9}},
		{Kind: ActDisconnect, Peer: c.id, Cause: CauseRequested},
	})
	s.wg.Add(1)
	go s.writeLoop(c)
	if m, _, err := ReadMessage(far, s.magic); err != nil || describe(m) != "ping 9" {
		t.Fatalf("read %v (%v), want ping 9", m, err)
	}
	if m, _, err := ReadMessage(far, s.magic); err == nil {
		t.Fatalf("read %s after the ping, want the connection closed", describe(m))
	}
	s.wg.Wait()
}

// TestSendBudgetCountsTransactions: a blocktxn answer and a compact block
// count the transactions they carry against the peer's send budget, as a
// block does. A peer that keeps asking for a block's transactions
// (getblocktxn, each answer a fresh copy read from disk) and reads nothing
// is disconnected once MaxSendQueueBytes wait for it, instead of making the
// node hold maxQueuedMsgs answers of up to a block each.
func TestSendBudgetCountsTransactions(t *testing.T) {
	big := &wire.Tx{Version: 1, Inputs: []wire.TxIn{{}}, Outputs: make([]wire.TxOut, 10_000)} // 280 kB
	for i := range big.Outputs {
		big.Outputs[i] = wire.TxOut{Amount: 1 << 50, KeyHash: wire.KeyHash{0xff}}
	}
	ids := make([]uint64, 2000)
	for _, m := range []Message{
		&MsgBlockTxn{Txs: []*wire.Tx{big, big}},
		&MsgCmpctBlock{ShortIDs: ids, Prefilled: []PrefilledTx{{Index: 0, Tx: big}, {Index: 1, Tx: big}}},
	} {
		frame, err := EncodeFrame(testParams().Magic, m)
		if err != nil {
			t.Fatal(err)
		}
		if hint := sizeHint(m); hint < len(frame) {
			t.Errorf("%s: counted as %d bytes against the send budget, its frame has %d", m.Type(), hint, len(frame))
		}
		if 2*len(frame) <= 1<<20 {
			t.Fatalf("%s: frame of %d bytes, want more than half the budget", m.Type(), len(frame))
		}
		s, c, _ := connServer(t, time.Minute) // a 1 MiB budget; nothing written
		s.apply([]Action{{Kind: ActSend, Peer: c.id, Msg: m}, {Kind: ActSend, Peer: c.id, Msg: m}})
		select {
		case <-c.closed:
		default:
			t.Errorf("%s: two of %d bytes each queued for a 1 MiB budget, and the peer is still connected", m.Type(), len(frame))
		}
	}
}

// TestDisconnectDropsBacklog: a dropped peer whose queue holds more than a
// few messages' worth (hangUpMaxBytes) is closed at once, its queue
// dropped, rather than kept while the writer tries to write it all. The
// Core has forgotten the peer, so its connection no longer counts against
// MaxPeers: a peer that asked for answers (up to MaxSendQueueBytes of
// them, for a few getdatas), read nothing, and then had itself dropped (a
// ban from a fresh address, or evicted by its next connection) left that
// much in memory for a whole WriteTimeout, and could do it again at once
// from another connection, without bound.
func TestDisconnectDropsBacklog(t *testing.T) {
	s, c, _ := connServer(t, time.Hour) // nothing is read at the far end
	headers := &MsgHeaders{Headers: make([]wire.BlockHeader, MaxHeadersPerMsg)}
	acts := []Action{}
	for range 4 {
		acts = append(acts, Action{Kind: ActSend, Peer: c.id, Msg: headers})
	}
	s.apply(append(acts, Action{Kind: ActDisconnect, Peer: c.id, Cause: CauseBanned}))
	if q := c.queued.Load(); q <= hangUpMaxBytes {
		t.Fatalf("%d bytes queued, want more than %d", q, hangUpMaxBytes)
	}
	writeUntilClosed(t, s, c, "a dropped peer that reads nothing keeps its connection and its queue of headers")
}
