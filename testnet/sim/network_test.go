package sim

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"powchain/p2p"
)

func testNetwork(n int, cfg LinkConfig, seed uint64) *network {
	return newNetwork(n, cfg, rand.New(rand.NewPCG(seed, 0)))
}

// TestLinkLatency: every link's base latency lies in its bounds and is the
// same both ways; a message takes the base plus at most the jitter; the
// same seed draws the same latencies.
func TestLinkLatency(t *testing.T) {
	cfg := LinkConfig{MinLatency: 10 * time.Millisecond, MaxLatency: 50 * time.Millisecond, Jitter: 5 * time.Millisecond}
	nw, again := testNetwork(7, cfg, 3), testNetwork(7, cfg, 3)
	for a := range 7 {
		for b := range 7 {
			if a == b {
				continue
			}
			base := nw.baseLatency(a, b)
			if base != nw.baseLatency(b, a) || base < cfg.MinLatency || base > cfg.MaxLatency {
				t.Fatalf("link %d-%d: base %v, reverse %v, bounds %v..%v", a, b, base, nw.baseLatency(b, a), cfg.MinLatency, cfg.MaxLatency)
			}
			for range 20 {
				d := nw.latency(a, b)
				if d < base || d > base+cfg.Jitter {
					t.Fatalf("link %d-%d: latency %v outside %v..%v", a, b, d, base, base+cfg.Jitter)
				}
				if d2 := again.latency(a, b); d2 != d {
					t.Fatalf("same seed, different latency: %v and %v", d, d2)
				}
			}
		}
	}
}

// TestLinkLoss: no loss draws no randomness (turning loss off does not
// shift the rest of a run); certain loss loses everything; a rate in
// between loses about that share.
func TestLinkLoss(t *testing.T) {
	nw, ref := testNetwork(2, LinkConfig{}, 5), testNetwork(2, LinkConfig{}, 5)
	for range 100 {
		if nw.lost() {
			t.Fatal("lost a message at rate 0")
		}
	}
	if nw.rng.Uint64() != ref.rng.Uint64() {
		t.Fatal("rate 0 consumed randomness")
	}
	nw.cfg.DropRate = 1
	for range 100 {
		if !nw.lost() {
			t.Fatal("delivered a message at rate 1")
		}
	}
	nw.cfg.DropRate = 0.25
	lost := 0
	for range 10_000 {
		if nw.lost() {
			lost++
		}
	}
	if lost < 2200 || lost > 2800 {
		t.Fatalf("lost %d of 10000 at rate 0.25", lost)
	}
}

// TestPartitionGroups: links within a group deliver, links between groups
// do not; unlisted nodes form a group of their own; heal joins all.
func TestPartitionGroups(t *testing.T) {
	nw := testNetwork(5, LinkConfig{}, 1)
	if nw.partitioned() || !nw.reachable(0, 4) {
		t.Fatal("a new network is partitioned")
	}
	nw.partition([][]int{{0, 1}, {2}})
	want := map[[2]int]bool{{0, 1}: true, {3, 4}: true, {0, 2}: false, {1, 3}: false, {2, 4}: false, {2, 2}: true}
	for link, ok := range want {
		if nw.reachable(link[0], link[1]) != ok || nw.reachable(link[1], link[0]) != ok {
			t.Fatalf("link %v: reachable %v, want %v", link, !ok, ok)
		}
	}
	if !nw.partitioned() {
		t.Fatal("partitioned() is false during a partition")
	}
	nw.heal()
	if nw.partitioned() || !nw.reachable(0, 2) || !nw.reachable(1, 4) {
		t.Fatal("heal left links cut")
	}
}

// TestArrivalFIFO: however the jitter falls, messages of one connection
// arrive in the order they were sent, never before their link's base
// latency.
func TestArrivalFIFO(t *testing.T) {
	cfg := LinkConfig{MinLatency: time.Millisecond, MaxLatency: time.Millisecond, Jitter: 100 * time.Millisecond}
	s := &Sim{net: testNetwork(2, cfg, 9), now: time.Unix(0, 0)}
	a := &endpoint{node: 0, open: true}
	b := &endpoint{node: 1, open: true, remote: a}
	a.remote = b
	var prev time.Time
	for i := range 1000 {
		s.now = s.now.Add(time.Millisecond) // sent faster than the jitter spreads them
		at := s.arrival(a)
		if at.Before(prev) || at.Before(s.now.Add(time.Millisecond)) {
			t.Fatalf("message %d sent at %v arrives at %v, after one arriving at %v", i, s.now, at, prev)
		}
		prev = at
	}
}

