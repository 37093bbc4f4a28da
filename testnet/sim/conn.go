package sim

import (
	"net"
	"strconv"
	"time"

	"powchain/p2p"
)

// endpoint is one node's end of a simulated TCP connection. Each end has
// the ID its own node's Core knows it by. A connection is a pair of ends;
// either may close first, and the other learns it when the close (FIN)
// reaches it, or when its next message reaches the closed end (RST).
type endpoint struct {
	node   int
	id     p2p.PeerID
	remote *endpoint
	open   bool
	// lastArrival is when the latest message sent from this end reaches
	// the other: later messages never arrive before it, so a connection is
	// FIFO in each direction however the jitter falls.
	lastArrival time.Time
	// shown is what the other end showed it has (p2p.ShownBlocks), noted
	// when its messages arrive, before the Core takes them (noteShown).
	shown p2p.ShownBlocks
}

// send encodes m with the frame codec (so every message also crosses the
// real encoder and decoder) and queues it on n's upload link at ready,
// after the messages queued before it (see pumpUpload). Whether the
// network delivers it, and its latency, are drawn now, in the order
// messages are sent. push marks a compact block pushed unasked
// (p2p.Action.Push). A stored block the Core answered with by reference
// is loaded here from n's chain (p2p.LoadStoredBlock, as p2p.Server's
// writer loads it when its turn comes), or becomes the notfound the
// Core would have sent: what the link carries is the same either way.
func (s *Sim) send(n *Node, from *endpoint, m p2p.Message, push bool, ready time.Time) {
	m = p2p.LoadStoredBlock(n.chain, m)
	frame, err := p2p.EncodeFrame(s.params.Magic, m)
	if err != nil {
		s.fail(n.index, "encode %s: %v", m.Type(), err)
		return
	}
	o := outMsg{from: from, msg: m, frame: frame, size: len(frame) + s.virtualBytes(m), ready: ready, push: push}
	switch to := from.remote; {
	case !s.net.reachable(from.node, to.node):
		o.cut = true
	case s.net.lost():
		o.lost = true
	default:
		o.latency = s.net.latency(from.node, to.node)
	}
	n.outbox = append(n.outbox, o)
	s.pumpUpload(n)
}

// outMsg is a message waiting for its turn on its sender's upload link.
type outMsg struct {
	from  *endpoint
	msg   p2p.Message
	frame []byte
	size  int       // what the link carries: the frame and any virtual payload
	ready time.Time // when it entered the queue
	push  bool      // a compact block pushed unasked (p2p.Action.Push)
	// latency is the link's delay for this message, drawn when it was
	// sent, unless the network loses it (lost) or a partition cuts it
	// (cut): it still takes its time on the link, and arrives nowhere.
	latency   time.Duration
	lost, cut bool
}

// pumpUpload puts the messages at the head of n's upload queue on the
// link: each leaves when it is ready or when the link is done with the one
// before, whichever is later. A push is decided only when its turn comes:
// if its peer has shown by then that it has the block, it is dropped, as
// p2p.Server's writer drops it (p2p.ShownBlocks), and the messages behind
// it move up; if its connection has closed, it is not sent either. So a
// push whose turn is still to come stops the pump, and an evUpload event
// comes back for it then; every other message is scheduled at once.
func (s *Sim) pumpUpload(n *Node) {
	for len(n.outbox) > 0 {
		o := n.outbox[0]
		start := o.ready
		if n.uploadFree.After(start) {
			start = n.uploadFree
		}
		if o.push && start.After(s.now) {
			if !n.uploadArmed {
				n.uploadArmed = true
				s.schedule(&event{at: start, kind: evUpload, node: n.index})
			}
			return
		}
		n.outbox[0] = outMsg{}
		n.outbox = n.outbox[1:]
		switch {
		case o.push && !o.from.open:
		case o.push && o.from.shown.Stale(o.msg):
			s.stats.PushesDropped++
		default:
			s.transmit(n, o, start)
		}
	}
}

// transmit puts o on the link at start: its last byte leaves one
// serialization later, and it arrives its latency after that. It is
// counted as sent (and as lost or cut) here, when it takes the link: a
// push dropped before its turn never left.
func (s *Sim) transmit(n *Node, o outMsg, start time.Time) {
	s.stats.Sent++
	if t := int(o.msg.Type()); t < len(s.stats.SentByType) {
		s.stats.SentByType[t]++
	}
	sent := s.upload(n, o.size, start)
	switch {
	case o.cut:
		s.stats.Partitioned++
		return
	case o.lost:
		s.stats.Lost++
		return
	}
	to := o.from.remote
	s.schedule(&event{at: s.arrivalAfter(o.from, sent, o.latency), kind: evDeliver, node: to.node, end: to,
		frame: o.frame, msg: o.msg, sent: &sendTimes{from: n.index, ready: o.ready, start: start, done: sent}})
}

// upload occupies n's upload link with size bytes from start, when the
// link is free (pumpUpload), and returns when their last byte left. All of
// a node's connections share the link, first come first served (a
// simplification: TCP would share it between concurrent flows, which
// delays the first peer to get a block for no gain to the last).
func (s *Sim) upload(n *Node, size int, start time.Time) (done time.Time) {
	n.uploadFree = start.Add(s.net.serialization(size))
	s.stats.UploadBytes += uint64(size)
	return n.uploadFree
}

