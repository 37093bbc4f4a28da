package chain_test

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"powchain/chain"
	"powchain/wire"
)

// TestConnectBatchSizeBoundsTheBatch: the batch that connects a block is
// sized once, from the block, for everything it will hold (UTXO changes,
// undo record, address history, transaction index, index record and tip),
// so it never grows by doubling; and the estimate stays close (at most
// half again the real size), so it wastes little. The block mixes the
// shapes a batch holds: one-input two-output spends, an output spent in
// the block that created it, and a many-input transaction.
func TestConnectBatchSizeBoundsTheBatch(t *testing.T) {
	for _, indexed := range []bool{false, true} {
		h := newHarness(t)
		if indexed {
			h = newIndexedHarness(t)
		}
		h.extend("a", 12)
		fan := h.g.SpendTx(outs{h.g.CoinbaseOut("a1")}, 0, 300)
		h.g.NextBlock("fan", []*wire.Tx{fan})
		h.accept("fan")
		var txs []*wire.Tx
		for i := range uint32(299) {
			txs = append(txs, h.g.SpendTx(outs{h.g.TxOut(fan, i)}, 10, 2))
		}
		many := outs{h.g.CoinbaseOut("a2"), h.g.TxOut(fan, 299)}
		for _, tx := range txs[:50] {
			many = append(many, h.g.TxOut(tx, 1)) // spent in the block that creates it
		}
		txs = append(txs, h.g.SpendTx(many, 10, 1))
		blk := h.g.NextBlock("full", txs)
		hint, size, err := h.c.ConnectBatchSizes(blk)
		if err != nil {
			t.Fatal(err)
		}
		if size > hint || float64(hint) > 1.5*float64(size) {
			t.Errorf("txindex %v: batch of %d bytes sized for %d: want size <= hint <= 1.5 size", indexed, size, hint)
		}
		h.accept("full") // ConnectBatchSizes wrote nothing
	}
}

// twoBlockActivation builds, on 12 empty blocks, block "n" (spending a
// coinbase into 2 outputs) and "n1" (spending both, so its check reads
// outputs only "n" creates), and makes the chain hold n1's body and n's
// header: processing "n" then connects both in one activation.
func twoBlockActivation(h *harness) (n, n1 *wire.Block) {
	h.t.Helper()
	h.extend("a", 12)
	tx := h.g.SpendTx(outs{h.g.CoinbaseOut("a1")}, 5, 2)
	n = h.g.NextBlock("n", []*wire.Tx{tx})
	n1 = h.g.NextBlock("n1", []*wire.Tx{
		h.g.SpendTx(outs{h.g.TxOut(tx, 0)}, 5, 2),
		h.g.SpendTx(outs{h.g.TxOut(tx, 1)}, 5, 2),
	})
	if err := h.c.ProcessHeaders([]wire.BlockHeader{n.Header, n1.Header}); err != nil {
		h.t.Fatal(err)
	}
	if res, err := h.c.ProcessBlock(n1); err != nil || res.MainChain {
		h.t.Fatalf("n1 ahead of its parent's body: %+v, %v", res, err)
	}
	return n, n1
}

// TestConnectWriteOverlapsNextCheck: while the batch connecting a block is
// being written, the next block of the same activation is checked (its
// signatures counted) against the UTXO set the first block leaves; both
// end connected, the UTXO set that of a replay.
func TestConnectWriteOverlapsNextCheck(t *testing.T) {
	h := newHarness(t)
	n, _ := twoBlockActivation(h)
	writing, release := make(chan struct{}), make(chan struct{})
	h.c.SetConnectWriteHook(func(height uint64) error {
		if height == 13 {
			close(writing)
			<-release
		}
		return nil
	})
	checks := h.c.SignatureChecks()
	done := make(chan error, 1)
	go func() {
		_, err := h.c.ProcessBlock(n)
		done <- err
	}()
	<-writing
	deadline := time.Now().Add(20 * time.Second)
	for h.c.SignatureChecks() < checks+3 { // n's one transaction, n1's two
		if time.Now().After(deadline) {
			close(release)
			t.Fatalf("n1 not checked while n's batch is being written: %d signature checks, want %d", h.c.SignatureChecks()-checks, 3)
		}
		runtime.Gosched()
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	h.expectTip("n1")
	h.expectUTXOs("n1")
	h.reopen()
	h.expectTip("n1")
	h.expectUTXOs("n1")
}

// TestFailedConnectWriteLeavesTheTipOnDisk: when the write of a block's
// batch fails, the chain in memory stays where the database is (the tip
// is the last block written, nothing later is announced as connected),
// whether the first or the second block of an activation fails, and the
// UTXO set read from the database is that tip's; reopening, with the
// storage working again, connects the stored blocks.
func TestFailedConnectWriteLeavesTheTipOnDisk(t *testing.T) {
	for _, fail := range []struct {
		height uint64
		tip    string
	}{{13, "a12"}, {14, "n"}} {
		h := newHarness(t)
		n, _ := twoBlockActivation(h)
		var connected []uint64
		h.c.Subscribe(func(note chain.Notification) {
			if note.Type == chain.BlockConnected {
				connected = append(connected, note.Height)
			}
		})
		h.c.SetConnectWriteHook(func(height uint64) error {
			if height == fail.height {
				return errors.New("disk full")
			}
			return nil
		})
		if _, err := h.c.ProcessBlock(n); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("write of height %d failed: ProcessBlock says %v", fail.height, err)
		}
		h.expectTip(fail.tip)
		h.expectUTXOs(fail.tip) // read from the database
		if want := fail.height - 13; uint64(len(connected)) != want {
			t.Fatalf("write of height %d failed: connected %v announced, want %d", fail.height, connected, want)
		}
		h.c.SetConnectWriteHook(func(uint64) error { return nil })
		h.reopen() // the bodies are stored: opening connects them
		h.expectTip("n1")
		h.expectUTXOs("n1")
	}
}

