package sim

import (
	"container/heap"
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
)

var evNames = [...]string{"", "start", "tick", "accept", "dialed", "dialfailed", "deliver", "closed", "tx"}

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
	end   *endpoint  // evAccept, evDialed, evDeliver, evClosed
	addr  string     // evAccept: remote address; evDialed, evDialFailed: dialed address
	frame []byte     // evDeliver
	sent  *sendTimes // evDeliver
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
type eventQueue struct {
	h   eventHeap
	seq uint64
}

func (q *eventQueue) push(e *event) {
	e.seq = q.seq
	q.seq++
	heap.Push(&q.h, e)
}

// pop removes and returns the earliest event, nil if there is none.
func (q *eventQueue) pop() *event {
	if len(q.h) == 0 {
		return nil
	}
	return heap.Pop(&q.h).(*event)
}

// peek returns the earliest event without removing it, nil if there is none.
func (q *eventQueue) peek() *event {
	if len(q.h) == 0 {
		return nil
	}
	return q.h[0]
}

func (q *eventQueue) len() int { return len(q.h) }

type eventHeap []*event

func (h eventHeap) Len() int { return len(h) }

func (h eventHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}

func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(*event)) }

func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
