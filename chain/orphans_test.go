package chain_test

import (
	"encoding/binary"
	"testing"
	"time"

	"powchain/chain"
	"powchain/wire"
)

// maxOutputs is how many outputs bigOrphan's second transaction has: the
// block is then 999,976 bytes, as close to wire.MaxBlockSize as a block of
// a one-output coinbase and one more transaction gets.
const maxOutputs = (wire.MaxBlockSize - wire.HeaderSize - 4 - wire.MinTxSize - wire.MinTxSize + wire.TxOutSize) / wire.TxOutSize

// bigOrphan returns a block whose parent nobody knows, of a coinbase and a
// transaction of outputs outputs, that passes every context-free check:
// large blocks cheap to build and hash. seed makes it unique.
func bigOrphan(now time.Time, seed uint32, outputs int) *wire.Block {
	in := wire.TxIn{}
	binary.LittleEndian.PutUint32(in.PrevOut.TxID[:], seed)
	tx := &wire.Tx{Version: 1, Inputs: []wire.TxIn{in}, Outputs: make([]wire.TxOut, outputs)}
	cb := wire.NewCoinbaseTx(wire.CoinbaseData{Height: 1, ExtraNonce: uint64(seed)}, []wire.TxOut{{Amount: 1}})
	return solvedOrphan(now, seed, []*wire.Tx{cb, tx})
}