// TestWaitingBlockConnectsWithoutReadingItBack: a block stored ahead of
// its parent connects, when the parent comes, from the decoded body the
// chain kept, with no read of it from the store; when more blocks wait
// than the chain keeps, it keeps the lowest (they connect first) and reads
// back only the highest, and all connect.
func TestWaitingBlockConnectsWithoutReadingItBack(t *testing.T) {
	h := newHarness(t)
	n, _ := twoBlockActivation(h)
	reads := h.c.BodyReads()
	if _, err := h.c.ProcessBlock(n); err != nil {
		t.Fatal(err)
	}
	h.expectTip("n1")
	if got := h.c.BodyReads() - reads; got != 0 {
		t.Errorf("connecting n and the waiting n1 read %d bodies from the store, want 0", got)
	}
	h.expectUTXOs("n1")

	const waiting = chain.MaxAcceptedBlocks + 2
	var headers []wire.BlockHeader
	for i := 0; i <= waiting; i++ {
		headers = append(headers, h.g.NextBlock("w"+itoa(i), nil).Header)
	}
	if err := h.c.ProcessHeaders(headers); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= waiting; i++ {
		if res, err := h.process("w" + itoa(i)); err != nil || res.MainChain {
			t.Fatalf("w%d ahead of w0's body: %+v, %v", i, res, err)
		}
	}
	reads = h.c.BodyReads()
	if _, err := h.process("w0"); err != nil {
		t.Fatal(err)
	}
	h.expectTip("w" + itoa(waiting))
	if got, want := h.c.BodyReads()-reads, uint64(waiting+1-chain.MaxAcceptedBlocks); got != want {
		t.Errorf("connecting w0 and %d waiting blocks read %d bodies from the store, want %d (the highest beyond the %d kept)",
			waiting, got, want, chain.MaxAcceptedBlocks)
	}
}

// A block whose signature fails is checked against the UTXO set and has
// its batch built before its signatures are checked (connectNode): none
// of that batch reaches the database, and the next block's batch, built
// in the same reused buffer, holds only its own changes. The clock is set
// a week on, so the chain is syncing old blocks (not caught up) and keeps
// the dropped batch for the next block.
func TestBadSignatureWritesNothing(t *testing.T) {
	h := newHarness(t)
	h.clock.Advance(7 * 24 * time.Hour)
	h.extend("a", 12)
	bad := h.g.SpendTx(outs{h.g.CoinbaseOut("a1")}, 0, 2)
	bad.Inputs[0].Signature[5] ^= 1
	h.g.NextBlock("bad", []*wire.Tx{bad})
	h.reject("bad", chain.ErrBadSignature)
	if !h.c.HoldsSpareBatch() {
		t.Fatal("the rejected block's batch is not kept for the next block")
	}
	h.expectTip("a12")
	h.expectUTXOs("a12")
	h.g.SetTip("a12")
	good := h.g.SpendTx(outs{h.g.CoinbaseOut("a2")}, 0, 2)
	h.g.NextBlock("good", []*wire.Tx{good})
	h.accept("good")
	h.expectUTXOs("good")
	for _, out := range append(bad.Outputs, h.g.Block("a1").Transactions[0].Outputs...) {
		hist, _, err := h.c.AddressHistory(out.KeyHash, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range hist {
			if e.OutPoint.TxID == bad.TxID() || e.SpentBy == bad.TxID() {
				t.Fatalf("address history holds the rejected transaction: %+v", e)
			}
		}
	}
}

// A chain behind its best header keeps a written connect batch for the
// next block to build its own in; one that has caught up lets it go, also
// when the activation that caught it up connected several blocks (each
// block's batch is recycled while the next one connects, when the chain is
// still behind).
func TestCaughtUpChainKeepsNoBatch(t *testing.T) {
	h := newHarness(t)
	h.extend("a", 2) // one block per activation, each the best header
	if h.c.HoldsSpareBatch() {
		t.Fatal("a caught-up chain keeps a connect batch after connecting one block")
	}
	var headers []wire.BlockHeader
	for i := 1; i <= 5; i++ {
		name := "b" + itoa(i)
		h.g.NextBlock(name, nil)
		headers = append(headers, h.g.Block(name).Header)
	}
	if err := h.c.ProcessHeaders(headers); err != nil {
		t.Fatal(err)
	}
	h.accept("b1")
	if !h.c.HoldsSpareBatch() {
		t.Fatal("a chain four blocks behind its best header keeps no connect batch")
	}
	for _, name := range []string{"b5", "b4", "b3"} {
		if _, err := h.process(name); err != nil {
			t.Fatalf("block %s: %v", name, err)
		}
	}
	if _, err := h.process("b2"); err != nil { // connects b2..b5 in one activation
		t.Fatalf("block b2: %v", err)
	}
	h.expectTip("b5")
	h.expectUTXOs("b5")
	if h.c.HoldsSpareBatch() {
		t.Fatal("a chain caught up by connecting several blocks at once keeps a connect batch")
	}
}
