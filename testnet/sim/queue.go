package sim

import (
	"time"

	"powchain/p2p"
)

// evKind says what an event does when its time comes.
type evKind uint8

const (
	evStart      evKind = iota + 1 // Core.Start of node
	evTick                         // Core.Tick of node
	evAccept                       // inbound Connected at node (the dial reached it)
	evDialed                       // outbound Connected at node (its dial completed)
	evDialFailed                   // DialFailed at node for addr
	evDeliver                      // frame arrives at end
	evClosed                       // the remote side of end closed: Disconnected
	evTx                           // inject a transaction at a random node
	evUpload                       // the head of node's upload queue may leave (pumpUpload)
)

var evNames = [...]string{"", "start", "tick", "accept", "dialed", "dialfailed", "deliver", "closed", "tx", "upload"}

// isInput reports whether events of kind k are inputs to a node's Core,
// which wait while the node validates (cpu.go).
func (k evKind) isInput() bool { return k >= evStart && k <= evClosed }

func (k evKind) String() string {
	if int(k) < len(evNames) {
		return evNames[k]
	}
	return "event?"
}

// event is one scheduled input of the simulation. Which fields matter
// depends on kind.
type event struct {
	at    time.Time
	seq   uint64 // scheduling order: breaks ties between simultaneous events
	kind  evKind
	node  int
	end   *endpoint   // evAccept, evDialed, evDeliver, evClosed
	addr  string      // evAccept: remote address; evDialed, evDialFailed: dialed address
	frame []byte      // evDeliver
	msg   p2p.Message // evDeliver: the message sent, for noteShown; nil once noted
	sent  *sendTimes  // evDeliver
}

// sendTimes is how a delivered message left its sender: from which node,
// when it was ready to go, when its upload started and when it ended.
type sendTimes struct {
	from               int
	ready, start, done time.Time
}

// peerID is the Core's name for the connection the event concerns (0 if
// none).
func (e *event) peerID() p2p.PeerID {
	if e.end == nil {
		return 0
	}
	return e.end.id
}

// eventQueue is a priority queue of events ordered by (time, sequence
// number). The sequence number is assigned at push, so events scheduled for
// the same instant run in the order they were scheduled: the order never
// depends on the heap's internal layout.
//
// The heap is a binary heap of queued entries that carry their ordering
// key inline: comparing two entries reads no event. A 1,000-node run keeps
// tens of thousands of events queued and pops millions; following every
// comparison to its event (a cache miss each) was 5% of the run's CPU.
type eventQueue struct {
	h   []queued
	seq uint64
}

// queued is an event in the heap with its key: its time in nanoseconds
// since the Unix epoch (simulated times lie well within int64) and its
// sequence number.
type queued struct {
	at  int64
	seq uint64
	e   *event
}

func (a queued) before(b queued) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

func (q *eventQueue) push(e *event) {
	e.seq = q.seq
	q.seq++
	q.h = append(q.h, queued{at: e.at.UnixNano(), seq: e.seq, e: e})
	q.up(len(q.h) - 1)
}

// pop removes and returns the earliest event, nil if there is none.
func (q *eventQueue) pop() *event {
	if len(q.h) == 0 {
		return nil
	}
	e := q.h[0].e
	last := len(q.h) - 1
	q.h[0] = q.h[last]
	q.h[last] = queued{}
	q.h = q.h[:last]
	if last > 0 {
		q.down(0)
	}
	return e
}

// peek returns the earliest event without removing it, nil if there is none.
func (q *eventQueue) peek() *event {
	if len(q.h) == 0 {
		return nil
	}
	return q.h[0].e
}

func (q *eventQueue) len() int { return len(q.h) }

// up moves the entry at i towards the root until its parent is earlier.
func (q *eventQueue) up(i int) {
	x := q.h[i]
	for i > 0 {
		parent := (i - 1) / 2
		if !x.before(q.h[parent]) {
			break
		}
		q.h[i] = q.h[parent]
		i = parent
	}
	q.h[i] = x
}

// down moves the entry at i towards the leaves until both its children
// are later.
func (q *eventQueue) down(i int) {
	x, n := q.h[i], len(q.h)
	for {
		child := 2*i + 1
		if child >= n {
			break
		}
		if r := child + 1; r < n && q.h[r].before(q.h[child]) {
			child = r
		}
		if !q.h[child].before(x) {
			break
		}
		q.h[i] = q.h[child]
		i = child
	}
	q.h[i] = x
}
