package sim

import (
	"slices"
	"testing"
	"time"
)

// TestPropagationRun: a measurement run on a small network with every
// model on: every mined block is either measured or stale; each measured
// block's times are ordered (50% ≤ 95% ≤ 100%); no node ever has a block
// before its floor, nor before its parent; neither ideal push, store-and-
// forward or cut-through, is faster than its floor, and the cut-through
// floor is no later than the floor; the parts of each block's path
// to each node add up to its delay; the stale estimate follows from the
// measured delay.
func TestPropagationRun(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, Config{
		Seed: testSeed(t, 31), Nodes: 16, TargetOutbound: 4, KnownPeers: 8,
		Link:            LinkConfig{Regions: true, UploadBitsPerSec: 10_000_000},
		ValidationPerTx: 22 * time.Microsecond, BlockSize: 500_000,
	})
	rep, err := s.RunPropagation(Propagation{Blocks: 8, Interval: 5 * time.Second, TxRate: 2})
	must(t, s, err)
	t.Logf("seed=%d: %+v", s.Seed(), rep)
	if rep.Mined != 8 || rep.Measured+rep.Stale != rep.Mined || rep.Measured != len(rep.Blocks) {
		t.Fatalf("mined %d, measured %d, stale %d, %d block records", rep.Mined, rep.Measured, rep.Stale, len(rep.Blocks))
	}
	for _, b := range rep.Blocks {
		if !(0 < b.P50 && b.P50 <= b.P95 && b.P95 <= b.P100) || !(b.FloorP50 <= b.FloorP95 && b.FloorP95 <= b.Floor) {
			t.Fatalf("block %s: times out of order: %+v", b.Hash, b)
		}
		if b.FloorP95 > b.P95 || b.Floor > b.P100 || b.FloorP95 > b.IdealP95 || b.CutFloorP95 > b.CutIdealP95 || b.CutFloorP95 > b.CutJitterP95 || b.Txs < 2000 {
			t.Fatalf("block %s: faster than its floor, or too few transactions: %+v", b.Hash, b)
		}
	}
	paths := 0
	for _, r := range s.blocks.order {
		for i, at := range r.arrival {
			if at.IsZero() {
				continue
			}
			if r.ideal[i] < r.floor[i] {
				t.Fatalf("block %s: node %d: ideal push %v below the floor %v", r.hash, i, r.ideal[i], r.floor[i])
			}
			if r.cutIdeal[i] < r.cutFloor[i] || r.cutJitter[i] < r.cutFloor[i] || r.cutFloor[i] > r.floor[i] {
				t.Fatalf("block %s: node %d: cut-through ideal push %v (with jitter %v), cut-through floor %v, floor %v",
					r.hash, i, r.cutIdeal[i], r.cutJitter[i], r.cutFloor[i], r.floor[i])
			}
			if r.floor[i] >= 0 && at.Sub(r.mined) < r.floor[i] {
				t.Fatalf("block %s: node %d had it %v after it was mined, below its floor %v",
					r.hash, i, at.Sub(r.mined), r.floor[i])
			}
			if had := r.had[i]; had.Before(at) || r.parent != nil && had.Before(r.parent.had[i]) {
				t.Fatalf("block %s: node %d had it at %v with its ancestors, received it at %v, its parent at %v",
					r.hash, i, had, at, r.parent.had[i])
			}
			c, ok := s.pathCost(r, i)
			if !ok {
				continue
			}
			paths++
			if c.Total() != r.had[i].Sub(r.mined) || min(c.Wait, c.Queue, c.Serialization, c.Latency, c.Other, c.Parent) < 0 ||
				(i != r.miner && (c.Hops < 1 || c.Latency <= 0 || c.Serialization <= 0)) {
				t.Fatalf("block %s, node %d, delay %v: path %+v does not add up", r.hash, i, at.Sub(r.mined), c)
			}
		}
	}
	if paths < len(s.blocks.order)*len(s.nodes)*9/10 || rep.PathsKnown != rep.Measured {
		t.Fatalf("%d paths known of %d arrivals; %d p95 paths of %d blocks", paths,
			len(s.blocks.order)*len(s.nodes), rep.PathsKnown, rep.Measured)
	}
	if p := rep.P95Path; p.Hops < 1 || p.Total() > rep.WorstP95 {
		t.Fatalf("mean p95 path %+v, worst p95 %v", p, rep.WorstP95)
	}
	if rep.Ratio < 1 || rep.Tau <= 0 || rep.StaleEstimate <= 0 || rep.StaleEstimate >= 1 {
		t.Fatalf("ratio %v, tau %v, estimate %v", rep.Ratio, rep.Tau, rep.StaleEstimate)
	}
	if st := s.Stats(); st.Txs == 0 || st.UploadBytes < uint64(rep.Mined)*500_000 {
		t.Fatalf("stats %+v: want transactions and at least one block's bytes per block uploaded", st)
	}
}

// TestHadWaitsForAncestors: a node that receives a block before its parent
// has it only once the parent is in too (a fork's loser fetching the
// winning branch), and the wait shows as the path's Parent part; a node
// that never received the parent never has the child.
func TestHadWaitsForAncestors(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	parent := &blockRecord{miner: 0, mined: at(0), arrival: []time.Time{at(0), at(900), {}}}
	child := &blockRecord{parent: parent, miner: 0, mined: at(100),
		arrival: []time.Time{at(100), at(200), at(300)}, via: make([]*sendTimes, 3)}
	child.via[1] = &sendTimes{from: 0, ready: at(100), start: at(100), done: at(150)}
	l := blockLog{order: []*blockRecord{parent, child}}
	l.settleHad()
	if want := []time.Time{at(100), at(900), {}}; !slices.Equal(child.had, want) {
		t.Fatalf("child had %v, want %v", child.had, want)
	}
	s := &Sim{net: newNetwork(3, LinkConfig{}, newRand(1, 2))}
	c, ok := s.pathCost(child, 1)
	if !ok || c.Parent != 700*time.Millisecond || c.Total() != 800*time.Millisecond {
		t.Fatalf("path %+v (known %v): want 700ms waiting for the parent, 800ms in all", c, ok)
	}
}
