package p2p

import (
	"bufio"
	"fmt"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"powchain/wire"
)

// maxQueuedMsgs bounds a peer's send queue by count; MaxSendQueueBytes
// bounds it by size.
const maxQueuedMsgs = 4096

// What a connection the Core has dropped may still hold (hangUp): the
// Core has forgotten the peer, so its connection no longer counts against
// MaxPeers, and whoever had it dropped (a ban from a fresh address, an
// eviction by its own next connection) can open another at once. Its
// writer writes what is queued (the reject that explains a ban, a few
// answers) only if that is at most hangUpMaxBytes, and within
// hangUpTimeout; a larger backlog (answers asked for and never read) is
// dropped with the connection at once. Stored blocks queued for it
// (references, see MsgStoredBlock) are not loaded and not sent: the peer
// is gone, and they would cost a block's memory each for hangUpTimeout.
const (
	hangUpMaxBytes = 64 << 10
	hangUpTimeout  = 5 * time.Second
)

// conn is the driver's side of one connection: a reader goroutine that
// decodes frames into events for the loop, and a writer goroutine that
// encodes queued messages. The event loop owns the conn; both goroutines
// exit when the connection is closed.
type conn struct {
	id PeerID
	nc net.Conn
	// turn is the connection's one slot in the loop's queue: the reader
	// fills it (takeTurn) before posting a received message and the loop
	// empties it (giveTurn) once it has handled that message and queued
	// the answers, so at most one of this peer's messages waits for the
	// loop, and the reader sees the queue as that message left it.
	turn   chan struct{}
	queue  chan outgoing
	queued atomic.Int64 // estimated bytes waiting in queue
	// paused is set while the reader holds back the peer's next message
	// because more than pauseBytes wait to be written to the peer
	// (waitDrained); the writer, seeing it, signals drained each time a
	// write leaves at most pauseBytes queued. drained holds one signal.
	paused     atomic.Bool
	drained    chan struct{}
	pauseBytes int64
	sent       atomic.Uint64
	recv       atomic.Uint64
	closed     chan struct{}
	once       sync.Once
	maxBytes   int64
	// hungUp is closed (once, by hangUp) when the Core has dropped the
	// peer: the writer then sends what is queued and closes the
	// connection.
	hungUp     chan struct{}
	hangUpOnce sync.Once

	// expected holds the blocks requested from this peer whose headers
	// are in the chain's index: the only blocks its reader may hand to
	// Chain.Preverify, each once. The event loop adds on sending getdata,
	// the reader takes on receipt; expectMu guards it and is held only for
	// map operations. At most maxExpected entries are kept (a block left
	// out is simply not pre-verified).
	expectMu sync.Mutex
	expected map[wire.Hash]struct{}

	// shown is what the peer showed it has (ShownBlocks): the reader
	// notes every message it decodes, the writer drops a queued push
	// whose block is in it. shownMu guards it and is held only for Note
	// and Stale.
	shownMu sync.Mutex
	shown   ShownBlocks
}

// outgoing is a queued message; push marks a compact block pushed unasked
// (Action.Push), which the writer drops if it has gone stale.
type outgoing struct {
	msg  Message
	push bool
}

// maxExpected bounds a connection's expected blocks: a few times what the
// Core requests of one peer at once (Config.MaxBlocksInFlight), so blocks
// re-requested after a stall still fit.
func maxExpected(cfg *Config) int { return 4 * cfg.MaxBlocksInFlight }

// newConn returns the conn of nc, whose send queue holds at most maxBytes
// (Config.MaxSendQueueBytes) and whose reader pauses above a quarter of
// that (see waitDrained).
func newConn(id PeerID, nc net.Conn, maxBytes int) *conn {
	return &conn{id: id, nc: nc, turn: make(chan struct{}, 1), queue: make(chan outgoing, maxQueuedMsgs),
		drained: make(chan struct{}, 1), pauseBytes: int64(maxBytes / 4),
		closed: make(chan struct{}), hungUp: make(chan struct{}), maxBytes: int64(maxBytes),
		expected: make(map[wire.Hash]struct{})}
}

