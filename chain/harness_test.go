package chain_test

import (
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
)

// genesisTime is when test chains start; the clock stays a day later so
// generated timestamps are never in the future.
var genesisTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// harness drives one Chain with blocks from a chaintest.Generator and checks
// the outcome of every step.
type harness struct {
	t     *testing.T
	g     *chaintest.Generator
	c     *chain.Chain
	clock *chaintest.Clock
	cfg   chain.Config
}

func newHarness(t *testing.T) *harness {
	return newHarnessWithParams(t, chaintest.Params(genesisTime))
}

func newHarnessWithParams(t *testing.T, params *chain.Params) *harness {
	t.Helper()
	clock := chaintest.NewClock(genesisTime.Add(24 * time.Hour))
	cfg := chain.Config{Params: params, Path: t.TempDir(), Clock: clock}
	c, err := chain.Open(cfg)
	if err != nil {
		t.Fatalf("open chain: %v", err)
	}
	h := &harness{t: t, g: chaintest.NewGenerator(t, params), c: c, clock: clock, cfg: cfg}
	t.Cleanup(func() { h.c.Close() })
	return h
}

// reopen closes the chain and opens it again from its database.
func (h *harness) reopen() {
	h.t.Helper()
	if err := h.c.Close(); err != nil {
		h.t.Fatalf("close: %v", err)
	}
	c, err := chain.Open(h.cfg)
	if err != nil {
		h.t.Fatalf("reopen: %v", err)
	}
	h.c = c
}

// process submits the named block.
func (h *harness) process(name string) (chain.ProcessResult, error) {
	return h.c.ProcessBlock(h.g.Block(name))
}

// accept submits a block that must be valid and become the tip.
func (h *harness) accept(name string) {
	h.t.Helper()
	res, err := h.process(name)
	if err != nil {
		h.t.Fatalf("block %s: unexpected error: %v", name, err)
	}
	if !res.MainChain || res.Orphan {
		h.t.Fatalf("block %s: result %+v, want main chain", name, res)
	}
	h.expectTip(name)
}

// acceptSide submits a valid block that must stay on a side chain.
func (h *harness) acceptSide(name string) {
	h.t.Helper()
	tip := h.c.Tip().Hash
	res, err := h.process(name)
	if err != nil {
		h.t.Fatalf("block %s: unexpected error: %v", name, err)
	}
	if res.MainChain || res.Orphan {
		h.t.Fatalf("block %s: result %+v, want side chain", name, res)
	}
	if h.c.Tip().Hash != tip {
		h.t.Fatalf("block %s: side block moved the tip", name)
	}
}

// reject submits a block that must fail with code and leave the tip alone.
func (h *harness) reject(name string, code chain.ErrorCode) {
	h.t.Helper()
	tip := h.c.Tip().Hash
	_, err := h.process(name)
	h.expectCode(name, err, code)
	if h.c.Tip().Hash != tip {
		h.t.Fatalf("block %s: rejected block moved the tip", name)
	}
}

func (h *harness) expectCode(what string, err error, code chain.ErrorCode) {
	h.t.Helper()
	got, ok := chain.ErrorCodeOf(err)
	if !ok {
		h.t.Fatalf("%s: error %v, want rule error %v", what, err, code)
	}
	if got != code {
		h.t.Fatalf("%s: error code %v (%v), want %v", what, got, err, code)
	}
}

// expectTip checks that the named block is the tip.
func (h *harness) expectTip(name string) {
	h.t.Helper()
	want := h.g.Block(name).BlockHash()
	if tip := h.c.Tip(); tip.Hash != want {
		h.t.Fatalf("tip is %s at height %d, want %s (%s) at %d", tip.Hash, tip.Height, name, want, h.g.Height(name))
	}
}

// expectUTXOs checks the chain's UTXO set against a from-scratch replay of
// the generated blocks ending at the named block.
func (h *harness) expectUTXOs(name string) {
	h.t.Helper()
	n, total, hash := chaintest.ReplayUTXOSet(h.g.BlocksTo(name)).Info()
	info, err := h.c.UTXOSetInfo()
	if err != nil {
		h.t.Fatalf("UTXOSetInfo: %v", err)
	}
	if info.TxOuts != n || info.TotalAmount != total || info.HashSerialized != hash {
		h.t.Fatalf("UTXO set after %s: %d outputs, %d total, hash %s; replay gives %d, %d, %s",
			name, info.TxOuts, info.TotalAmount, info.HashSerialized, n, total, hash)
	}
}

// extend builds and accepts n empty blocks named prefix1..prefixN.
func (h *harness) extend(prefix string, n int) {
	h.t.Helper()
	for i := 1; i <= n; i++ {
		name := prefix + itoa(i)
		h.g.NextBlock(name, nil)
		h.accept(name)
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