// arrival draws when the next control message from `from` (a close or a
// reset, which take no upload time) reaches the other end, never before
// the previous one.
func (s *Sim) arrival(from *endpoint) time.Time {
	return s.arrivalAfter(from, s.now, s.net.latency(from.node, from.remote.node))
}

// arrivalAfter is when a message from `from` whose last byte left at sent
// reaches the other end: sent plus its latency, never before the previous
// message (each direction is FIFO, as over TCP).
func (s *Sim) arrivalAfter(from *endpoint, sent time.Time, latency time.Duration) time.Time {
	at := sent.Add(latency)
	if at.Before(from.lastArrival) {
		at = from.lastArrival
	}
	from.lastArrival = at
	return at
}

// deliver hands an arriving frame to the receiving Core, unless the link is
// cut or the receiving end closed meanwhile (then the sender is reset).
func (s *Sim) deliver(n *Node, e *event) {
	end := e.end
	switch {
	case !s.net.reachable(end.remote.node, end.node):
		s.stats.Partitioned++
		return
	case !end.open:
		s.stats.ToClosed++
		s.reset(end)
		return
	case n.conns[end.id] != end:
		s.fail(n.index, "frame for connection %d before the Core knew it", end.id)
		return
	}
	msg, err := p2p.DecodeFrame(e.frame, s.params.Magic)
	if err != nil {
		s.fail(n.index, "decode a frame from node %d: %v", end.remote.node, err)
		return
	}
	s.stats.Delivered++
	s.stats.Bytes += uint64(len(e.frame))
	s.delivering = e.sent
	s.input(n, e, e.frame, func() []p2p.Action { return n.core.Receive(s.now, end.id, msg) })
	s.delivering = nil
}

// noteShown records in the receiving end what a message arriving there
// shows its sender has, as p2p.Server's reader does before the Core takes
// the message: a node busy validating still learns it at once. An event
// postponed while its node validates is noted once, when it first arrives.
func (s *Sim) noteShown(e *event) {
	if e.msg == nil || !e.end.open || !s.net.reachable(e.end.remote.node, e.end.node) {
		return
	}
	e.end.shown.Note(e.msg)
	e.msg = nil
}

// reset tells the sender of a message that reached a closed end that its
// connection is gone, as a TCP reset would.
func (s *Sim) reset(closed *endpoint) {
	if peer := closed.remote; peer.open {
		s.schedule(&event{at: s.arrival(closed), kind: evClosed, node: peer.node, end: peer})
	}
}

// dial connects n to addr if a node listens there and the link is up: the
// target's Core learns of the inbound connection after one base latency,
// the dialer's after two (the SYN-ACK). Otherwise the dial fails after
// DialTimeout.
func (s *Sim) dial(n *Node, addr string) {
	s.stats.Dials++
	target := s.byAddr[addr]
	if target == nil || !s.net.reachable(n.index, target.index) {
		s.schedule(&event{at: s.now.Add(s.net.cfg.DialTimeout), kind: evDialFailed, node: n.index, addr: addr})
		return
	}
	lat := s.net.baseLatency(n.index, target.index)
	out := &endpoint{node: n.index, open: true}
	in := &endpoint{node: target.index, open: true, remote: out}
	out.remote = in
	n.nextID++
	out.id = n.nextID
	target.nextID++
	in.id = target.nextID
	accepted, dialed := s.now.Add(lat), s.now.Add(2*lat)
	out.lastArrival, in.lastArrival = accepted, dialed
	s.schedule(&event{at: accepted, kind: evAccept, node: target.index, end: in, addr: n.nextRemoteAddr()})
	s.schedule(&event{at: dialed, kind: evDialed, node: n.index, end: out, addr: addr})
}

// nextRemoteAddr is the address an outbound connection of n comes from:
// its IP and the next ephemeral port.
func (n *Node) nextRemoteAddr() string {
	host, _, _ := net.SplitHostPort(n.addr)
	port := n.nextPort
	n.nextPort++
	if n.nextPort > 65535 {
		n.nextPort = 40000
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// closeEnd closes n's end of a connection at its Core's request; the FIN
// follows the data already sent.
func (s *Sim) closeEnd(n *Node, end *endpoint) {
	s.stats.Disconnects++
	end.open = false
	delete(n.conns, end.id)
	if end.remote.open {
		s.schedule(&event{at: s.arrival(end), kind: evClosed, node: end.remote.node, end: end.remote})
	}
}

// remoteClosed tells n's Core that the other end closed, if the news gets
// through the network.
func (s *Sim) remoteClosed(n *Node, e *event) {
	end := e.end
	if !end.open {
		return
	}
	if !s.net.reachable(end.remote.node, end.node) {
		s.stats.Partitioned++
		return
	}
	end.open = false
	delete(n.conns, end.id)
	s.input(n, e, nil, func() []p2p.Action { return n.core.Disconnected(s.now, end.id, errClosed) })
}