// expect records that block h was requested from this peer, unless limit
// blocks are expected already.
func (c *conn) expect(h wire.Hash, limit int) {
	c.expectMu.Lock()
	defer c.expectMu.Unlock()
	if len(c.expected) < limit {
		c.expected[h] = struct{}{}
	}
}

// takeExpected reports whether block h was expected from this peer, and
// no longer expects it.
func (c *conn) takeExpected(h wire.Hash) bool {
	c.expectMu.Lock()
	defer c.expectMu.Unlock()
	_, ok := c.expected[h]
	delete(c.expected, h)
	return ok
}

// takeTurn waits until the loop has taken this peer's previous message
// off its queue and claims the slot for the next; false if the connection
// closed or the loop stopped first (done is closed when it stops).
func (c *conn) takeTurn(done <-chan struct{}) bool {
	select {
	case c.turn <- struct{}{}:
		return true
	case <-c.closed:
		return false
	case <-done:
		return false
	}
}

// giveTurn frees the slot; the loop calls it once for each message it
// takes, whose reader filled the slot before posting it, so it never
// blocks.
func (c *conn) giveTurn() { <-c.turn }

// waitDrained holds the reader while more than pauseBytes wait to be
// written to the peer, as Bitcoin Core stops processing a peer's messages
// while its send buffer is full (fPauseSend): a peer that asks faster than
// it reads is made to wait, not disconnected. The reader calls it with its
// turn taken, so the queue is as the peer's last message left it; one
// message's answers take at most half of maxBytes plus one message
// (handleGetData), so an honest peer's requests never overflow the queue.
// False if the connection closed or the loop stopped first.
func (c *conn) waitDrained(done <-chan struct{}) bool {
	for c.queued.Load() > c.pauseBytes {
		c.paused.Store(true)
		if c.queued.Load() <= c.pauseBytes { // a write in between: the writer may not have seen paused
			break
		}
		select {
		case <-c.drained:
		case <-c.closed:
			return false
		case <-done:
			return false
		}
	}
	c.paused.Store(false)
	return true
}

// wroteOne is the writer's part of waitDrained: after each message it
// takes off the queue, it wakes a paused reader once the queue is down
// to pauseBytes. (The reader sets paused before it looks at queued again,
// and the writer takes off before it looks at paused, so one of the two
// sees the other.)
func (c *conn) wroteOne() {
	if c.paused.Load() && c.queued.Load() <= c.pauseBytes {
		select {
		case c.drained <- struct{}{}:
		default: // a signal is waiting already
		}
	}
}

// close closes the connection once; the goroutines notice and exit.
func (c *conn) close() {
	c.once.Do(func() {
		close(c.closed)
		c.nc.Close()
	})
}

// hangUp closes the connection once the messages queued so far are
// written (see writeLoop), so a dropped peer gets what explains its drop,
// such as the reject sent before a ban, instead of a connection cut with
// the explanation still queued; if more than hangUpMaxBytes are queued, it
// closes the connection at once instead, dropping them. It returns at
// once; the connection stays in the loop's table until its reader reports
// the close. A write under way must end by deadline (the loop's clock
// plus hangUpTimeout). No block it sends from now on is pre-verified.
func (c *conn) hangUp(deadline time.Time) {
	c.hangUpOnce.Do(func() {
		c.expectMu.Lock()
		clear(c.expected)
		c.expectMu.Unlock()
		close(c.hungUp)
		if c.queued.Load() > hangUpMaxBytes {
			c.close()
			return
		}
		c.nc.SetWriteDeadline(deadline) // after hungUp is closed: see writeMsg
	})
}

func (c *conn) isHungUp() bool {
	select {
	case <-c.hungUp:
		return true
	default:
		return false
	}
}

// noteShown records the blocks m, just read from the peer, shows it has.
func (c *conn) noteShown(m Message) {
	c.shownMu.Lock()
	defer c.shownMu.Unlock()
	c.shown.Note(m)
}

// stale reports whether o is a push whose block is among the last blocks
// the peer has shown it has (ShownBlocks), before or after o was queued:
// sending it would be wasted.
func (c *conn) stale(o outgoing) bool {
	if !o.push {
		return false
	}
	c.shownMu.Lock()
	defer c.shownMu.Unlock()
	return c.shown.Stale(o.msg)
}