// TestTwoNodesConnect: the dial reaches the other node, the Cores complete
// their handshake over the simulated link, and both count one connection.
func TestTwoNodesConnect(t *testing.T) {
	s := newTestSim(t, Config{Seed: testSeed(t, 1), Nodes: 2, SeedNodes: 1})
	must(t, s, s.RunFor(10*time.Second))
	for _, n := range s.Nodes() {
		if n.Connections() != 1 || len(n.Core().Peers()) != 1 {
			t.Fatalf("node %d: %d connections, %d peers", n.Index(), n.Connections(), len(n.Core().Peers()))
		}
	}
	if st := s.Stats(); st.Delivered == 0 || st.DialsFailed != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestPartitionCutsDialsAndMessages: across a partition dials fail and
// messages in flight are lost; a block mined on one side stays there until
// the heal and the next block.
func TestPartitionCutsDialsAndMessages(t *testing.T) {
	s := newTestSim(t, Config{Seed: testSeed(t, 2), Nodes: 2, SeedNodes: 2})
	s.Partition([]int{0}, []int{1})
	must(t, s, s.RunFor(30*time.Second))
	if st := s.Stats(); st.DialsFailed == 0 || s.Node(0).Connections() != 0 {
		t.Fatalf("partitioned nodes connected: %+v", st)
	}
	s.Heal()
	must(t, s, s.RunUntil("connection", 10*time.Minute, time.Second, func() bool {
		return len(s.Node(0).Core().Peers()) == 1 && len(s.Node(1).Core().Peers()) == 1
	}))

	mine(t, s, 0)
	s.Partition([]int{0}, []int{1}) // the announcement is in flight
	must(t, s, s.RunFor(30*time.Second))
	if s.Stats().Partitioned == 0 || s.Node(1).Chain().Tip().Height != 0 {
		t.Fatalf("block crossed the partition: node 1 at height %d, stats %+v", s.Node(1).Chain().Tip().Height, s.Stats())
	}
	s.Heal()
	mine(t, s, 0)
	must(t, s, s.RunUntil("convergence", time.Minute, time.Second, s.Converged))
	must(t, s, s.CheckConverged())
	if h := s.Node(1).Chain().Tip().Height; h != 2 {
		t.Fatalf("node 1 at height %d, want 2", h)
	}
}

// TestLossyLinks: with every message lost no handshake completes, the
// Cores time out and redial, and nothing breaks.
func TestLossyLinks(t *testing.T) {
	s := newTestSim(t, Config{Seed: testSeed(t, 3), Nodes: 3, Link: LinkConfig{DropRate: 1}})
	must(t, s, s.RunFor(2*time.Minute))
	st := s.Stats()
	if st.Delivered != 0 || st.Lost == 0 || st.Disconnects == 0 || st.Dials < 4 {
		t.Fatalf("stats %+v", st)
	}
	for _, n := range s.Nodes() {
		if len(n.Core().Peers()) != 0 {
			t.Fatalf("node %d completed a handshake over a dead link", n.Index())
		}
	}
}

// TestUnknownAddressAndPeerLimits: a dial to an address where no node
// listens fails; with tight limits the nodes turn peers away and never
// hold more than allowed (checked after every input).
func TestUnknownAddressAndPeerLimits(t *testing.T) {
	s := newTestSim(t, Config{
		Seed: testSeed(t, 4), Nodes: 8, SeedNodes: 1, KnownPeers: 7, MaxPeers: 3, TargetOutbound: 2,
		P2P: func(i int, cfg *p2p.Config) {
			if i == 0 {
				cfg.AddNode = []string{"10.200.0.1:19440"}
			}
		},
	})
	must(t, s, s.RunFor(2*time.Minute))
	st := s.Stats()
	if st.DialsFailed == 0 || st.MaxPeersSeen > 3 || st.Disconnects == 0 {
		t.Fatalf("stats %+v", st)
	}
	must(t, s, s.CheckInvariants())
}

// TestFailureNamesSeed: a failed run reports its seed, simulated time and
// the way to replay it, and stops.
func TestFailureNamesSeed(t *testing.T) {
	s := newTestSim(t, Config{Seed: 424242, Nodes: 2})
	err := s.RunUntil("the impossible", 10*time.Second, time.Second, func() bool { return false })
	var f *Failure
	if !errors.As(err, &f) || f.Seed != 424242 || f.Elapsed != 10*time.Second {
		t.Fatalf("error %v (%#v)", err, f)
	}
	for _, want := range []string{"seed=424242", "t=10s", "the impossible", "POWCHAIN_SIM_SEED=424242"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not mention %q", err, want)
		}
	}
	if err := s.RunFor(time.Second); err != f || s.Elapsed() != 10*time.Second {
		t.Fatalf("the run went on after a failure: %v at %v", err, s.Elapsed())
	}
	if _, err := s.Mine(0); err != f {
		t.Fatalf("Mine after a failure: %v", err)
	}
}

// TestInvariantCatchesExcessPeers: the per-input peer check is live: Cores
// allowed more peers than the Sim's limit are caught, with the node named.
func TestInvariantCatchesExcessPeers(t *testing.T) {
	s := newTestSim(t, Config{
		Seed: testSeed(t, 5), Nodes: 6, SeedNodes: 1, KnownPeers: 5, MaxPeers: 2, TargetOutbound: 1,
		P2P: func(_ int, cfg *p2p.Config) { cfg.MaxPeers, cfg.TargetOutbound = 10, 5 },
	})
	err := s.RunFor(time.Minute)
	var f *Failure
	if !errors.As(err, &f) || f.Node < 0 || !strings.Contains(err.Error(), "connections, limit 2") {
		t.Fatalf("got %v", err)
	}
}
