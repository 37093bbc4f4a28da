package server_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/rpc"
	"powchain/rpc/server"
	"powchain/wire"
)

// txStatsChain is a best chain built for getchaintxstats: its blocks, by
// height from the genesis block's, with irregular timestamps (some
// earlier than their parent's) and 1 to 4 transactions each.
type txStatsChain struct {
	blocks []*wire.Block
}

// buildTxStatsChain builds and connects 16 blocks on e's chain: block h
// spends h%4 of the coinbases matured by then, so blocks hold different
// numbers of transactions; each timestamp is above its parent's median
// time past, as the chain requires.
func buildTxStatsChain(t *testing.T, e *env) txStatsChain {
	t.Helper()
	g := e.miner
	c := txStatsChain{blocks: []*wire.Block{e.params.GenesisBlock}}
	start := e.params.GenesisBlock.Header.Timestamp
	offsets := []int64{3, 4, 9, 5, 10, 12, 12, 13, 20, 14, 21, 22, 30, 31, 29, 33}
	var matured []chaintest.SpendableOut
	for i, off := range offsets {
		h := i + 1
		if h > int(e.params.CoinbaseMaturity) {
			matured = append(matured, g.CoinbaseOut(fmt.Sprintf("t%d", h-int(e.params.CoinbaseMaturity))))
		}
		var txs []*wire.Tx
		for k := 0; k < h%4 && len(matured) > 0; k++ {
			txs = append(txs, g.SpendTx(matured[:1], uint64(1000*(k+1)), 1))
			matured = matured[1:]
		}
		blk := g.NextBlock(fmt.Sprintf("t%d", h), txs, func(b *wire.Block) { b.Header.Timestamp = start + off })
		e.process(blk)
		c.blocks = append(c.blocks, blk)
	}
	return c
}

// txCount is the number of transactions of the chain up to and including
// height, counted from the blocks built.
func (c txStatsChain) txCount(height int) uint64 {
	var n uint64
	for _, b := range c.blocks[:height+1] {
		n += uint64(len(b.Transactions))
	}
	return n
}

// medianTime is the median of the timestamps of the block at height and
// the up to ten before it, computed here from the headers built.
func (c txStatsChain) medianTime(height int) int64 {
	var times []int64
	for h := height; h >= 0 && len(times) < chain.MedianTimeBlocks; h-- {
		times = append(times, c.blocks[h].Header.Timestamp)
	}
	slices.Sort(times)
	return times[len(times)/2]
}

// want is getchaintxstats' answer for the window of n blocks ending at
// height, as Bitcoin Core computes it, from the test's own counts and
// median times.
func (c txStatsChain) want(height, n int) rpc.ChainTxStats {
	last := c.blocks[height]
	w := rpc.ChainTxStats{Time: last.Header.Timestamp, TxCount: c.txCount(height), WindowFinalBlockHash: last.BlockHash().String(),
		WindowFinalBlockHeight: uint64(height), WindowBlockCount: uint64(n)}
	if n > 0 {
		interval, txs := c.medianTime(height)-c.medianTime(height-n), c.txCount(height)-c.txCount(height-n)
		w.WindowInterval, w.WindowTxCount = &interval, &txs
		if interval > 0 {
			rate := float64(txs) / float64(interval)
			w.TxRate = &rate
		}
	}
	return w
}

func sameTxStats(a, b rpc.ChainTxStats) bool {
	eq := func(x, y any) bool { return fmt.Sprint(x) == fmt.Sprint(y) }
	return a.Time == b.Time && a.TxCount == b.TxCount && a.WindowFinalBlockHash == b.WindowFinalBlockHash &&
		a.WindowFinalBlockHeight == b.WindowFinalBlockHeight && a.WindowBlockCount == b.WindowBlockCount &&
		eq(deref(a.WindowInterval), deref(b.WindowInterval)) && eq(deref(a.WindowTxCount), deref(b.WindowTxCount)) &&
		eq(deref(a.TxRate), deref(b.TxRate))
}

// deref is *p, or "absent" for nil.
func deref[T any](p *T) any {
	if p == nil {
		return "absent"
	}
	return *p
}

