package sim

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"powchain/p2p"
	"powchain/wire"
)

// TestUploadQueue: a node's messages leave one after another, each taking
// its size over the upload rate, from when it is ready or when the link
// frees up; it arrives its link's latency later, never before an earlier
// message of the same connection. A push still queued when the peer shows
// it has the block never leaves, and the next message takes its turn; a
// push already on its way, and a compact block that is not a push, leave.
func TestUploadQueue(t *testing.T) {
	cfg := LinkConfig{MinLatency: 40 * time.Millisecond, MaxLatency: 40 * time.Millisecond, Jitter: -1,
		UploadBitsPerSec: 8_000_000} // 1 MB/s: 1,000 bytes per ms
	t0 := time.Unix(0, 0)
	s := &Sim{net: testNetwork(3, cfg, 1), now: t0}
	n := &Node{}
	a := &endpoint{node: 0, open: true}
	a.remote = &endpoint{node: 1, open: true, remote: a}
	ms := func(d int) time.Time { return t0.Add(time.Duration(d) * time.Millisecond) }
	queue := func(m p2p.Message, push bool, size int, ready time.Time) {
		n.outbox = append(n.outbox, outMsg{from: a, msg: m, size: size, ready: ready, push: push, latency: s.net.latency(0, 1)})
		s.pumpUpload(n)
	}
	block := func(nonce uint32) *p2p.MsgCmpctBlock {
		return &p2p.MsgCmpctBlock{Header: wire.BlockHeader{Nonce: nonce}}
	}
	early, late := block(1), block(2)
	queue(early, true, 10_000, t0)               // on the link at once: 0-10ms
	queue(&p2p.MsgPing{}, false, 50_000, ms(20)) // ready at 20ms: 20-70ms
	queue(late, true, 10_000, t0)                // its turn at 70ms: dropped
	queue(late, false, 10_000, t0)               // an answer, not a push: 70-80ms
	queue(&p2p.MsgPing{}, false, 1000, t0)       // 80-81ms
	a.shown.Note(&p2p.MsgAnnounce{Headers: []wire.BlockHeader{early.Header, late.Header}})

	type leg struct{ start, done, arrival int }
	var got []leg
	for e := s.queue.pop(); e != nil; e = s.queue.pop() {
		s.now = e.at
		switch e.kind {
		case evUpload: // as Sim.handle does
			n.uploadArmed = false
			s.pumpUpload(n)
		case evDeliver:
			at := func(t time.Time) int { return int(t.Sub(t0) / time.Millisecond) }
			got = append(got, leg{at(e.sent.start), at(e.sent.done), at(e.at)})
		}
	}
	want := []leg{{0, 10, 50}, {20, 70, 110}, {70, 80, 120}, {80, 81, 121}}
	if !slices.Equal(got, want) {
		t.Fatalf("start, done, arrival in ms: %v, want %v", got, want)
	}
	if s.stats.PushesDropped != 1 || s.stats.UploadBytes != 71_000 || len(n.outbox) != 0 {
		t.Fatalf("%d pushes dropped, %d bytes uploaded, %d queued: want 1, 71000, 0",
			s.stats.PushesDropped, s.stats.UploadBytes, len(n.outbox))
	}
	if at := s.arrivalAfter(a, ms(50), 40*time.Millisecond); !at.Equal(ms(121)) {
		t.Fatalf("a later message arrives at %v, before the previous one (121ms)", at.Sub(t0))
	}
	unlimited := &Sim{net: testNetwork(2, LinkConfig{}, 1), now: t0}
	if got := unlimited.upload(&Node{}, 1_000_000, ms(7)); !got.Equal(ms(7)) {
		t.Fatalf("unlimited link: done at %v, want when it started", got.Sub(t0))
	}
}

