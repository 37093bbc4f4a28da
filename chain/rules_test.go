package chain_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// TestTimeTooNew: a timestamp more than two hours ahead of the clock is
// refused, but not for ever: the same block is accepted once the clock has
// caught up. Exactly two hours ahead is fine.
func TestTimeTooNew(t *testing.T) {
	h := newHarness(t)
	h.extend("b", 2)
	limit := h.clock.Now().Add(chain.MaxFutureBlockTime).Unix()
	h.g.NextBlock("future", nil, func(b *wire.Block) { b.Header.Timestamp = limit + 1 })
	h.reject("future", chain.ErrTimeTooNew)
	if info, ok := h.c.BlockInfoByHash(h.g.Block("future").BlockHash()); ok && info.Invalid {
		t.Fatal("a block that is merely early was marked invalid")
	}
	h.clock.Advance(time.Second)
	h.accept("future")

	h.g.NextBlock("at-limit", nil, func(b *wire.Block) {
		b.Header.Timestamp = h.clock.Now().Add(chain.MaxFutureBlockTime).Unix()
	})
	h.accept("at-limit")
}

// TestSubsidyHalving: the coinbase may claim the subsidy of its height,
// which halves every SubsidyHalvingInterval blocks, and not a unit more.
func TestSubsidyHalving(t *testing.T) {
	params := chaintest.Params(genesisTime)
	params.SubsidyHalvingInterval = 5
	h := newHarnessWithParams(t, params)
	h.extend("b", 4) // heights 1..4 at the full subsidy
	full := params.InitialSubsidy
	if got := h.g.Block("b4").Transactions[0].Outputs[0].Amount; got != full {
		t.Fatalf("b4 coinbase %d, want %d", got, full)
	}
	h.g.NextBlock("pre-halving-claim", nil, func(b *wire.Block) { b.Transactions[0].Outputs[0].Amount = full })
	h.reject("pre-halving-claim", chain.ErrBadCoinbaseValue)
	h.g.SetTip("b4")
	h.g.NextBlock("b5", nil)
	h.accept("b5")
	if got := h.g.Block("b5").Transactions[0].Outputs[0].Amount; got != full/2 {
		t.Fatalf("b5 coinbase %d, want %d", got, full/2)
	}
}

func TestCalcBlockSubsidy(t *testing.T) {
	p := chain.MainParams()
	for _, tc := range []struct {
		height uint64
		want   uint64
	}{
		{0, 50 * wire.CoinValue},
		{209_999, 50 * wire.CoinValue},
		{210_000, 25 * wire.CoinValue},
		{420_000, 1_250_000_000},
		{210_000 * 33, 0}, // 50 coins >> 33 rounds to zero
		{210_000 * 64, 0}, // the shift would wrap without the guard
		{1<<64 - 1, 0},
	} {
		if got := p.CalcBlockSubsidy(tc.height); got != tc.want {
			t.Errorf("subsidy at %d = %d, want %d", tc.height, got, tc.want)
		}
	}
	var total uint64
	for h := uint64(0); p.CalcBlockSubsidy(h) > 0; h += p.SubsidyHalvingInterval {
		total += p.CalcBlockSubsidy(h) * p.SubsidyHalvingInterval
	}
	if total > wire.MaxMoney {
		t.Fatalf("total supply %d exceeds MaxMoney %d", total, uint64(wire.MaxMoney))
	}
}

// TestMedianTimePast: the median of the previous eleven timestamps, not the
// parent's timestamp, bounds the next one from below, so timestamps may go
// backwards as long as they stay above the median.
func TestMedianTimePast(t *testing.T) {
	h := newHarness(t)
	base := genesisTime.Unix()
	offsets := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30, 12, 31, 32}
	for i, off := range offsets {
		name := "t" + itoa(i+1)
		h.g.NextBlock(name, nil, func(b *wire.Block) { b.Header.Timestamp = base + off })
		h.accept(name)
	}
	// The last eleven are 4..10, 30, 12, 31, 32; sorted, the sixth is 9.
	if mtp := h.c.Tip().MedianTime; mtp != base+9 {
		t.Fatalf("median time past %+d, want +9", mtp-base)
	}
	h.g.NextBlock("at-median", nil, func(b *wire.Block) { b.Header.Timestamp = base + 9 })
	h.reject("at-median", chain.ErrTimeTooOld)
	h.g.SetTip("t14")
	h.g.NextBlock("above-median", nil, func(b *wire.Block) { b.Header.Timestamp = base + 10 })
	h.accept("above-median")
}

