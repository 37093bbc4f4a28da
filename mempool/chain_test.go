package mempool

import (
	"testing"

	"powchain/chain"
	"powchain/wire"
)

// TestBlockConnectRemovesMinedAndConflicts: a connected block takes its
// transactions out of the pool (their children stay, now without in-pool
// parents) and every pool transaction that conflicts with it, with its
// descendants.
func TestBlockConnectRemovesMinedAndConflicts(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	a := h.spend(1000, 2, h.cb(1))
	ac := h.spend(1000, 2, h.out(a, 0))
	b := h.spend(1000, 2, h.cb(2))
	bc := h.spend(1000, 2, h.out(b, 0))
	bcc := h.spend(1000, 2, h.out(bc, 0))
	other := h.spend(1000, 2, h.cb(3))
	for _, tx := range []*wire.Tx{a, ac, b, bc, bcc, other} {
		h.accept(tx)
	}
	bConflict := h.spend(3000, 1, h.cb(2)) // spends what b spends
	h.mine(a, bConflict)

	got := h.ids()
	if len(got) != 2 || !got[ac.TxID()] || !got[other.TxID()] {
		t.Fatalf("pool after the block: %v", got)
	}
	if info, _ := h.pool.EntryInfo(ac.TxID()); info.AncestorCount != 1 || len(info.Depends) != 0 {
		t.Fatalf("child of a mined tx: %+v", info)
	}
	checkInvariants(t, h.pool)
	h.checkCacheIsPool(a, b, bc, bcc, bConflict) // a by the chain, the conflicts by the pool
}

// TestReorgReadmission: after a reorganisation the transactions of the
// disconnected blocks come back (never their coinbases), except those the
// new branch confirmed or conflicts with; pool transactions that spent
// outputs of the old branch find their parents again, and stay
// unbroadcast.
func TestReorgReadmission(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	fork := h.g.TipName()
	a := h.spend(1000, 2, h.cb(1))         // comes back
	b := h.spend(1000, 2, h.cb(2))         // confirmed again on the new branch
	d := h.spend(1000, 2, h.cb(3))         // conflicts with the new branch
	dAlt := h.spend(2000, 1, h.cb(3))      // the new branch's spend of cb3
	child := h.spend(1000, 2, h.out(a, 0)) // in the pool while a is mined
	mined := h.mine(a, b, d)
	h.accept(child)
	h.pool.SetUnbroadcast([]wire.Hash{child.TxID()})
	if info, _ := h.pool.EntryInfo(child.TxID()); info.AncestorCount != 1 {
		t.Fatalf("child of a mined tx has in-pool ancestors: %+v", info)
	}

	h.g.SetTip(fork)
	s1 := h.g.NextBlock("s1", []*wire.Tx{b, dAlt})
	s2 := h.g.NextBlock("s2", nil)
	for _, blk := range []*wire.Block{s1, s2} {
		if _, err := h.c.ProcessBlock(blk); err != nil {
			t.Fatal(err)
		}
	}
	if h.c.Tip().Hash != s2.BlockHash() {
		t.Fatal("no reorg")
	}

	got := h.ids()
	if len(got) != 2 || !got[a.TxID()] || !got[child.TxID()] {
		t.Fatalf("pool after the reorg: %v (a %s, child %s)", got, a.TxID(), child.TxID())
	}
	if h.pool.Has(mined.Transactions[0].TxID()) {
		t.Fatal("a coinbase entered the pool")
	}
	if info, _ := h.pool.EntryInfo(child.TxID()); info.AncestorCount != 2 || info.Depends[0] != a.TxID() {
		t.Fatalf("child did not find its parent again: %+v", info)
	}
	if !h.cache.Contains(a.TxID()) {
		t.Fatal("re-admitted tx not in the signature cache")
	}
	if got := h.pool.Unbroadcast(); len(got) != 1 || got[0] != child.TxID() {
		t.Fatalf("unbroadcast after the reorg: %v, want the child %s", got, child.TxID())
	}
	checkInvariants(t, h.pool)
	h.checkCacheIsPool(b, d, dAlt)
}

// TestReorgDropsImmatureSpends: a shorter best chain (here after
// invalidateblock) makes a coinbase spend premature again; it is dropped
// with its descendants, the rest stays.
func TestReorgDropsImmatureSpends(t *testing.T) {
	h := newHarness(t, harnessConfig{maturity: 2})
	// Tip is b5: the next block is at height 6, where cb4 (height 4) is
	// just mature and cb5 is not.
	young := h.spend(1000, 2, h.cb(4))
	youngChild := h.spend(1000, 2, h.out(young, 0))
	old := h.spend(1000, 2, h.cb(1))
	for _, tx := range []*wire.Tx{young, youngChild, old} {
		h.accept(tx)
	}
	if err := h.c.InvalidateBlock(h.g.Block("b5").BlockHash()); err != nil {
		t.Fatal(err)
	}
	if got := h.ids(); len(got) != 1 || !got[old.TxID()] {
		t.Fatalf("pool after invalidating the tip: %v", got)
	}
	checkInvariants(t, h.pool)
	h.checkCacheIsPool(young, youngChild)
}