// TestRegionLatency: with regions, every node is in one, the regions are
// filled in about the declared shares, and every link's base latency lies
// within the spread around its regions' delay and is the same both ways.
func TestRegionLatency(t *testing.T) {
	nw := testNetwork(300, LinkConfig{Regions: true}, 7)
	for a := range 300 {
		for b := a + 1; b < 300; b++ {
			mid := regionOneWay[nw.region[a]][nw.region[b]] * float64(time.Millisecond)
			d := float64(nw.baseLatency(a, b))
			if d != float64(nw.baseLatency(b, a)) || d < mid*regionSpreadLo || d > mid*(regionSpreadLo+regionSpread) {
				t.Fatalf("link %d(%v)-%d(%v): %v, want within %.1f..%.1f ms", a, nw.region[a], b, nw.region[b],
					nw.baseLatency(a, b), mid*regionSpreadLo/1e6, mid*(regionSpreadLo+regionSpread)/1e6)
			}
		}
	}
	var count [numRegions]int
	regions := drawRegions(20_000, testNetwork(1, LinkConfig{}, 3).rng)
	for _, r := range regions {
		count[r]++
	}
	for r, c := range count {
		if got, want := float64(c)/20_000, regionShare[r]; math.Abs(got-want) > 0.02 {
			t.Fatalf("region %v holds %.3f of the nodes, want about %.2f", Region(r), got, want)
		}
	}
	for a := range numRegions {
		for b := range numRegions {
			if regionOneWay[a][b] != regionOneWay[b][a] {
				t.Fatalf("delay %v-%v is not symmetric", a, b)
			}
		}
	}
}

// TestHashPower: the largest miners have the declared shares, every other
// node an equal part of the rest, and the shares add up to one.
func TestHashPower(t *testing.T) {
	s := &Sim{hashPower: drawHashPower(1000, testNetwork(1, LinkConfig{}, 4).rng)}
	var pools []float64
	total := 0.0
	for i := range 1000 {
		sh := s.HashShare(i)
		total += sh
		if sh > 0.01 {
			pools = append(pools, sh)
		}
	}
	if math.Abs(total-1) > 1e-9 || len(pools) != len(poolShares) {
		t.Fatalf("shares add up to %v, %d large miners", total, len(pools))
	}
	tail := (1 - 0.80) / float64(1000-len(poolShares))
	for i := range 1000 {
		if sh := s.HashShare(i); sh < 0.01 && math.Abs(sh-tail) > 1e-12 {
			t.Fatalf("node %d: tail share %v, want %v", i, sh, tail)
		}
	}
	few := &Sim{hashPower: drawHashPower(3, testNetwork(1, LinkConfig{}, 4).rng)}
	if sum := few.HashShare(0) + few.HashShare(1) + few.HashShare(2); math.Abs(sum-1) > 1e-9 {
		t.Fatalf("three nodes: shares add up to %v", sum)
	}
}

// lineSim builds three nodes connected only as 0 - 1 - 2, with the given
// upload rate, validation cost and block size.
func lineSim(t *testing.T, upload int64, perTx time.Duration, blockSize int, relay p2p.RelayMode) *Sim {
	t.Helper()
	s := newTestSim(t, Config{
		Seed: testSeed(t, 21), Nodes: 3, SeedNodes: 1, KnownPeers: 1, Relay: relay,
		Link:            LinkConfig{UploadBitsPerSec: upload},
		ValidationPerTx: perTx, BlockSize: blockSize,
		P2P: func(i int, cfg *p2p.Config) {
			cfg.NoDiscovery = true
			if i != 1 {
				cfg.Connect = []string{nodeAddr(1, cfg.Chain.Params().DefaultPort)}
			}
		},
	})
	must(t, s, s.RunUntil("line", time.Minute, time.Second, func() bool {
		return len(s.Node(1).Core().Peers()) == 2
	}))
	return s
}

