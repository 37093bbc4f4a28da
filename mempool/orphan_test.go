package mempool

import (
	"slices"
	"testing"
	"time"

	"powchain/wire"
)

// TestExpiry: entries older than Policy.Expiry go, with their descendants,
// on the next admission or tip change, by the injected clock.
func TestExpiry(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	old := h.spend(1000, 2, h.cb(1))
	oldChild := h.spend(1000, 2, h.out(old, 0))
	h.accept(old)
	h.clock.Advance(time.Hour)
	h.accept(oldChild)
	h.clock.Advance(h.policy.Expiry - time.Hour) // old is exactly Expiry old: not yet expired
	fresh := h.spend(1000, 2, h.cb(2))
	h.accept(fresh)
	if len(h.ids()) != 3 {
		t.Fatal("expired too early")
	}

	h.clock.Advance(time.Second)
	h.accept(h.spend(1000, 2, h.cb(3)))
	if got := h.ids(); len(got) != 2 || got[old.TxID()] || got[oldChild.TxID()] || !got[fresh.TxID()] {
		t.Fatalf("after expiry: %v", got)
	}
	checkInvariants(t, h.pool)
	h.checkCacheIsPool(old, oldChild)

	h.clock.Advance(h.policy.Expiry + time.Second)
	h.mine() // TipChanged expires too
	if got := h.ids(); len(got) != 0 {
		t.Fatalf("after a tip change past expiry: %v", got)
	}
	h.checkCacheIsPool(fresh)
}

// TestOrphans: a chain of transactions submitted children first waits as
// orphans and enters, parents first, when the root arrives.
func TestOrphans(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	p := h.spend(1000, 2, h.cb(1))
	c := h.spend(1000, 2, h.out(p, 0))
	g := h.spend(1000, 2, h.out(c, 0), h.out(p, 1))

	for _, tc := range []struct {
		tx      *wire.Tx
		missing []wire.Hash
	}{{g, []wire.Hash{c.TxID(), p.TxID()}}, {c, []wire.Hash{p.TxID()}}} {
		acc, missing, err := h.pool.ProcessTransaction(tc.tx, true, 7)
		if err != nil || acc != nil || !slices.Equal(missing, tc.missing) {
			t.Fatalf("orphan: accepted %v, missing %v, err %v", acc, missing, err)
		}
	}
	if info := h.pool.Info(); info.Orphans != 2 || info.Size != 0 || !h.pool.IsOrphan(g.TxID()) {
		t.Fatalf("info %+v", info)
	}
	// Submitting an orphan again changes nothing.
	if _, missing, err := h.pool.ProcessTransaction(c, true, 7); err != nil || len(missing) != 1 {
		t.Fatalf("resubmitted orphan: %v, %v", missing, err)
	}
	// Without allowOrphan, missing inputs are an error and nothing is kept.
	lone := h.spend(1000, 1, fakeOut(1))
	_, _, err := h.pool.ProcessTransaction(lone, false, 7)
	if re := rejectCode(t, err); re.Code != RejectMissingInputs || re.Consensus() {
		t.Fatalf("got %v", err)
	}
	if h.pool.IsOrphan(lone.TxID()) {
		t.Fatal("kept an orphan without allowOrphan")
	}
	// An output that a pool transaction does not have names no parent to
	// wait for: refused, not kept.
	pooled := h.spend(1000, 2, h.cb(2))
	h.accept(pooled)
	noSuchOut := h.out(pooled, 0)
	noSuchOut.OutPoint.Index = 5
	_, missing, err := h.pool.ProcessTransaction(h.spend(1000, 1, noSuchOut), true, 7)
	if re := rejectCode(t, err); re.Code != RejectMissingInputs || missing != nil || h.pool.Info().Orphans != 2 {
		t.Fatalf("spending a nonexistent output of a pool tx: %v, %v", missing, err)
	}

	// An orphan whose parent came in a block is admitted directly and
	// leaves the orphan pool.
	blockParent := h.spend(1000, 2, h.cb(3))
	viaBlock := h.spend(1000, 2, h.out(blockParent, 0))
	if _, missing, err := h.pool.ProcessTransaction(viaBlock, true, 8); err != nil || len(missing) != 1 {
		t.Fatalf("orphan: missing %v, err %v", missing, err)
	}
	h.mine(blockParent)
	h.accept(viaBlock)
	if h.pool.IsOrphan(viaBlock.TxID()) {
		t.Fatal("admitted tx still in the orphan pool")
	}

	acc, missing, err := h.pool.ProcessTransaction(p, true, 0)
	if err != nil || missing != nil || len(acc) != 3 {
		t.Fatalf("parent: accepted %d, missing %v, err %v", len(acc), missing, err)
	}
	for i, want := range []wire.Hash{p.TxID(), c.TxID(), g.TxID()} {
		if acc[i].TxID != want {
			t.Fatalf("accepted[%d] = %s, want %s", i, acc[i].TxID, want)
		}
	}
	if info := h.pool.Info(); info.Orphans != 0 || info.Size != 5 {
		t.Fatalf("info %+v", info)
	}
	checkInvariants(t, h.pool)
	h.checkCacheIsPool(blockParent) // orphans are cached once they enter the pool
}

