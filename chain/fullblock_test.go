package chain_test

import (
	"testing"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

type outs = []chaintest.SpendableOut

// TestFullBlocks walks one chain through every consensus rule: for each, a
// block that breaks it is rejected with its code and the tip stays put, and
// a neighbouring block that respects it is accepted. Along the way: same-block
// spends, double spends inside a block and across branches, side chains,
// reorgs (to more work with less height, and onto a branch containing an
// invalid block), and spending outputs of disconnected blocks, with the UTXO
// set checked against a from-scratch replay after every reorg.
func TestFullBlocks(t *testing.T) {
	h := newHarness(t)
	g := h.g
	h.extend("b", 15) // heights 1..15; coinbases of b1..b5 mature from height 11..15
	out := func(i int) chaintest.SpendableOut { return g.CoinbaseOut("b" + itoa(i)) }
	key := out(1).Key
	tryOn := func(parent, name string, txs []*wire.Tx, code chain.ErrorCode, m ...chaintest.Munger) {
		t.Helper()
		g.SetTip(parent)
		g.NextBlock(name, txs, m...)
		h.reject(name, code)
	}

	// A plain spend with a fee, claimed by the coinbase: accept case of
	// ErrMissingTxOut, ErrSpendTooHigh, ErrKeyHashMismatch, ErrBadSignature
	// and ErrBadCoinbaseValue (subsidy plus fees exactly).
	g.NextBlock("s1", []*wire.Tx{g.SpendTx(outs{out(1)}, 1000, 2)})
	h.accept("s1")
	h.expectUTXOs("s1")

	// Same-block spends: a child after its parent is fine, before it is not.
	tx2 := g.SpendTx(outs{out(2)}, 0, 2)
	tx3 := g.SpendTx(outs{g.TxOut(tx2, 0)}, 500, 1)
	tryOn("s1", "s2-child-first", []*wire.Tx{tx3, tx2}, chain.ErrMissingTxOut)
	g.SetTip("s1")
	g.NextBlock("s2", []*wire.Tx{tx2, tx3})
	h.accept("s2")
	h.expectUTXOs("s2")

	// Double spends: inside one block, and of an output spent in an earlier block.
	tryOn("s2", "double-in-block", []*wire.Tx{g.SpendTx(outs{out(3)}, 0, 1), g.SpendTx(outs{out(3)}, 7, 1)}, chain.ErrMissingTxOut)
	tryOn("s2", "double-across-blocks", []*wire.Tx{g.SpendTx(outs{out(1)}, 0, 1)}, chain.ErrMissingTxOut)
	tryOn("s2", "dup-inputs", []*wire.Tx{g.SpendTx(outs{out(3), out(3)}, 0, 1)}, chain.ErrDuplicateTxInputs)

	// Coinbase maturity at height 18: a coinbase of height 9 is one block
	// short (18-9 < 10); one of height 8 is exactly mature.
	tryOn("s2", "immature", []*wire.Tx{g.SpendTx(outs{out(9)}, 0, 1)}, chain.ErrImmatureSpend)
	g.SetTip("s2")
	g.NextBlock("s3", []*wire.Tx{g.SpendTx(outs{out(8)}, 0, 1)})
	h.accept("s3")

	// Value rules.
	tooHigh := g.SpendTx(outs{out(3)}, 0, 1)
	tooHigh.Outputs[0].Amount++
	g.Sign(tooHigh, key)
	tryOn("s3", "spend-too-high", []*wire.Tx{tooHigh}, chain.ErrSpendTooHigh)
	tryOn("s3", "coinbase-overpays", nil, chain.ErrBadCoinbaseValue, func(b *wire.Block) {
		b.Transactions[0].Outputs[0].Amount++
	})
	overMax := g.SpendTx(outs{out(3)}, 0, 1)
	overMax.Outputs[0].Amount = wire.MaxMoney + 1
	g.Sign(overMax, key)
	tryOn("s3", "output-over-max", []*wire.Tx{overMax}, chain.ErrBadTxOutValue)
	sumOverMax := g.SpendTx(outs{out(3)}, 0, 2)
	sumOverMax.Outputs[0].Amount, sumOverMax.Outputs[1].Amount = wire.MaxMoney, wire.MaxMoney
	g.Sign(sumOverMax, key)
	tryOn("s3", "outputs-sum-over-max", []*wire.Tx{sumOverMax}, chain.ErrBadTxOutValue)
	tryOn("s3", "coinbase-max-money", nil, chain.ErrBadCoinbaseValue, func(b *wire.Block) {
		b.Transactions[0].Outputs[0].Amount = wire.MaxMoney // in range, but overpays
	})

	// Ownership and signatures.
	wrongKey := g.SpendTx(outs{out(3)}, 0, 1)
	g.Sign(wrongKey, chaintest.Key(99))
	tryOn("s3", "wrong-key", []*wire.Tx{wrongKey}, chain.ErrKeyHashMismatch)
	badSig := g.SpendTx(outs{out(3)}, 0, 1)
	badSig.Inputs[0].Signature[5] ^= 1
	tryOn("s3", "bad-signature", []*wire.Tx{badSig}, chain.ErrBadSignature)
	badSigLater := g.SpendTx(outs{out(3)}, 0, 1)
	badSigLater.Outputs[0].Amount-- // signed before the change: the sighash moved
	tryOn("s3", "signature-of-other-message", []*wire.Tx{badSigLater}, chain.ErrBadSignature)

	// Transaction shape.
	tryOn("s3", "no-inputs", []*wire.Tx{{Version: 1, Outputs: []wire.TxOut{{Amount: 1}}}}, chain.ErrNoTxInputs)
	noOutputs := g.SpendTx(outs{out(3)}, 0, 1)
	noOutputs.Outputs = nil
	g.Sign(noOutputs, key)
	tryOn("s3", "no-outputs", []*wire.Tx{noOutputs}, chain.ErrNoTxOutputs)
	nullInput := g.SpendTx(outs{out(3)}, 0, 1)
	nullInput.Inputs = append(nullInput.Inputs, wire.TxIn{PrevOut: wire.NullOutPoint})
	g.Sign(nullInput, key)
	tryOn("s3", "null-input", []*wire.Tx{nullInput}, chain.ErrBadTxInput)

	// Block shape.
	tryOn("s3", "no-transactions", nil, chain.ErrNoTransactions, func(b *wire.Block) { b.Transactions = nil })
	tryOn("s3", "first-not-coinbase", []*wire.Tx{g.SpendTx(outs{out(3)}, 0, 1)}, chain.ErrFirstTxNotCoinbase,
		func(b *wire.Block) { b.Transactions = b.Transactions[1:] })
	tryOn("s3", "two-coinbases", nil, chain.ErrMultipleCoinbases, func(b *wire.Block) {
		b.Transactions = append(b.Transactions, wire.NewCoinbaseTx(wire.CoinbaseData{Height: 18, ExtraNonce: 1}, []wire.TxOut{{Amount: 1}}))
	})
	tryOn("s3", "coinbase-height", nil, chain.ErrBadCoinbaseHeight, func(b *wire.Block) {
		b.Transactions[0] = wire.NewCoinbaseTx(wire.CoinbaseData{Height: g.Height("s3") + 2}, b.Transactions[0].Outputs)
	})
	tryOn("s3", "bad-merkle", nil, chain.ErrBadMerkleRoot, func(b *wire.Block) { b.Header.MerkleRoot[0] ^= 1 })

	// Size: the largest block a one-transaction payload allows under the cap
	// is accepted; 28 bytes more are rejected.
	under, over := sizedSpend(g, out(3), 35699), sizedSpend(g, out(3), 35700)
	g.SetTip("s3")
	if big := g.NextBlock("too-big", []*wire.Tx{over}); big.SerializeSize() <= wire.MaxBlockSize {
		t.Fatalf("too-big is only %d bytes", big.SerializeSize())
	}
	h.reject("too-big", chain.ErrBlockTooBig)
	g.SetTip("s3")
	if max := g.NextBlock("s4-max-size", []*wire.Tx{under}); max.SerializeSize() > wire.MaxBlockSize {
		t.Fatalf("s4-max-size is %d bytes", max.SerializeSize())
	}
	h.accept("s4-max-size")
	h.expectUTXOs("s4-max-size")

	// Header rules: proof of work, bits, timestamps.
	g.NextBlock("high-hash", nil)
	chaintest.Unsolve(&g.Block("high-hash").Header)
	h.reject("high-hash", chain.ErrHighHash)
	tryOn("s4-max-size", "bits-above-limit", nil, chain.ErrBadBits, func(b *wire.Block) { b.Header.Bits = 0x2100ffff })
	tryOn("s4-max-size", "bits-negative", nil, chain.ErrBadBits, func(b *wire.Block) { b.Header.Bits = 0x20800001 })
	tryOn("s4-max-size", "bits-unexpected", nil, chain.ErrUnexpectedBits, func(b *wire.Block) { b.Header.Bits-- })
	mtp := h.c.Tip().MedianTime
	tryOn("s4-max-size", "time-at-mtp", nil, chain.ErrTimeTooOld, func(b *wire.Block) { b.Header.Timestamp = mtp })
	g.SetTip("s4-max-size")
	g.NextBlock("s5-time-mtp+1", nil, func(b *wire.Block) { b.Header.Timestamp = mtp + 1 })
	h.accept("s5-time-mtp+1")
	h.extend("c", 2)

	// Known blocks: duplicates, invalid ones, and children of invalid ones.
	_, err := h.process("s3")
	h.expectCode("s3 again", err, chain.ErrDuplicateBlock)
	h.reject("bad-signature", chain.ErrKnownInvalid)
	g.SetTip("bad-signature")
	g.NextBlock("child-of-invalid", nil)
	h.reject("child-of-invalid", chain.ErrInvalidAncestor)

	testOrphans(h)
	testMerkleMutation(h, out(4), out(5))
	testSideChainsAndReorgs(h, out(6), out(10))
}

// sizedSpend spends o into n outputs: a block holding only it and a
// coinbase is 404 + 28n bytes.
func sizedSpend(g *chaintest.Generator, o chaintest.SpendableOut, n int) *wire.Tx {
	return g.SpendTx(outs{o}, 0, n)
}

// testOrphans: a child that arrives before its parent waits, then connects.
func testOrphans(h *harness) {
	t, g := h.t, h.g
	t.Helper()
	g.SetTip("c2")
	g.NextBlock("o1", nil)
	g.NextBlock("o2", nil)
	res, err := h.process("o2")
	if err != nil || !res.Orphan {
		t.Fatalf("o2 before its parent: %+v, %v; want orphan", res, err)
	}
	if !h.c.IsOrphan(g.Block("o2").BlockHash()) || h.c.OrphanRoot(g.Block("o2").BlockHash()) != g.Block("o2").BlockHash() {
		t.Fatal("o2 is not reported as an orphan rooted at itself")
	}
	_, err = h.process("o2")
	h.expectCode("o2 again", err, chain.ErrDuplicateBlock)
	if res, err := h.process("o1"); err != nil || !res.MainChain {
		t.Fatalf("o1: %+v, %v", res, err)
	}
	h.expectTip("o2")
	if h.c.IsOrphan(g.Block("o2").BlockHash()) {
		t.Fatal("o2 still in the orphan pool after connecting")
	}
}

// testMerkleMutation: the CVE-2012-2459 trick. A copy of a valid block with
// its last transaction repeated has the same merkle root and id; it must be
// rejected as corrupt data without condemning the genuine block, even when
// the header was already known from headers-first sync.
func testMerkleMutation(h *harness, a, b chaintest.SpendableOut) {
	t, g := h.t, h.g
	t.Helper()
	g.SetTip("o2")
	valid := g.NextBlock("m1", []*wire.Tx{g.SpendTx(outs{a}, 0, 1), g.SpendTx(outs{b}, 0, 1)})
	mutated := &wire.Block{Header: valid.Header, Transactions: append(append([]*wire.Tx{}, valid.Transactions...), valid.Transactions[2])}
	if mutated.BlockHash() != valid.BlockHash() {
		t.Fatal("mutated block has another id")
	}
	if err := h.c.ProcessHeaders([]wire.BlockHeader{valid.Header}); err != nil {
		t.Fatalf("header of m1: %v", err)
	}
	if best := h.c.BestHeader(); best.Hash != valid.BlockHash() || best.HaveData {
		t.Fatalf("best header %s (have data %v), want m1 without data", best.Hash, best.HaveData)
	}
	_, err := h.c.ProcessBlock(mutated)
	h.expectCode("mutated m1", err, chain.ErrDuplicateTx)
	corrupt := &wire.Block{Header: valid.Header, Transactions: valid.Transactions[:2]}
	_, err = h.c.ProcessBlock(corrupt)
	h.expectCode("m1 missing a tx", err, chain.ErrBadMerkleRoot)
	h.accept("m1")
	h.expectUTXOs("m1")
}

// testSideChainsAndReorgs covers fork choice and reorganisation.
func testSideChainsAndReorgs(h *harness, spendA, spendB chaintest.SpendableOut) {
	t, g := h.t, h.g
	t.Helper()

	// Equal work: the first seen stays; one more block on the side switches.
	g.SetTip("m1")
	g.NextBlock("r1", nil)
	h.accept("r1")
	g.SetTip("m1")
	g.NextBlock("side1", nil)
	h.acceptSide("side1")
	g.NextBlock("side2", nil)
	h.accept("side2")
	h.expectUTXOs("side2")
	g.SetTip("r1")
	g.NextBlock("r2", nil)
	h.acceptSide("r2")
	g.NextBlock("r3", nil)
	h.accept("r3")
	h.expectUTXOs("r3")

	// Outputs of a block that is later disconnected: x1 spends A, x2 spends
	// x1's output. The z branch double-spends A and wins; x's outputs are
	// gone, so spending them on z fails.
	x1tx := g.SpendTx(outs{spendA}, 0, 1)
	g.NextBlock("x1", []*wire.Tx{x1tx})
	h.accept("x1")
	g.NextBlock("x2", []*wire.Tx{g.SpendTx(outs{g.TxOut(x1tx, 0)}, 0, 1)})
	h.accept("x2")
	g.SetTip("r3")
	g.NextBlock("z1", []*wire.Tx{g.SpendTx(outs{spendA}, 100, 1)})
	h.acceptSide("z1")
	g.NextBlock("z2", nil)
	h.acceptSide("z2")
	g.NextBlock("z3", nil)
	h.accept("z3")
	h.expectUTXOs("z3")
	g.NextBlock("spend-disconnected", []*wire.Tx{g.SpendTx(outs{g.TxOut(x1tx, 0)}, 0, 1)})
	h.reject("spend-disconnected", chain.ErrMissingTxOut)

	// More work, less height: three slow blocks (ten minutes apart, so
	// aserti3-2d eases the target) lose to two on schedule.
	g.SetTip("z3")
	slow := func(b *wire.Block) { b.Header.Timestamp += 599 }
	g.NextBlock("l1", nil, slow)
	g.NextBlock("l2", nil, slow)
	g.NextBlock("l3", nil, slow)
	for _, n := range []string{"l1", "l2", "l3"} {
		h.accept(n)
	}
	g.SetTip("z3")
	g.NextBlock("k1", nil)
	h.acceptSide("k1")
	g.NextBlock("k2", nil)
	h.accept("k2")
	k2, _ := h.c.BlockInfoByHash(g.Block("k2").BlockHash())
	l3, _ := h.c.BlockInfoByHash(g.Block("l3").BlockHash())
	if k2.Height >= l3.Height || k2.ChainWork.Cmp(l3.ChainWork) <= 0 {
		t.Fatalf("k2 (height %d, work %v) should be lower than l3 (height %d, work %v) with more work",
			k2.Height, k2.ChainWork, l3.Height, l3.ChainWork)
	}
	h.expectUTXOs("k2")

	// A better branch with an invalid block inside: v2's bad signature only
	// shows when v4 makes the branch worth connecting. The chain tries, marks
	// v2..v4 invalid and returns to n3, the best valid chain.
	h.extend("n", 3)
	h.expectUTXOs("n3")
	bad := g.SpendTx(outs{spendB}, 0, 1)
	bad.Inputs[0].Signature[0] ^= 1
	g.SetTip("k2")
	g.NextBlock("v1", nil)
	g.NextBlock("v2", []*wire.Tx{bad})
	g.NextBlock("v3", nil)
	g.NextBlock("v4", nil)
	for _, n := range []string{"v1", "v2", "v3"} {
		h.acceptSide(n)
	}
	h.reject("v4", chain.ErrInvalidAncestor)
	h.expectTip("n3")
	h.expectUTXOs("n3")
	for _, n := range []string{"v2", "v3", "v4"} {
		if info, _ := h.c.BlockInfoByHash(g.Block(n).BlockHash()); !info.Invalid {
			t.Fatalf("%s is not marked invalid", n)
		}
	}
	if info, _ := h.c.BlockInfoByHash(g.Block("v1").BlockHash()); info.Invalid {
		t.Fatal("v1 is valid but marked invalid")
	}
	g.NextBlock("v5", nil)
	h.reject("v5", chain.ErrInvalidAncestor)

	// The state survives a restart.
	h.reopen()
	h.expectTip("n3")
	h.expectUTXOs("n3")
	h.reject("v4", chain.ErrKnownInvalid)
}

// TestLoneCoinbaseOfMaxSize: a block whose only transaction is its coinbase
// may give that coinbase all of MaxBlockSize but the header and counts:
// 35,706 outputs (zero amounts but the first), exactly 1,000,000 bytes. No
// rule bounds a transaction's output count, so the block is valid, and its
// body, stored and read back, is the block (wire's decoders take it).
func TestLoneCoinbaseOfMaxSize(t *testing.T) {
	h := newHarness(t)
	blk := h.g.NextBlock("lone-coinbase", nil, func(b *wire.Block) {
		outs := make([]wire.TxOut, (wire.MaxBlockSize-wire.HeaderSize-4-12-wire.TxInSize)/wire.TxOutSize)
		outs[0] = b.Transactions[0].Outputs[0]
		b.Transactions[0].Outputs = outs
	})
	if size := blk.SerializeSize(); size != wire.MaxBlockSize {
		t.Fatalf("block is %d bytes, want %d", size, wire.MaxBlockSize)
	}
	h.accept("lone-coinbase")
	h.reopen()
	got, err := h.c.BlockByHash(blk.BlockHash())
	if err != nil || got == nil || got.BlockHash() != blk.BlockHash() || len(got.Transactions[0].Outputs) != 35_706 {
		t.Fatalf("stored body: %v", err)
	}
}