// reopenWith opens h's chain again with its Config changed by set.
func (h *harness) reopenWith(set func(*chain.Config)) {
	h.t.Helper()
	if err := h.c.Close(); err != nil {
		h.t.Fatal(err)
	}
	set(&h.cfg)
	c, err := chain.Open(h.cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.c = c
}

// TestOrphanPoolByteBudget: the orphans' encoded bytes never exceed the
// budget: the oldest go to make room. The budget here is the smallest
// (any value below wire.MaxBlockSize is raised to it), so the test
// handles few bytes; the default, chain.DefaultMaxOrphanBytes, is eight
// times that (TestOrphanPoolDefaults).
func TestOrphanPoolByteBudget(t *testing.T) {
	t.Run("oldest go", func(t *testing.T) {
		h := newHarness(t)
		h.reopenWith(func(cfg *chain.Config) { cfg.MaxOrphanBytes = wire.MaxBlockSize })
		const n, fit = 7, 3 // orphans of a quarter of the budget and a little more: three fit, not four
		var hashes []wire.Hash
		for i := range n {
			blk := bigOrphan(h.clock.Now(), uint32(i), maxOutputs/4)
			hashes = append(hashes, blk.BlockHash())
			if res, err := h.c.ProcessBlock(blk); err != nil || !res.Orphan {
				t.Fatalf("orphan %d: %+v, %v", i, res, err)
			}
			count, bytes := h.c.OrphanPoolUsage()
			if bytes > wire.MaxBlockSize || count != min(i+1, fit) || bytes != count*blk.SerializeSize() {
				t.Fatalf("after orphan %d the pool holds %d orphans, %d bytes; want %d of %d bytes, at most %d",
					i, count, bytes, min(i+1, fit), blk.SerializeSize(), wire.MaxBlockSize)
			}
			h.clock.Advance(time.Second)
		}
		for i, hash := range hashes {
			if want := i >= n-fit; h.c.IsOrphan(hash) != want {
				t.Fatalf("orphan %d in the pool: %v, want %v (the oldest go first)", i, !want, want)
			}
		}
	})
	t.Run("largest fits", func(t *testing.T) {
		h := newHarness(t)
		h.reopenWith(func(cfg *chain.Config) { cfg.MaxOrphanBytes = 1 })
		small := func(i int) *wire.Block { return bigOrphan(h.clock.Now(), uint32(i), 10) }
		for i := range 5 {
			h.c.ProcessBlock(small(i))
			h.clock.Advance(time.Second)
		}
		if count, _ := h.c.OrphanPoolUsage(); count != 5 {
			t.Fatalf("%d small orphans kept, want 5", count)
		}
		big := bigOrphan(h.clock.Now(), 100, maxOutputs)
		if res, err := h.c.ProcessBlock(big); err != nil || !res.Orphan {
			t.Fatalf("big orphan: %+v, %v", res, err)
		}
		if count, bytes := h.c.OrphanPoolUsage(); count != 1 || bytes != big.SerializeSize() || !h.c.IsOrphan(big.BlockHash()) {
			t.Fatalf("after the big orphan the pool holds %d orphans, %d bytes; want it alone", count, bytes)
		}
		h.clock.Advance(time.Second)
		last := small(5)
		h.c.ProcessBlock(last)
		if count, bytes := h.c.OrphanPoolUsage(); count != 1 || bytes != last.SerializeSize() || h.c.IsOrphan(big.BlockHash()) {
			t.Fatalf("after a small orphan the pool holds %d orphans, %d bytes; want the small one alone", count, bytes)
		}
	})
}

// TestOrphansOutOfOrderWithinBudget: honest blocks that arrive before their
// parent wait in a pool that a stranger filled to its byte budget first
// (the smallest budget, one block of the largest size), and connect when
// the parent arrives: the stranger's older orphans make room.
func TestOrphansOutOfOrderWithinBudget(t *testing.T) {
	h := newHarness(t)
	h.reopenWith(func(cfg *chain.Config) { cfg.MaxOrphanBytes = wire.MaxBlockSize })
	junk := make([]wire.Hash, 3) // 300 kB each: 900 kB of the budget
	for i := range junk {
		blk := bigOrphan(h.clock.Now(), uint32(i), maxOutputs*3/10)
		junk[i] = blk.BlockHash()
		if res, err := h.c.ProcessBlock(blk); err != nil || !res.Orphan {
			t.Fatalf("junk %d: %+v, %v", i, res, err)
		}
		h.clock.Advance(time.Second)
	}
	// Coinbases of many outputs (56 kB blocks) that connect, with no
	// signature to make.
	manyOutputs := func(b *wire.Block) {
		cb := b.Transactions[0]
		outs := make([]wire.TxOut, 2000)
		outs[0] = cb.Outputs[0]
		cb.Outputs = outs
	}
	names := []string{"a1", "a2", "a3", "a4"}
	for _, name := range names {
		h.g.NextBlock(name, nil, manyOutputs)
	}
	for _, name := range []string{"a4", "a2", "a3"} {
		if res, err := h.process(name); err != nil || !res.Orphan {
			t.Fatalf("%s before its parent: %+v, %v; want orphan", name, res, err)
		}
		if _, bytes := h.c.OrphanPoolUsage(); bytes > wire.MaxBlockSize {
			t.Fatalf("after %s the pool holds %d bytes, more than %d", name, bytes, wire.MaxBlockSize)
		}
		h.clock.Advance(time.Second)
	}
	if h.c.IsOrphan(junk[0]) || !h.c.IsOrphan(junk[len(junk)-1]) {
		t.Fatal("the oldest junk did not make room, or the newest went too")
	}
	if res, err := h.process("a1"); err != nil || !res.MainChain {
		t.Fatalf("a1: %+v, %v", res, err)
	}
	h.expectTip("a4")
	for _, name := range names[1:] {
		if h.c.IsOrphan(h.g.Block(name).BlockHash()) {
			t.Fatalf("%s still waits in the pool", name)
		}
	}
}

// TestOrphanPoolDefaults: the bounds a zero Config gets, and a count bound
// still applies beside the byte bound.
func TestOrphanPoolDefaults(t *testing.T) {
	if chain.DefaultMaxOrphanBytes != 8*wire.MaxBlockSize || chain.DefaultMaxOrphans != 100 || chain.DefaultOrphanTTL != time.Hour {
		t.Fatalf("defaults %d bytes, %d orphans, %v", chain.DefaultMaxOrphanBytes, chain.DefaultMaxOrphans, chain.DefaultOrphanTTL)
	}
	h := newHarness(t)
	h.reopenWith(func(cfg *chain.Config) { cfg.MaxOrphans = 2 })
	for i := range 3 {
		h.c.ProcessBlock(bigOrphan(h.clock.Now(), uint32(i), 1))
		h.clock.Advance(time.Second)
	}
	if count, _ := h.c.OrphanPoolUsage(); count != 2 {
		t.Fatalf("%d orphans kept, want 2", count)
	}
}