// TestProcessHeaders: headers-first sync. Headers are validated and indexed
// without bodies; bodies then arrive in any order (as from parallel
// downloads) and the tip advances only along complete chains of data.
func TestProcessHeaders(t *testing.T) {
	h := newHarness(t)
	g := h.g
	var headers []wire.BlockHeader
	for i := 1; i <= 20; i++ {
		headers = append(headers, g.NextBlock("b"+itoa(i), nil).Header)
	}
	if err := h.c.ProcessHeaders(headers); err != nil {
		t.Fatalf("ProcessHeaders: %v", err)
	}
	if best := h.c.BestHeader(); best.Height != 20 || best.HaveData {
		t.Fatalf("best header at %d (data %v), want 20 without data", best.Height, best.HaveData)
	}
	if h.c.Tip().Height != 0 {
		t.Fatal("headers alone moved the tip")
	}
	if tip, best := h.c.Heights(); tip != 0 || best != 20 {
		t.Fatalf("Heights %d, %d; want 0, 20", tip, best)
	}
	if err := h.c.ProcessHeaders(headers[:5]); err != nil {
		t.Fatalf("known headers again: %v", err)
	}
	for i := 20; i >= 2; i-- {
		res, err := h.process("b" + itoa(i))
		if err != nil || res.Orphan || res.MainChain {
			t.Fatalf("body b%d before b1: %+v, %v", i, res, err)
		}
	}
	if h.c.Tip().Height != 0 {
		t.Fatal("tip moved without block 1's body")
	}
	h.process("b1")
	h.expectTip("b20")
	h.expectUTXOs("b20")
	if tip, best := h.c.Heights(); tip != 20 || best != 20 {
		t.Fatalf("Heights %d, %d; want 20, 20", tip, best)
	}

	// Bad headers are refused with the rule they break, and the good ones
	// before a bad one are kept.
	g.SetTip("b20")
	good := g.NextBlock("h21", nil).Header
	bad := []struct {
		name string
		m    chaintest.Munger
		code chain.ErrorCode
	}{
		{"h-bits", func(b *wire.Block) { b.Header.Bits-- }, chain.ErrUnexpectedBits},
		{"h-old", func(b *wire.Block) { b.Header.Timestamp = genesisTime.Unix() }, chain.ErrTimeTooOld},
		{"h-future", func(b *wire.Block) { b.Header.Timestamp = h.clock.Now().Unix() + 3*3600 }, chain.ErrTimeTooNew},
		{"h-limit", func(b *wire.Block) { b.Header.Bits = 0x2100ffff }, chain.ErrBadBits},
	}
	for _, tc := range bad {
		g.SetTip("h21")
		hdr := g.NextBlock(tc.name, nil, tc.m).Header
		h.expectCode(tc.name, h.c.ProcessHeaders([]wire.BlockHeader{good, hdr}), tc.code)
	}
	if best := h.c.BestHeader(); best.Hash != good.BlockHash() {
		t.Fatalf("best header %s, want h21 (kept before the bad one)", best.Hash)
	}
	g.SetTip("h21")
	high := g.NextBlock("h-high", nil).Header
	chaintest.Unsolve(&high)
	h.expectCode("h-high", h.c.ProcessHeaders([]wire.BlockHeader{high}), chain.ErrHighHash)

	unknown := good
	unknown.PrevBlock[0] ^= 1
	if err := h.c.ProcessHeaders([]wire.BlockHeader{unknown}); !errors.Is(err, chain.ErrUnknownParent) {
		t.Fatalf("disconnected header: %v, want ErrUnknownParent", err)
	}

	// Headers of an invalid block and of its children.
	g.SetTip("h21")
	bad22 := g.NextBlock("bad22", nil, func(b *wire.Block) { b.Transactions[0].Outputs[0].Amount++ })
	g.NextBlock("after-bad22", nil)
	h.process("h21")
	h.reject("bad22", chain.ErrBadCoinbaseValue)
	h.expectCode("bad22 header", h.c.ProcessHeaders([]wire.BlockHeader{bad22.Header}), chain.ErrKnownInvalid)
	h.expectCode("after-bad22 header", h.c.ProcessHeaders([]wire.BlockHeader{g.Block("after-bad22").Header}), chain.ErrInvalidAncestor)
}