// enqueue queues m (a push if push, see Action.Push) without blocking. A
// peer whose queue is full reads too slowly to keep up: it is disconnected
// rather than allowed to hold memory or stall the loop.
func (c *conn) enqueue(m Message, push bool) bool {
	size := int64(sizeHint(m))
	if c.queued.Add(size) > c.maxBytes {
		c.queued.Add(-size)
		return false
	}
	select {
	case c.queue <- outgoing{msg: m, push: push}:
		return true
	default:
		c.queued.Add(-size)
		return false
	}
}

// storedBlockRefSize is what a queued reference to a stored block
// (MsgStoredBlock without Encoded) holds until the writer loads it: the
// message, a hash and an empty slice (57 bytes, a 64-byte allocation).
const storedBlockRefSize = 64

// sizeHint estimates what a queued message holds for the send budget: its
// frame's size, or a stored block reference's own (storedBlockRefSize),
// whose block the writer loads only when it writes it.
func sizeHint(m Message) int {
	switch m := m.(type) {
	case *MsgBlock:
		return protoOverhead(m.Block.SerializeSize())
	case *MsgStoredBlock:
		if m.Encoded == nil {
			return storedBlockRefSize
		}
		return len(m.Encoded) + 16
	case *MsgTx:
		return protoOverhead(m.Tx.SerializeSize())
	case *MsgBlockTxn:
		return protoOverhead(txsSize(m.Txs))
	case *MsgCmpctBlock:
		return protoOverhead(prefilledSize(m.Prefilled)) + ShortIDSize*len(m.ShortIDs) + 256
	case *MsgHeaders:
		return 99*len(m.Headers) + 64
	case *MsgInv:
		return 38*len(m.Items) + 64
	case *MsgGetData:
		return 38*len(m.Items) + 64
	case *MsgNotFound:
		return 38*len(m.Items) + 64
	case *MsgAddr:
		return 64*len(m.Addrs) + 64
	}
	return 256
}

// txsSize is the canonical size of txs.
func txsSize(txs []*wire.Tx) int {
	n := 0
	for _, tx := range txs {
		n += tx.SerializeSize()
	}
	return n
}

// prefilledSize is the canonical size of the transactions in pts, with a
// few bytes for each one's index.
func prefilledSize(pts []PrefilledTx) int {
	n := 0
	for _, pt := range pts {
		n += pt.Tx.SerializeSize() + 4
	}
	return n
}

// writeLoop encodes and writes queued messages until the connection
// closes, or until it is hung up: then it writes what is still queued and
// closes the connection itself, so the close never overtakes a message
// queued before it. Encoding here, not on the loop, lets peers' writes
// proceed in parallel. A push that went stale while it waited behind
// earlier messages is dropped when its turn comes (writeFrame), and a
// stored block is read from the chain only then (LoadStoredBlock), so the
// writer holds at most one block at a time.
func (s *Server) writeLoop(c *conn) {
	defer s.wg.Done()
	defer c.close()
	w := bufio.NewWriterSize(c.nc, 64<<10)
	for {
		var m outgoing
		select {
		case m = <-c.queue:
		case <-c.hungUp:
		case <-c.closed:
			return
		}
		if c.isHungUp() {
			if err := s.writeRest(c, w, m); err != nil {
				s.cfg.Log.Debug("write failed", "peer", c.id, "err", err)
			}
			return
		}
		if err := s.writeMsg(c, w, m); err != nil {
			s.cfg.Log.Debug("write failed", "peer", c.id, "err", err)
			return
		}
	}
}

// writeMsg writes m within WriteTimeout (hangUpTimeout once hung up),
// flushing when nothing else is queued.
func (s *Server) writeMsg(c *conn, w *bufio.Writer, m outgoing) error {
	if err := c.nc.SetWriteDeadline(s.cfg.Now().Add(s.cfg.WriteTimeout)); err != nil {
		return err
	}
	if c.isHungUp() { // hung up since m was taken: hangUp's deadline may be overwritten
		if err := c.nc.SetWriteDeadline(s.cfg.Now().Add(min(s.cfg.WriteTimeout, hangUpTimeout))); err != nil {
			return err
		}
	}
	if err := s.writeFrame(c, w, m); err != nil {
		return err
	}
	if len(c.queue) == 0 {
		return w.Flush()
	}
	return nil
}

