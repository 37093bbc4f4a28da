package sim

import (
	"testing"
	"time"
)

// TestPropagationRun: a measurement run on a small network with every
// model on: every mined block is either measured or stale; each measured
// block's times are ordered (50% ≤ 95% ≤ 100%); no node ever has a block
// before its floor; the parts of each block's path to each node add up to
// its delay; the stale estimate follows from the measured delay.
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
		if b.FloorP95 > b.P95 || b.Floor > b.P100 || b.Txs < 2000 {
			t.Fatalf("block %s: faster than its floor, or too few transactions: %+v", b.Hash, b)
		}
	}
	paths := 0
	for _, r := range s.blocks.order {
		for i, at := range r.arrival {
			if at.IsZero() {
				continue
			}
			if r.floor[i] >= 0 && at.Sub(r.mined) < r.floor[i] {
				t.Fatalf("block %s: node %d had it %v after it was mined, below its floor %v",
					r.hash, i, at.Sub(r.mined), r.floor[i])
			}
			c, ok := s.pathCost(r, i)
			if !ok {
				continue
			}
			paths++
			if c.Total() != at.Sub(r.mined) || min(c.Wait, c.Queue, c.Serialization, c.Latency, c.Other) < 0 ||
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
