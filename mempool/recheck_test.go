package mempool

import (
	"sync"
	"testing"

	"powchain/wire"
)

// prechecked is a transaction that passed every check but the signatures
// against the pool as it was, waiting to be accepted under the write lock.
type prechecked struct {
	cv *chainView
	c  *candidate
}

// precheckOK runs admission's first step for tx, which must pass it.
func (h *harness) precheckOK(tx *wire.Tx) prechecked {
	h.t.Helper()
	cv, c, _, err := h.pool.precheck(tx, tx.TxID(), admitOpts{})
	if err != nil {
		h.t.Fatalf("precheck %s: %v", tx.TxID(), err)
	}
	return prechecked{cv, c}
}

// acceptNow runs admission's last step for a prechecked transaction, as
// admit does once its signatures are verified.
func (h *harness) acceptNow(pc prechecked) error {
	h.pool.mu.Lock()
	defer h.pool.mu.Unlock()
	if h.pool.stale(pc.cv) {
		h.t.Fatal("chain view stale: no block was connected")
	}
	_, _, err := h.pool.acceptLocked(pc.c, pc.cv, admitOpts{sigsVerified: true})
	return err
}

// TestRecheckAfterAdmissions: between a transaction's checks under the
// read lock and its insertion under the write lock, other admissions can
// take its input, take its txid, or give its ancestor descendants up to
// the limit; each is caught by the recheck under the write lock (no entry
// left the pool, so only what admissions change is checked again).
func TestRecheckAfterAdmissions(t *testing.T) {
	h := newHarness(t, harnessConfig{policy: func(p *Policy) { p.MaxDescendants = 2 }})
	fan := h.spend(0, 4, h.cb(1))
	h.mine(fan)

	a := h.spend(1000, 1, h.out(fan, 0))
	b := h.spend(2000, 2, h.out(fan, 0)) // spends what a spends
	pa, pb, pa2 := h.precheckOK(a), h.precheckOK(b), h.precheckOK(a)
	if err := h.acceptNow(pa); err != nil {
		t.Fatalf("first of two conflicting: %v", err)
	}
	if pb.c.removed != h.pool.removed {
		t.Fatal("an entry left the pool: the full check ran, not the recheck")
	}
	if got := rejectCode(t, h.acceptNow(pb)).Code; got != RejectConflict {
		t.Errorf("second of two conflicting: %v, want %v", got, RejectConflict)
	}
	if got := rejectCode(t, h.acceptNow(pa2)).Code; got != RejectAlreadyInPool {
		t.Errorf("the same transaction again: %v, want %v", got, RejectAlreadyInPool)
	}

	parent := h.accept(h.spend(1000, 2, h.out(fan, 1))).Tx
	c1, c2 := h.spend(1000, 1, h.out(parent, 0)), h.spend(1000, 1, h.out(parent, 1))
	p1, p2 := h.precheckOK(c1), h.precheckOK(c2) // each alone makes 2 with parent
	if err := h.acceptNow(p1); err != nil {
		t.Fatalf("first child: %v", err)
	}
	if got := rejectCode(t, h.acceptNow(p2)).Code; got != RejectTooLongChain {
		t.Errorf("second child past MaxDescendants: %v, want %v", got, RejectTooLongChain)
	}
	checkInvariants(t, h.pool)
}

// TestRecheckAfterRemoval: when an entry left the pool between the checks
// and the insertion, everything is checked again: a child whose parent was
// evicted meanwhile is missing its input, not inserted.
func TestRecheckAfterRemoval(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	parent := h.accept(h.spend(1000, 1, h.cb(1)))
	child := h.spend(1000, 1, h.out(parent.Tx, 0))
	pc := h.precheckOK(child)
	h.pool.mu.Lock()
	h.pool.removeWithDescendants(h.pool.entries[parent.TxID])
	h.pool.mu.Unlock()
	if got := rejectCode(t, h.acceptNow(pc)).Code; got != RejectMissingInputs {
		t.Errorf("child of an evicted parent: %v, want %v", got, RejectMissingInputs)
	}
	if h.pool.Has(child.TxID()) {
		t.Error("the child entered the pool without its parent")
	}
	checkInvariants(t, h.pool)
}

// TestConflictingPairsRace admits pairs of transactions spending the same
// output from two goroutines at once, released together: of each pair
// exactly one enters the pool and the other is refused as a conflict
// (whether it lost under the read lock or, having passed it, under the
// write lock).
func TestConflictingPairsRace(t *testing.T) {
	const pairs = 40
	h := newHarness(t, harnessConfig{})
	fan := h.spend(0, pairs, h.cb(1))
	h.mine(fan)
	for i := range pairs {
		pair := [2]*wire.Tx{h.spend(1000, 1, h.out(fan, uint32(i))), h.spend(1500, 2, h.out(fan, uint32(i)))}
		var errs [2]error
		var wg sync.WaitGroup
		start := make(chan struct{})
		for j, tx := range pair {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, _, errs[j] = h.pool.ProcessTransaction(tx, false, 0)
			}()
		}
		close(start)
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("pair %d: errors %v and %v, want exactly one", i, errs[0], errs[1])
		}
		for j, err := range errs {
			if err != nil {
				if got := rejectCode(t, err).Code; got != RejectConflict {
					t.Errorf("pair %d: loser: %v, want %v", i, got, RejectConflict)
				}
			} else if !h.pool.Has(pair[j].TxID()) {
				t.Errorf("pair %d: the winner is not in the pool", i)
			}
		}
	}
	if n := h.pool.Info().Size; n != pairs {
		t.Errorf("pool has %d transactions, want %d", n, pairs)
	}
	checkInvariants(t, h.pool)
	h.checkCacheIsPool() // the losers were verified, some refused only then
}