// TestGenesisBlocks: each network's genesis block is well formed, meets its
// own target and keeps its id (any change to the encoding would move it).
func TestGenesisBlocks(t *testing.T) {
	for _, tc := range []struct {
		params *chain.Params
		id     string
	}{
		{chain.LocalParams(), localGenesisID},
		{chain.MainParams(), mainGenesisID},
		{chain.RegtestParams(), regtestGenesisID},
	} {
		p := tc.params
		g := p.GenesisBlock
		if p.GenesisHash.String() != tc.id {
			t.Errorf("%s genesis id %s, want %s", p.Name, p.GenesisHash, tc.id)
		}
		if err := chain.CheckBlockSanity(g, p, time.Unix(g.Header.Timestamp, 0)); err != nil {
			t.Errorf("%s genesis: %v", p.Name, err)
		}
		if g.Header.Bits != p.PowLimitBits || !g.Header.PrevBlock.IsZero() {
			t.Errorf("%s genesis header %+v", p.Name, g.Header)
		}
		if data, ok := g.Transactions[0].Coinbase(); !ok || data.Height != 0 {
			t.Errorf("%s genesis coinbase %+v", p.Name, data)
		}
		byName, err := chain.ParamsForNetwork(p.Name)
		if err != nil || byName.GenesisHash != p.GenesisHash {
			t.Errorf("ParamsForNetwork(%q): %v", p.Name, err)
		}
	}
	if _, err := chain.ParamsForNetwork("nope"); err == nil {
		t.Error("unknown network accepted")
	}
}

const (
	localGenesisID   = "0000133f6e4127d51fc08dc146960688b1c143788a5c2d9e6be5ebfc7a88de88"
	regtestGenesisID = "7b61ea8fe0a0a98dae602563ac57450368bc020f6a14088f224544b6aba8152e"
	mainGenesisID    = "00000000d14bcd4dc6387214be6bb841ae822df808c67eed57de72b1c3dd93a9"
)

// TestDuplicateInputs: a transaction spending one outpoint twice is refused
// at the second spend, naming it, whether it has few inputs (compared
// pairwise) or many (a set); distinct inputs pass either way.
func TestDuplicateInputs(t *testing.T) {
	for _, n := range []int{2, 16, 17, 40} {
		for _, dup := range []struct{ first, second int }{{0, 1}, {0, n - 1}, {n - 2, n - 1}} {
			if dup.first == dup.second {
				continue
			}
			tx := &wire.Tx{Outputs: []wire.TxOut{{Amount: 1}}}
			for i := range n {
				tx.Inputs = append(tx.Inputs, wire.TxIn{PrevOut: wire.OutPoint{TxID: wire.Hash{1}, Index: uint32(i)}})
			}
			if err := chain.CheckTransactionSanity(tx); err != nil {
				t.Fatalf("%d distinct inputs: %v", n, err)
			}
			tx.Inputs[dup.second].PrevOut = tx.Inputs[dup.first].PrevOut
			err := chain.CheckTransactionSanity(tx)
			if code, _ := chain.ErrorCodeOf(err); code != chain.ErrDuplicateTxInputs {
				t.Fatalf("%d inputs, %d spent again by %d: %v, want %v", n, dup.first, dup.second, err, chain.ErrDuplicateTxInputs)
			}
			want := fmt.Sprintf("input %d spends %s:%d a second time", dup.second, wire.Hash{1}, dup.first)
			if err.Error() != want {
				t.Errorf("%d inputs: %q, want %q", n, err, want)
			}
		}
	}
}

// TestEmptyBodyIsCorruptData: a block with no transactions under the
// header of a genuine block does not match the header's merkle root: it is
// refused as corrupt data, and the header, known from headers-first sync,
// is not condemned, so the genuine block connects after it.
func TestEmptyBodyIsCorruptData(t *testing.T) {
	h := newHarness(t)
	h.extend("b", 2)
	valid := h.g.NextBlock("b3", nil)
	if err := h.c.ProcessHeaders([]wire.BlockHeader{valid.Header}); err != nil {
		t.Fatal(err)
	}
	_, err := h.c.ProcessBlock(&wire.Block{Header: valid.Header})
	h.expectCode("b3 without transactions", err, chain.ErrBadMerkleRoot)
	if info, _ := h.c.BlockInfoByHash(valid.BlockHash()); info.Invalid {
		t.Fatal("the genuine block's header was marked invalid")
	}
	h.accept("b3")
}

// TestDuplicateTxids: a block that lists one transaction twice, apart (no
// merkle mutation: the header's root is of all four ids), is refused with
// ErrDuplicateTx, naming the transaction, before its inputs are looked at;
// the block with it once is accepted.
func TestDuplicateTxids(t *testing.T) {
	h := newHarness(t)
	h.extend("b", 12)
	a := h.g.SpendTx(outs{h.g.CoinbaseOut("b1")}, 0, 1)
	b := h.g.SpendTx(outs{h.g.CoinbaseOut("b2")}, 0, 1)
	h.g.NextBlock("dup-apart", []*wire.Tx{a, b, a})
	_, err := h.process("dup-apart")
	h.expectCode("dup-apart", err, chain.ErrDuplicateTx)
	if want := fmt.Sprintf("transaction %s appears twice", a.TxID()); err.Error() != want {
		t.Fatalf("dup-apart: %q, want %q", err, want)
	}
	h.g.SetTip("b12")
	h.g.NextBlock("b13", []*wire.Tx{a, b})
	h.accept("b13")
}