// TestMinedParentAdmitsOrphans: an orphan whose missing parent a block
// mines enters the pool when AdmitMinedOrphans runs after the block (the
// node calls it after each chain change), with the orphan it unlocks in
// turn, parents first; one still missing another parent waits on. Before,
// they waited in the orphan pool until they expired, though their inputs
// existed.
func TestMinedParentAdmitsOrphans(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	parent := h.spend(1000, 2, h.cb(1))
	other := h.spend(1000, 2, h.cb(2))
	child := h.spend(1000, 2, h.out(parent, 0))
	grandchild := h.spend(1000, 2, h.out(child, 0))
	waiting := h.spend(1000, 2, h.out(parent, 1), h.out(other, 0)) // other is never seen
	for _, tx := range []*wire.Tx{grandchild, child, waiting} {
		if _, missing, err := h.pool.ProcessTransaction(tx, true, 7); err != nil || len(missing) == 0 {
			t.Fatalf("orphan: missing %v, err %v", missing, err)
		}
	}
	h.mine(parent)
	got := h.pool.AdmitMinedOrphans()
	if !slices.Equal(got, []wire.Hash{child.TxID(), grandchild.TxID()}) {
		t.Fatalf("AdmitMinedOrphans = %v; want the child, then the grandchild", got)
	}
	if info := h.pool.Info(); info.Size != 2 || info.Orphans != 1 || !h.pool.IsOrphan(waiting.TxID()) {
		t.Fatalf("after the parent was mined: %+v; want 2 in the pool and the orphan missing another parent waiting", info)
	}
	if again := h.pool.AdmitMinedOrphans(); len(again) != 0 {
		t.Fatalf("a second call admitted %v", again)
	}
	checkInvariants(t, h.pool)
}

// TestOrphanLimits: the per-source cap evicts that source's oldest, the
// total cap evicts some orphan, orphans expire, oversized ones are not
// kept, and a block that spends an orphan's input removes it.
func TestOrphanLimits(t *testing.T) {
	h := newHarness(t, harnessConfig{policy: func(p *Policy) {
		p.MaxOrphans, p.MaxOrphansPerSource, p.MaxOrphanTxSize = 3, 2, 1000
	}})
	orphan := func(i int) *wire.Tx { return h.spend(1000, 1, fakeOut(i)) }
	submit := func(tx *wire.Tx, source uint64) {
		t.Helper()
		if _, missing, err := h.pool.ProcessTransaction(tx, true, source); err != nil || len(missing) != 1 {
			t.Fatalf("orphan: missing %v, err %v", missing, err)
		}
	}
	o1, o2, o3 := orphan(1), orphan(2), orphan(3)
	submit(o1, 1)
	submit(o2, 1)
	submit(o3, 1)
	if h.pool.IsOrphan(o1.TxID()) || !h.pool.IsOrphan(o2.TxID()) || !h.pool.IsOrphan(o3.TxID()) {
		t.Fatal("per-source cap did not evict the source's oldest")
	}
	submit(orphan(4), 2)
	submit(orphan(5), 2)
	if n := h.pool.Info().Orphans; n != 3 {
		t.Fatalf("%d orphans, cap 3", n)
	}

	big := h.spend(1000, 40, fakeOut(6)) // 1264 bytes
	_, missing, err := h.pool.ProcessTransaction(big, true, 3)
	if re := rejectCode(t, err); re.Code != RejectMissingInputs || missing != nil || h.pool.IsOrphan(big.TxID()) {
		t.Fatalf("oversized orphan: %v, %v", missing, err)
	}

	h.clock.Advance(h.policy.OrphanExpiry + time.Second)
	submit(orphan(7), 3)
	if n := h.pool.Info().Orphans; n != 1 {
		t.Fatalf("%d orphans after expiry, want 1", n)
	}

	// An orphan whose confirmed input a block spends can never enter.
	doomed := h.spend(1000, 1, h.cb(1), fakeOut(8))
	submit(doomed, 4)
	h.mine(h.spend(1000, 1, h.cb(1)))
	if h.pool.IsOrphan(doomed.TxID()) {
		t.Fatal("orphan conflicting with a block kept")
	}
	h.checkCacheIsPool(o1, o2, o3, big, doomed) // orphans never verified
}