// TestValidationDelaysRelay: the middle node of a line relays a block only
// after validating it, which takes ValidationPerTx for each transaction,
// virtual ones included; inputs that reach it meanwhile wait. Every node
// has the block no earlier than its floor.
func TestValidationDelaysRelay(t *testing.T) {
	const perTx = 2 * time.Millisecond
	s := lineSim(t, 0, perTx, 100_000, p2p.RelayHeaders) // about 500 virtual transactions: about 1s
	blk := mine(t, s, 0)
	hash := blk.BlockHash()
	must(t, s, s.RunUntil("block at node 2", time.Minute, 100*time.Millisecond, func() bool {
		return s.Node(2).Chain().Tip().Hash == hash
	}))
	r := s.blocks.byHash[hash]
	validation := time.Duration(r.txs) * perTx
	if r.txs < 400 || s.virtual[hash] != r.txs-len(blk.Transactions) {
		t.Fatalf("block of %d transactions, %d virtual", r.txs, s.virtual[hash])
	}
	hop2 := r.arrival[2].Sub(r.arrival[1])
	if min := validation + s.net.baseLatency(1, 2); hop2 < min {
		t.Fatalf("node 1 had the block at +%v, node 2 at +%v: less than validation (%v) and latency apart",
			r.arrival[1].Sub(r.mined), r.arrival[2].Sub(r.mined), validation)
	}
	for i := range 3 {
		if d := r.arrival[i].Sub(r.mined); d < r.floor[i] {
			t.Fatalf("node %d had the block after %v, below its floor %v", i, d, r.floor[i])
		}
	}
	if s.Stats().Deferred == 0 {
		t.Fatal("no input waited for a validating node")
	}
}

// TestCompactLeavesBeforeValidation: once node 2 has chosen node 1 as a
// high-bandwidth peer (node 1 delivered it a block first), node 1 pushes
// the next block's compact form before validating it, so the hop takes
// less than the validation; node 1 is still busy validating meanwhile.
func TestCompactLeavesBeforeValidation(t *testing.T) {
	const perTx = 2 * time.Millisecond
	s := lineSim(t, 0, perTx, 100_000, p2p.RelayCompact)
	var r *blockRecord
	for k := range 2 {
		hash := mine(t, s, 0).BlockHash()
		must(t, s, s.RunUntil(fmt.Sprintf("block %d at node 2", k), time.Minute, 100*time.Millisecond, func() bool {
			return s.Node(2).Chain().Tip().Hash == hash
		}))
		must(t, s, s.RunFor(5*time.Second))
		r = s.blocks.byHash[hash]
	}
	validation := time.Duration(r.txs) * perTx
	hop2 := r.arrival[2].Sub(r.arrival[1])
	if hop2 >= validation || hop2 < s.net.baseLatency(1, 2) {
		t.Fatalf("second block: node 1 had it at +%v, node 2 at +%v: want less than the validation (%v) apart",
			r.arrival[1].Sub(r.mined), r.arrival[2].Sub(r.mined), validation)
	}
	if m := r.via[2]; m == nil || m.from != 1 || !m.ready.Equal(r.arrival[1]) {
		t.Fatalf("node 2 got the block by %+v, want a push from node 1 the moment it had it", m)
	}
}

// TestBandwidthChargesBlock: on a slow link a block relayed whole takes its
// size, virtual payload included, over the upload rate to cross each hop;
// relayed as a compact block (6 bytes per transaction), far less.
func TestBandwidthChargesBlock(t *testing.T) {
	const rate = 1_000_000 // 1 Mbit/s: 1 MB takes 8s
	s := lineSim(t, rate, 0, 1_000_000, p2p.RelayFull)
	blk := mine(t, s, 0)
	hash := blk.BlockHash()
	must(t, s, s.RunUntil("block at node 2", 5*time.Minute, time.Second, func() bool {
		return s.Node(2).Chain().Tip().Hash == hash
	}))
	r := s.blocks.byHash[hash]
	perHop := s.net.serialization(900_000)
	for i := 1; i < 3; i++ {
		if got := r.arrival[i].Sub(r.arrival[i-1]); got < perHop {
			t.Fatalf("hop %d-%d took %v, less than serializing 0.9 MB (%v)", i-1, i, got, perHop)
		}
	}
	if floor := r.floor[2]; floor <= 0 || floor >= perHop {
		t.Fatalf("floor to node 2 is %v: want above zero and below one full-block serialization (%v)", floor, perHop)
	}

	s = lineSim(t, rate, 0, 1_000_000, p2p.RelayCompact)
	blk = mine(t, s, 0)
	hash = blk.BlockHash()
	must(t, s, s.RunUntil("compact block at node 2", 5*time.Minute, time.Second, func() bool {
		return s.Node(2).Chain().Tip().Hash == hash
	}))
	r = s.blocks.byHash[hash]
	if got := r.arrival[2].Sub(r.arrival[0]); got >= perHop {
		t.Fatalf("compact relay took %v over two hops, not less than one full block's serialization (%v)", got, perHop)
	}
}