// writeRest writes m (if any) and every message still queued, and
// flushes, all within hangUpTimeout (or WriteTimeout, if shorter): a
// hung-up peer that stopped reading holds its connection no longer than
// that.
func (s *Server) writeRest(c *conn, w *bufio.Writer, m outgoing) error {
	if err := c.nc.SetWriteDeadline(s.cfg.Now().Add(min(s.cfg.WriteTimeout, hangUpTimeout))); err != nil {
		return err
	}
	for {
		if m.msg != nil {
			if err := s.writeFrame(c, w, m); err != nil {
				return err
			}
		}
		select {
		case m = <-c.queue:
		default:
			return w.Flush()
		}
	}
}

// writeFrame encodes o into w, which the caller flushes, unless o is a
// stale push (conn.stale), which it drops. A reference to a stored block
// is loaded from the chain here, on the writer's goroutine (or answered
// notfound if it can no longer be served, see LoadStoredBlock); once the
// connection is hung up it is dropped instead, unread.
func (s *Server) writeFrame(c *conn, w *bufio.Writer, o outgoing) error {
	m := o.msg
	defer c.wroteOne()
	defer c.queued.Add(-int64(sizeHint(m)))
	if c.stale(o) || c.isHungUp() && isStoredRef(m) {
		return nil
	}
	m = LoadStoredBlock(s.cfg.Chain, m)
	head, body, err := frameParts(s.magic, m) // a block's bytes are written as they are, not copied
	if err != nil {
		return err
	}
	if _, err := w.Write(head); err != nil {
		return err
	}
	if _, err := w.Write(body); err != nil {
		return err
	}
	size := len(head) + len(body)
	c.sent.Add(uint64(size))
	s.sentTotal.Add(uint64(size))
	if s.cfg.OnMessage != nil {
		s.cfg.OnMessage(false, m.Type(), size)
	}
	return nil
}

// isStoredRef reports whether m is a stored block not loaded yet.
func isStoredRef(m Message) bool {
	ref, ok := m.(*MsgStoredBlock)
	return ok && ref.Encoded == nil
}

// readLoop decodes frames and hands them to the event loop, one at a time:
// it may decode (and pre-verify) the next message while one waits in the
// loop's queue, but posts it only when the loop has handled that one
// (takeTurn), so a peer can make the node hold at most two of its decoded
// messages: one queued, one in its reader; and only while at most a
// quarter of the send budget waits to be written to the peer
// (waitDrained), so a peer that does not read what it asked for is asked
// to wait, by TCP's flow control, before it can ask more. Violations and the close are
// posted without a turn. A panic while decoding is logged and ends the
// connection.
func (s *Server) readLoop(c *conn) {
	defer s.wg.Done()
	var cause error
	defer func() {
		if r := recover(); r != nil {
			cause = fmt.Errorf("panic reading from peer: %v", r)
			s.cfg.Log.Error("recovered from panic in peer reader", "peer", c.id, "panic", r, "stack", string(debug.Stack()))
		}
		c.close()
		s.post(evClosed{id: c.id, err: cause})
	}()
	r := bufio.NewReaderSize(c.nc, 64<<10)
	for {
		m, n, err := ReadMessage(r, s.magic)
		c.recv.Add(uint64(n))
		s.recvTotal.Add(uint64(n))
		if err != nil {
			if perr, ok := err.(*ProtocolError); ok {
				s.post(evViolation{id: c.id, err: perr})
			}
			cause = err
			return
		}
		if s.cfg.OnMessage != nil {
			s.cfg.OnMessage(true, m.Type(), n)
		}
		c.noteShown(m)
		if b, ok := m.(*MsgBlock); ok && c.takeExpected(b.Block.BlockHash()) {
			s.cfg.Chain.Preverify(b.Block)
		}
		if !c.takeTurn(s.done) || !c.waitDrained(s.done) {
			cause = net.ErrClosed
			return
		}
		if !s.post(evMessage{c: c, msg: m}) {
			return
		}
	}
}