func showTxStats(s rpc.ChainTxStats) string {
	return fmt.Sprintf("{time %d txcount %d %s height %d blocks %d interval %v txs %v rate %v}", s.Time, s.TxCount,
		s.WindowFinalBlockHash, s.WindowFinalBlockHeight, s.WindowBlockCount, deref(s.WindowInterval), deref(s.WindowTxCount), deref(s.TxRate))
}

// TestGetChainTxStats: every window of every best-chain block, given and
// by default (one month, capped to the block's height - 1), has Bitcoin
// Core's fields as the test computes them from the blocks it built: the
// chain's transactions, the window's and its median-time interval, the
// rate only for an interval above 0, and no interval, count or rate for
// an empty window.
func TestGetChainTxStats(t *testing.T) {
	e := newEnv(t)
	var got rpc.ChainTxStats
	e.must("getchaintxstats", &got)
	if want := (rpc.ChainTxStats{Time: e.params.GenesisBlock.Header.Timestamp, TxCount: 1,
		WindowFinalBlockHash: e.params.GenesisHash.String()}); !sameTxStats(got, want) {
		t.Errorf("at the genesis block: %s, want %s", showTxStats(got), showTxStats(want))
	}
	c := buildTxStatsChain(t, e)
	tip := len(c.blocks) - 1
	sawRate, sawNoRate := false, false
	for h := range c.blocks {
		hash := c.blocks[h].BlockHash().String()
		for n := range max(h, 1) {
			var got rpc.ChainTxStats
			e.must("getchaintxstats", &got, n, hash)
			if want := c.want(h, n); !sameTxStats(got, want) {
				t.Errorf("getchaintxstats %d at height %d: %s, want %s", n, h, showTxStats(got), showTxStats(want))
			}
			sawRate = sawRate || got.TxRate != nil
			sawNoRate = sawNoRate || (n > 0 && got.TxRate == nil)
		}
		// The default window: a month of blocks, here more than the
		// chain holds, so the block's height - 1.
		var got rpc.ChainTxStats
		e.must("getchaintxstats", &got, nil, hash)
		if want := c.want(h, max(h-1, 0)); !sameTxStats(got, want) {
			t.Errorf("getchaintxstats null at height %d: %s, want %s", h, showTxStats(got), showTxStats(want))
		}
	}
	if !sawRate || !sawNoRate {
		t.Errorf("the chain has no window with a rate (%v) or none without (%v): make it irregular", sawRate, sawNoRate)
	}
	for _, params := range [][]any{{}, {nil}, {nil, nil}} {
		var got rpc.ChainTxStats
		e.must("getchaintxstats", &got, params...)
		if want := c.want(tip, tip-1); !sameTxStats(got, want) {
			t.Errorf("getchaintxstats %v: %s, want %s (the tip's default)", params, showTxStats(got), showTxStats(want))
		}
	}
	var got5 rpc.ChainTxStats
	if e.must("getchaintxstats", &got5, 5); !sameTxStats(got5, c.want(tip, 5)) {
		t.Errorf("getchaintxstats 5: %s, want %s", showTxStats(got5), showTxStats(c.want(tip, 5)))
	}
}

// TestGetChainTxStatsDefaultMonth: without nblocks the window is one
// month of blocks at the network's target spacing, as Bitcoin Core's
// (here a day a block: 30 blocks), when the block is high enough.
func TestGetChainTxStatsDefaultMonth(t *testing.T) {
	const day = 24 * 60 * 60
	e := newEnvParams(t, false, func(p *chain.Params) { p.TargetSpacing = day }, func(*server.Server) {}, func(*env, *server.Backend) {})
	e.clock.Set(genesisTime.Add(40 * day * time.Second)) // blocks a day apart are not in the future
	c := txStatsChain{blocks: []*wire.Block{e.params.GenesisBlock}}
	for h := 1; h <= 33; h++ {
		blk := e.miner.NextBlock(fmt.Sprintf("d%d", h), nil)
		e.process(blk)
		c.blocks = append(c.blocks, blk)
	}
	for _, h := range []int{33, 31, 30, 20} {
		var got rpc.ChainTxStats
		e.must("getchaintxstats", &got, nil, c.blocks[h].BlockHash().String())
		if want := c.want(h, min(30, h-1)); !sameTxStats(got, want) {
			t.Errorf("default window at height %d: %s, want %s", h, showTxStats(got), showTxStats(want))
		}
	}
	var got rpc.ChainTxStats
	if e.must("getchaintxstats", &got); got.WindowBlockCount != 30 || *got.WindowInterval != 26*day {
		t.Errorf("the tip's default window: %s, want 30 blocks over 26 days of median time", showTxStats(got))
	}
}

