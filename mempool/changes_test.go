package mempool

import "testing"

// TestChanges: every change of the pool's transactions (admission, a block
// mining them) moves the sequence number and closes the channel handed out
// before it; a refused transaction changes nothing.
func TestChanges(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	closed := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	seq0, ch0 := h.pool.Changes()
	if again, ch := h.pool.Changes(); again != seq0 || ch != ch0 || closed(ch0) {
		t.Fatal("Changes moved without a change")
	}

	tx := h.spend(1000, 1, h.cb(1))
	h.accept(tx)
	seq1, ch1 := h.pool.Changes()
	if seq1 <= seq0 || !closed(ch0) || closed(ch1) {
		t.Fatalf("admission: seq %d -> %d, old channel closed %v, new closed %v", seq0, seq1, closed(ch0), closed(ch1))
	}

	if _, _, err := h.pool.ProcessTransaction(tx, false, 0); err == nil {
		t.Fatal("duplicate admitted")
	}
	if seq, _ := h.pool.Changes(); seq != seq1 || closed(ch1) {
		t.Fatal("a refused transaction changed the sequence")
	}

	h.mine(tx)
	seq2, _ := h.pool.Changes()
	if seq2 <= seq1 || !closed(ch1) || h.pool.Has(tx.TxID()) {
		t.Fatalf("block: seq %d -> %d, channel closed %v", seq1, seq2, closed(ch1))
	}

	// A block that touches nothing in the pool leaves it unchanged.
	h.mine()
	if seq, _ := h.pool.Changes(); seq != seq2 {
		t.Fatalf("empty block: seq %d -> %d", seq2, seq)
	}
}
