package chain_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// ibdHarness is a harness whose chain is in initial sync (every block a
// month old, so never caught up): its writes are deferred in the overlay,
// which holds up to cacheSize bytes (0: the default). Coinbases mature at
// once, so short chains have outputs to spend.
func ibdHarness(t *testing.T, cacheSize int) *harness {
	t.Helper()
	params := chaintest.Params(genesisTime)
	params.CoinbaseMaturity = 1
	h := newHarnessWithParams(t, params)
	h.cfg.WriteCacheSize = cacheSize
	h.clock.Advance(30 * 24 * time.Hour)
	h.reopen()
	return h
}

// spendBlock builds and accepts block name holding one transaction that
// spends from into two outputs, and returns the transaction.
func (h *harness) spendBlock(name string, from chaintest.SpendableOut) *wire.Tx {
	h.t.Helper()
	tx := h.g.SpendTx(outs{from}, 10, 2)
	h.g.NextBlock(name, []*wire.Tx{tx})
	h.accept(name)
	return tx
}

// referenceChain opens a chain that writes straight to LevelDB (no
// overlay) and processes the generated blocks to name in order.
func (h *harness) referenceChain(names ...string) *chain.Chain {
	h.t.Helper()
	cfg := h.cfg
	cfg.Path = h.t.TempDir()
	cfg.WriteCacheSize = -1
	c, err := chain.Open(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	for _, name := range names {
		for _, blk := range h.g.BlocksTo(name)[1:] {
			if _, err := c.ProcessBlock(blk); err != nil {
				if code, ok := chain.ErrorCodeOf(err); !ok || code != chain.ErrDuplicateBlock {
					h.t.Fatalf("reference chain, block %s: %v", blk.BlockHash(), err)
				}
			}
		}
	}
	return c
}

// crashAndReopen closes the chain as a crash would (the overlay lost,
// nothing synced) and opens it again.
func (h *harness) crashAndReopen() {
	h.t.Helper()
	if err := h.c.CloseAsCrash(); err != nil {
		h.t.Fatal(err)
	}
	c, err := chain.Open(h.cfg)
	if err != nil {
		h.t.Fatalf("reopen after the crash: %v", err)
	}
	h.c = c
}

// expectSameState checks that c and ref agree on the tip, the UTXO set,
// the address UTXOs and the address history of the generator's key.
func (h *harness) expectSameState(ref *chain.Chain) {
	h.t.Helper()
	if got, want := h.c.Tip().Hash, ref.Tip().Hash; got != want {
		h.t.Fatalf("tip %s, the reference chain's %s", got, want)
	}
	got, err := h.c.UTXOSetInfo()
	if err != nil {
		h.t.Fatal(err)
	}
	want, err := ref.UTXOSetInfo()
	if err != nil {
		h.t.Fatal(err)
	}
	if got != want {
		h.t.Fatalf("UTXO set %+v, the reference chain's %+v", got, want)
	}
	kh := h.g.KeyHash()
	gotUtxos, err := h.c.AddressUtxos(kh)
	if err != nil {
		h.t.Fatal(err)
	}
	wantUtxos, err := ref.AddressUtxos(kh)
	if err != nil {
		h.t.Fatal(err)
	}
	if !reflect.DeepEqual(gotUtxos, wantUtxos) {
		h.t.Fatalf("address UTXOs %v, the reference chain's %v", gotUtxos, wantUtxos)
	}
	gotHist, _, err := h.c.AddressHistory(kh, 0, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	wantHist, _, err := ref.AddressHistory(kh, 0, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	if !reflect.DeepEqual(gotHist, wantHist) {
		h.t.Fatalf("address history %v, the reference chain's %v", gotHist, wantHist)
	}
}

// TestOverlayReadsSeeDeferredWrites: during initial sync the blocks' writes
// wait in the overlay, and every read sees them: point reads (UTXO
// lookups, bodies, undo records, the transaction index) while they are
// still deferred, and reads that iterate the database (UTXO statistics,
// address UTXOs, address history) as well.
func TestOverlayReadsSeeDeferredWrites(t *testing.T) {
	h := ibdHarness(t, 0)
	h.cfg.TxIndex = true
	h.reopen()
	h.extend("a", 2)
	tx := h.spendBlock("s1", h.g.CoinbaseOut("a1"))
	h.spendBlock("s2", h.g.TxOut(tx, 0))
	if h.c.DeferredWrites() == 0 {
		t.Fatal("no write deferred during initial sync")
	}
	if e, err := h.c.FetchUtxo(wire.OutPoint{TxID: tx.TxID(), Index: 1}); err != nil || e == nil {
		t.Fatalf("deferred output: %v, %v", e, err)
	}
	if e, err := h.c.FetchUtxo(wire.OutPoint{TxID: tx.TxID(), Index: 0}); err != nil || e != nil {
		t.Fatalf("output spent in the overlay: %v, %v", e, err)
	}
	s2 := h.g.Block("s2").BlockHash()
	if blk, err := h.c.BlockByHash(s2); err != nil || blk == nil {
		t.Fatalf("deferred body: %v, %v", blk, err)
	}
	if spent, ok, err := h.c.SpentOutputs(s2); err != nil || !ok || len(spent) != 1 {
		t.Fatalf("deferred undo record: %v, %v, %v", spent, ok, err)
	}
	if _, blk, found, err := h.c.FindTransaction(tx.TxID()); err != nil || !found || blk.Hash != h.g.Block("s1").BlockHash() {
		t.Fatalf("deferred transaction index: %v, %v, %v", blk.Hash, found, err)
	}
	if h.c.DeferredWrites() == 0 {
		t.Fatal("a point read flushed the overlay")
	}
	h.expectUTXOs("s2")
	h.expectSameState(h.referenceChain("s2"))
}

// TestOverlayDropsWritesThatCancel: an output created and spent within one
// window never reaches LevelDB (its UTXO entry is neither put nor deleted
// there), its history record is written once, and the spend of an output
// LevelDB already held keeps its delete.
func TestOverlayDropsWritesThatCancel(t *testing.T) {
	h := ibdHarness(t, 0)
	h.extend("a", 2)
	if err := h.c.Sync(); err != nil {
		t.Fatal(err)
	}
	var writes []chain.DiskWrite
	h.c.OnDiskWrite(func(w chain.DiskWrite) { writes = append(writes, w) })
	old := h.g.CoinbaseOut("a1")
	tx := h.spendBlock("s1", old)
	h.spendBlock("s2", h.g.TxOut(tx, 0))
	if len(writes) != 0 {
		t.Fatalf("%d writes reached LevelDB before the sync", len(writes))
	}
	if err := h.c.Sync(); err != nil {
		t.Fatal(err)
	}
	if len(writes) != 1 {
		t.Fatalf("the sync wrote %d batches, want the overlay in one", len(writes))
	}
	w := writes[0]
	kh := h.g.KeyHash()
	spentHere := wire.OutPoint{TxID: tx.TxID(), Index: 0}
	if key := chain.UtxoKeyName(spentHere); slices.Contains(w.Puts, key) || slices.Contains(w.Deletes, key) {
		t.Errorf("%s, created and spent in the window, reached LevelDB", key)
	}
	kept := wire.OutPoint{TxID: tx.TxID(), Index: 1}
	if !slices.Contains(w.Puts, chain.UtxoKeyName(kept)) {
		t.Errorf("unspent output %s not written", chain.UtxoKeyName(kept))
	}
	if key := chain.UtxoKeyName(old.OutPoint); !slices.Contains(w.Deletes, key) {
		t.Errorf("%s, on disk before the window and spent in it, not deleted", key)
	}
	hist := chain.HistoryKeyName(kh, h.g.Height("s1"), spentHere)
	if n := count(w.Puts, hist); n != 1 {
		t.Errorf("history record %s written %d times, want once (spent)", hist, n)
	}
	h.expectSameState(h.referenceChain("s2"))
}

func count(keys []string, key string) (n int) {
	for _, k := range keys {
		if k == key {
			n++
		}
	}
	return n
}

// TestOverlayCrashLosesOnlyTheWindow: a crash (the overlay lost, nothing
// synced) reopens at the last sync with the state a chain that never
// deferred anything has there; the lost blocks connect again when they
// are fetched again, with the same result.
func TestOverlayCrashLosesOnlyTheWindow(t *testing.T) {
	h := ibdHarness(t, 0)
	h.extend("a", 3)
	tx := h.spendBlock("s1", h.g.CoinbaseOut("a1"))
	if err := h.c.Sync(); err != nil {
		t.Fatal(err)
	}
	tx2 := h.spendBlock("s2", h.g.TxOut(tx, 0))
	h.spendBlock("s3", h.g.TxOut(tx2, 1))
	if h.c.DeferredWrites() == 0 {
		t.Fatal("nothing deferred before the crash")
	}
	h.crashAndReopen()
	if lost, ok := h.c.LostOnOpen(); ok {
		t.Fatalf("the crash lost synced blocks: %+v", lost)
	}
	h.expectTip("s1")
	h.expectUTXOs("s1")
	h.expectSameState(h.referenceChain("s1"))
	h.accept("s2")
	h.accept("s3")
	h.expectSameState(h.referenceChain("s3"))
}

// TestOverlayReorgAndInvalidateAcrossWindow: blocks disconnected and
// connected within one window (a reorganisation onto a branch that spends
// the same output differently, then an invalidation that moves back),
// some of them on disk and some deferred, leave the state of a chain that
// wrote everything at once, before and after reopening, and after a crash.
func TestOverlayReorgAndInvalidateAcrossWindow(t *testing.T) {
	h := ibdHarness(t, 0)
	h.extend("a", 3)
	tx := h.spendBlock("s1", h.g.CoinbaseOut("a1"))
	tx2 := h.spendBlock("s2", h.g.TxOut(tx, 0))
	if err := h.c.Sync(); err != nil { // s1 and s2 on disk, the rest deferred
		t.Fatal(err)
	}
	h.spendBlock("s3", h.g.TxOut(tx2, 0))
	h.g.SetTip("s1")
	b2 := h.g.SpendTx(outs{h.g.TxOut(tx, 0)}, 20, 2) // s2's spend, differently
	h.g.NextBlock("b2", []*wire.Tx{b2})
	h.acceptSide("b2")
	h.g.NextBlock("b3", []*wire.Tx{h.g.SpendTx(outs{h.g.TxOut(b2, 1)}, 10, 1)})
	h.acceptSide("b3")
	h.g.NextBlock("b4", []*wire.Tx{h.g.SpendTx(outs{h.g.TxOut(tx, 1)}, 10, 3)})
	h.accept("b4") // disconnects s3 (deferred) and s2 (on disk)
	if h.c.DeferredWrites() == 0 {
		t.Fatal("nothing deferred across the reorganisation")
	}
	ref := h.referenceChain("s3", "b4")
	h.expectUTXOs("b4")
	h.expectSameState(ref)

	h.spendBlock("b5", h.g.TxOut(b2, 0))
	if err := h.c.InvalidateBlock(h.g.Block("b3").BlockHash()); err != nil {
		t.Fatal(err)
	}
	if err := ref.InvalidateBlock(h.g.Block("b3").BlockHash()); err != nil {
		t.Fatal(err)
	}
	h.expectTip("s3")
	h.expectUTXOs("s3")
	h.expectSameState(ref)
	h.reopen()
	h.expectSameState(ref)

	if err := h.c.ReconsiderBlock(h.g.Block("b3").BlockHash()); err != nil {
		t.Fatal(err)
	}
	h.expectTip("b5")
	if h.c.DeferredWrites() == 0 {
		t.Fatal("nothing deferred before the crash")
	}
	h.crashAndReopen() // at the last flush (reopen: s3, b-branch invalid); opening reconnects nothing invalid
	h.expectTip("s3")
	h.expectSameState(ref)
}

// TestOverlayBoundFlushes: a write that finds the overlay holding more
// than Config.WriteCacheSize writes it to LevelDB first, sync or not, so
// a crash loses only the last batch (s1's connection: its body was
// written, and reopening connects it again); a larger overlay keeps the
// same writes deferred, and a crash loses them all, back to the last sync.
func TestOverlayBoundFlushes(t *testing.T) {
	for _, tc := range []struct {
		size    int
		afterIt string
	}{{1, "s1"}, {0, "genesis"}} {
		h := ibdHarness(t, tc.size)
		h.extend("a", 2)
		h.spendBlock("s1", h.g.CoinbaseOut("a1"))
		if h.c.DeferredWrites() == 0 {
			t.Fatalf("WriteCacheSize %d: s1's connection not deferred", tc.size)
		}
		h.crashAndReopen()
		if tip := h.c.Tip(); tip.Hash != h.g.Block(tc.afterIt).BlockHash() {
			t.Errorf("WriteCacheSize %d: the crash left the tip at height %d, want %s", tc.size, tip.Height, tc.afterIt)
		}
		h.expectUTXOs(tc.afterIt)
	}
}