// TestGetChainTxStatsErrors: Bitcoin Core's errors, and the parameter
// errors docs/RPC.md lays down.
func TestGetChainTxStatsErrors(t *testing.T) {
	e := newEnv(t)
	c := buildTxStatsChain(t, e)
	g := e.miner
	g.SetTip("t14")
	side := g.NextBlock("side", nil)
	e.process(side)
	g.SetTip("t16")
	headerOnly := g.NextBlock("header-only", nil)
	if err := e.chain.ProcessHeaders([]wire.BlockHeader{headerOnly.Header}); err != nil {
		t.Fatal(err)
	}
	if e.chain.Tip().Hash != c.blocks[16].BlockHash() {
		t.Fatal("the side block or the header moved the tip")
	}
	block := func(h int) string { return `"` + c.blocks[h].BlockHash().String() + `"` }
	badCount := "Invalid block count: should be between 0 and the block's height - 1"
	checkParamErrors(t, e, []paramCase{
		{"getchaintxstats", `[16]`, rpc.CodeInvalidParameter, badCount},
		{"getchaintxstats", `[15]`, 0, ""},
		{"getchaintxstats", `[1, ` + block(1) + `]`, rpc.CodeInvalidParameter, badCount},
		{"getchaintxstats", `[0, ` + block(1) + `]`, 0, ""},
		{"getchaintxstats", `[1, ` + block(0) + `]`, rpc.CodeInvalidParameter, badCount},
		{"getchaintxstats", `[0, ` + block(0) + `]`, 0, ""},
		{"getchaintxstats", `[5, ` + block(5) + `]`, rpc.CodeInvalidParameter, badCount},
		{"getchaintxstats", `[-1]`, rpc.CodeInvalidParameter, badCount},
		{"getchaintxstats", `[1.5]`, rpc.CodeInvalidParameter, badCount},
		{"getchaintxstats", `[1e30]`, rpc.CodeInvalidParameter, badCount},
		{"getchaintxstats", `["5"]`, rpc.CodeTypeError, "Expected type number for nblocks, got string"},
		{"getchaintxstats", `[true]`, rpc.CodeTypeError, "Expected type number for nblocks, got boolean"},
		{"getchaintxstats", `[1, "` + side.BlockHash().String() + `"]`, rpc.CodeInvalidParameter, "Block is not in main chain"},
		{"getchaintxstats", `[null, "` + side.BlockHash().String() + `"]`, rpc.CodeInvalidParameter, "Block is not in main chain"},
		{"getchaintxstats", `[0, "` + headerOnly.BlockHash().String() + `"]`, rpc.CodeInvalidParameter, "Block is not in main chain"},
		{"getchaintxstats", `[0, "` + wire.Hash{1}.String() + `"]`, rpc.CodeInvalidAddress, "Block not found"},
		// A count out of range for a block that does not exist: the
		// block is looked up first, as Core does.
		{"getchaintxstats", `[99, "` + wire.Hash{1}.String() + `"]`, rpc.CodeInvalidAddress, "Block not found"},
		{"getchaintxstats", `[0, "zz"]`, rpc.CodeInvalidParameter, "blockhash: hash must be 64 hex digits, got 2 characters"},
		{"getchaintxstats", `[0, 5]`, rpc.CodeTypeError, "Expected type string for blockhash, got number"},
		{"getchaintxstats", `[0, null, 1]`, rpc.CodeInvalidParams, "getchaintxstats takes at most 2 parameters, got 3 (usage: getchaintxstats ( nblocks blockhash ))"},
	})
}
