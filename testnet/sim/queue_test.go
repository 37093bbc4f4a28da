package sim

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestQueueOrder: events come out by time, and events of the same instant
// in the order they were scheduled, whatever the order of scheduling.
func TestQueueOrder(t *testing.T) {
	var q eventQueue
	if q.pop() != nil || q.peek() != nil {
		t.Fatal("empty queue returned an event")
	}
	t0 := time.Unix(1_800_000_000, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 2000
	for i := range n {
		// Few distinct times, so that many events tie.
		q.push(&event{at: t0.Add(time.Duration(rng.IntN(50)) * time.Millisecond), node: i})
	}
	if q.len() != n {
		t.Fatalf("len %d, want %d", q.len(), n)
	}
	var prev *event
	for range n {
		peeked := q.peek()
		e := q.pop()
		if e != peeked {
			t.Fatal("peek and pop disagree")
		}
		if prev != nil {
			if e.at.Before(prev.at) {
				t.Fatalf("event at %v after one at %v", e.at, prev.at)
			}
			// node holds the push order.
			if e.at.Equal(prev.at) && e.node < prev.node {
				t.Fatalf("simultaneous events out of scheduling order: %d after %d", e.node, prev.node)
			}
		}
		prev = e
	}
	if q.pop() != nil {
		t.Fatal("queue not empty after popping everything")
	}
}

// TestQueueInterleaved: pushing while popping keeps the order, as the Sim
// does when an event schedules others.
func TestQueueInterleaved(t *testing.T) {
	var q eventQueue
	t0 := time.Unix(0, 0)
	q.push(&event{at: t0.Add(10), node: 1})
	q.push(&event{at: t0.Add(5), node: 2})
	if e := q.pop(); e.node != 2 {
		t.Fatalf("popped node %d first", e.node)
	}
	q.push(&event{at: t0.Add(10), node: 3}) // ties with node 1, scheduled later
	q.push(&event{at: t0.Add(7), node: 4})
	var got []int
	for q.len() > 0 {
		got = append(got, q.pop().node)
	}
	if want := []int{4, 1, 3}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("order %v, want %v", got, want)
	}
}

// TestQueueMatchesSort: random pushes and pops in any mix come out exactly
// as a sort by (time, scheduling order) of what was queued says.
func TestQueueMatchesSort(t *testing.T) {
	var q eventQueue
	var pending []*event // the reference: what is queued, in push order
	t0 := time.Unix(1_800_000_000, 0)
	rng := rand.New(rand.NewPCG(3, 4))
	pushed := 0
	for step := range 20_000 {
		if rng.IntN(3) > 0 || len(pending) == 0 {
			e := &event{at: t0.Add(time.Duration(rng.IntN(200)) * time.Microsecond), node: pushed}
			pushed++
			q.push(e)
			pending = append(pending, e)
			continue
		}
		want := 0 // the earliest; the first pushed among equals
		for i, e := range pending {
			if e.at.Before(pending[want].at) {
				want = i
			}
		}
		got := q.pop()
		if got != pending[want] {
			t.Fatalf("step %d: popped node %d at %v, want node %d at %v", step, got.node, got.at, pending[want].node, pending[want].at)
		}
		pending = append(pending[:want], pending[want+1:]...)
	}
	if q.len() != len(pending) {
		t.Fatalf("%d queued, want %d", q.len(), len(pending))
	}
}
