package p2p

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// evictionHarness is a Core with 20 inbound slots.
func evictionHarness(t *testing.T) *coreHarness {
	return newCoreHarness(t, func(c *Config) { c.MaxPeers = 28; c.TargetOutbound = 8 })
}

// fillInbound connects inbound peers 1..n from addr(i), one second apart,
// handshaken; the harness clock ends one second after the last.
func fillInbound(h *coreHarness, n int, addr func(i int) string) {
	for i := 1; i <= n; i++ {
		id := PeerID(i)
		h.core.Connected(h.now, id, addr(i), true, "")
		h.core.Receive(h.now, id, h.version(uint64(id)+100, 0))
		h.core.Receive(h.now, id, &MsgVerAck{})
		h.now = h.now.Add(time.Second)
	}
}

// newcomer connects one more inbound peer and returns whom it evicted
// (0: none) and whether it was itself refused.
func newcomer(h *coreHarness, id PeerID, addr string) (evicted PeerID, refused bool) {
	for _, a := range h.core.Connected(h.now, id, addr, true, "") {
		if a.Kind != ActDisconnect {
			continue
		}
		if a.Peer == id {
			refused = true
		} else {
			evicted = a.Peer
		}
	}
	return evicted, refused
}

func sameGroup(i int) string { return fmt.Sprintf("10.1.0.%d:5000", i) }

// With every inbound slot full, a newcomer gets in by evicting the
// youngest unprotected peer; before eviction it was refused.
func TestCoreEvictsForNewcomer(t *testing.T) {
	h := evictionHarness(t)
	fillInbound(h, 20, sameGroup)
	evicted, refused := newcomer(h, 21, "10.9.0.1:5000")
	if refused || evicted != 20 {
		t.Fatalf("evicted %d, refused %v; want peer 20 (the youngest) evicted", evicted, refused)
	}
	if n := h.core.countPeers(true); n != 20 {
		t.Fatalf("%d inbound peers, want 20", n)
	}
}

// Each protection holds: the lowest ping and the latest block and
// transaction relayers are not evicted, nor the oldest connections, and
// the victim comes from the largest address group even when peers of
// smaller groups are younger.
func TestCoreEvictionProtections(t *testing.T) {
	h := evictionHarness(t)
	// Peers 1-6 and 17-20 each have their own group; 7-16 share 10.1/16.
	fillInbound(h, 20, func(i int) string {
		if 7 <= i && i <= 16 {
			return sameGroup(i)
		}
		return fmt.Sprintf("10.%d.0.1:5000", i+100)
	})
	// The youngest of 10.1/16 are useful.
	h.core.peers[16].minPing = time.Millisecond
	h.core.peers[15].lastBlock = h.now
	h.core.peers[14].lastTx = h.now
	// Whichever four groups the keyed hash protects, the oldest half of the
	// other 13 candidates is protected by age, and the 7 youngest left
	// are 17-20 (or fewer of them) and 13, 12, 11, ... of 10.1/16.
	evicted, refused := newcomer(h, 21, "10.9.0.1:5000")
	if refused || evicted != 13 {
		t.Fatalf("evicted %d, refused %v; want 13, the youngest useless peer of the largest group", evicted, refused)
	}
}

// When protection covers every candidate (here, each is the oldest of its
// address group), the newcomer is refused.
func TestCoreEvictionRefusesWhenAllProtected(t *testing.T) {
	h := newCoreHarness(t, func(c *Config) { c.MaxPeers = 10; c.TargetOutbound = 8 })
	fillInbound(h, 2, func(i int) string { return fmt.Sprintf("10.%d.0.1:5000", i) })
	if evicted, refused := newcomer(h, 3, "10.9.0.1:5000"); !refused || evicted != 0 {
		t.Fatalf("evicted %d, refused %v; want the newcomer refused", evicted, refused)
	}
}

// Property: over random peer sets, the victim is never among the global
// best of any protected criterion (removing other peers only raises a
// peer's rank), and with more candidates than the protections cover, a
// newcomer always gets in.
func TestCoreEvictionNeverTakesProtected(t *testing.T) {
	const slots = 40
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		h := newCoreHarness(t, func(c *Config) { c.MaxPeers = slots + 8; c.TargetOutbound = 8 })
		fillInbound(h, slots, func(i int) string { return fmt.Sprintf("10.%d.0.%d:5000", rng.IntN(4), i) })
		var ps []*peer
		for id := PeerID(1); id <= slots; id++ {
			p := h.core.peers[id]
			// Distinct values, so the ranks have no ties.
			p.minPing = time.Duration(rng.IntN(1000)*100+int(id)) * time.Microsecond
			p.lastBlock = coreStart.Add(time.Duration(rng.IntN(1000)*100+int(id)) * time.Millisecond)
			p.lastTx = coreStart.Add(time.Duration(rng.IntN(1000)*100+int(id)) * time.Millisecond)
			ps = append(ps, p)
		}
		top := func(n int, cmp func(a, b *peer) int) []*peer {
			s := slices.Clone(ps)
			slices.SortFunc(s, cmp)
			return s[:n]
		}
		protected := slices.Concat(
			top(protectByPing, func(a, b *peer) int { return int(a.minPing - b.minPing) }),
			top(protectByBlock, func(a, b *peer) int { return b.lastBlock.Compare(a.lastBlock) }),
			top(protectByTx, func(a, b *peer) int { return b.lastTx.Compare(a.lastTx) }),
		)
		evicted, refused := newcomer(h, slots+1, "10.9.0.1:5000")
		if refused || evicted == 0 {
			t.Fatalf("round %d: nobody evicted", round)
		}
		if slices.ContainsFunc(protected, func(p *peer) bool { return p.id == evicted }) {
			t.Fatalf("round %d: evicted protected peer %d", round, evicted)
		}
	}
}

// Eviction is deterministic: the same inputs evict the same peer.
func TestCoreEvictionDeterministic(t *testing.T) {
	run := func() PeerID {
		h := evictionHarness(t)
		fillInbound(h, 20, func(i int) string { return fmt.Sprintf("10.%d.0.%d:5000", i%3, i) })
		evicted, _ := newcomer(h, 21, "10.9.0.1:5000")
		return evicted
	}
	if a, b := run(), run(); a != b || a == 0 {
		t.Fatalf("runs evicted %d and %d", a, b)
	}
}