// TestReorgDropsNonStandard: a disconnected block's transactions come back
// under the pool's policy, as any other transaction enters it (Bitcoin
// Core's reorg re-admission bypasses only the fee and pool-size limits):
// one larger than MaxTxSize or with a dust output, valid in a block a miner
// of other policy made, stays out.
func TestReorgDropsNonStandard(t *testing.T) {
	h := newHarness(t, harnessConfig{policy: func(p *Policy) { p.MaxTxSize = 300 }})
	standard := h.spend(1000, 2, h.cb(1)) // 200 bytes
	big := h.spend(1000, 7, h.cb(2))      // 340 bytes
	dust := h.spend(1000, 2, h.cb(3))
	dust.Outputs[1].Amount = 1
	h.resign(dust)
	mined := h.mine(standard, big, dust)
	if err := h.c.InvalidateBlock(mined.BlockHash()); err != nil {
		t.Fatal(err)
	}
	if got := h.ids(); len(got) != 1 || !got[standard.TxID()] {
		t.Fatalf("pool after the reorg: %v; want only %s", got, standard.TxID())
	}
	checkInvariants(t, h.pool)
	h.checkCacheIsPool(big, dust)
}

// TestEviction: over MaxPoolBytes the package with the lowest descendant
// fee rate goes first: here a cheap child alone (its well-paying parent
// stays), then a whole transaction; the fee floor rises above what was
// evicted and decays again.
func TestEviction(t *testing.T) {
	h := newHarness(t, harnessConfig{policy: func(p *Policy) { p.MaxPoolBytes = 800 }})
	parent := h.spend(3000, 2, h.cb(1))        // 15000 per 1000 bytes; package with child 8000
	child := h.spend(200, 2, h.out(parent, 0)) // 1000
	mid := h.spend(2000, 2, h.cb(2))           // 10000
	high := h.spend(4000, 2, h.cb(3))          // 20000
	for _, tx := range []*wire.Tx{parent, child, mid, high} {
		h.accept(tx)
	}
	x := h.accept(h.spend(2200, 2, h.cb(4))) // 11000: evicts child
	if got := h.ids(); len(got) != 4 || got[child.TxID()] || !got[parent.TxID()] {
		t.Fatalf("pool after the first eviction: %v", got)
	}
	if r := h.pool.Info().MinFeeRate; r != 2000 {
		t.Fatalf("floor %d, want 1000 + 1000", r)
	}
	y := h.accept(h.spend(2400, 2, h.cb(5))) // 12000: evicts mid, not parent (15000 alone now)
	got := h.ids()
	if len(got) != 4 || !got[parent.TxID()] || !got[high.TxID()] || !got[x.TxID] || !got[y.TxID] {
		t.Fatalf("pool after the second eviction: %v", got)
	}
	if r := h.pool.Info().MinFeeRate; r != 11000 {
		t.Fatalf("floor %d, want 10000 + 1000", r)
	}
	checkInvariants(t, h.pool)
	h.checkCacheIsPool(child, mid)

	h.clock.Advance(rollingFeeHalfLife)
	if r := h.pool.Info().MinFeeRate; r != 5500 {
		t.Fatalf("floor after one half-life %d, want 5500", r)
	}
	h.clock.Advance(10 * rollingFeeHalfLife)
	if r := h.pool.Info().MinFeeRate; r != 1000 {
		t.Fatalf("floor after ten more half-lives %d, want the minimum relay rate", r)
	}
}

// TestEvictPackage: a low-fee parent whose child pays more is evicted
// together with the child, as one package, when a better transaction needs
// the room.
func TestEvictPackage(t *testing.T) {
	h := newHarness(t, harnessConfig{policy: func(p *Policy) { p.MaxPoolBytes = 600 }})
	parent := h.spend(200, 2, h.cb(1))          // 1000 per 1000 bytes
	child := h.spend(1200, 2, h.out(parent, 0)) // 6000; the package 3500
	mid := h.spend(3000, 2, h.cb(2))            // 15000
	for _, tx := range []*wire.Tx{parent, child, mid} {
		h.accept(tx)
	}
	h.accept(h.spend(4000, 2, h.cb(3)))
	if got := h.ids(); len(got) != 2 || got[parent.TxID()] || got[child.TxID()] || !got[mid.TxID()] {
		t.Fatalf("pool after eviction: %v", got)
	}
	checkInvariants(t, h.pool)
	h.checkCacheIsPool(parent, child)
}

func TestNewRejectsIncompleteConfig(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	for name, cfg := range map[string]Config{
		"no chain": {Clock: h.clock},
		"no clock": {Chain: h.c},
	} {
		if p, err := New(cfg); err == nil || p != nil {
			t.Errorf("%s: New = %v, %v; want an error", name, p, err)
		}
	}
}

// TestMinedWhileAdmittedLeavesCache: an admission whose chain reads
// predate a block that confirms its transaction may insert it after the
// chain forgot the txid and before the pool hears of the block; when the
// notification arrives, the pool forgets the txid it cached, so a confirmed
// transaction does not stay in the cache either.
func TestMinedWhileAdmittedLeavesCache(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	p, err := New(Config{Chain: h.c, Clock: h.clock, SigCache: h.cache, Policy: h.policy})
	if err != nil {
		t.Fatal(err)
	}
	h.pool = p // not subscribed: its notifications are delivered by hand
	tx := h.spend(1000, 2, h.cb(1))
	pc := h.precheckOK(tx)
	blk := h.mine(tx) // the chain forgets tx (it was not cached yet)
	if err := h.acceptNow(pc); err != nil {
		t.Fatalf("admission racing the block: %v", err)
	}
	if !h.cache.Contains(tx.TxID()) {
		t.Fatal("admitted tx not cached")
	}
	p.HandleChainNotification(chain.Notification{Type: chain.BlockConnected, Block: blk, Hash: blk.BlockHash()})
	if p.Has(tx.TxID()) {
		t.Fatal("mined tx still in the pool")
	}
	h.checkCacheIsPool(tx)
}
