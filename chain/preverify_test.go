package chain_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// preverifyChain is a chain with a SigCache and pre-verification on, and
// a generator whose tip has lanes outputs to spend, one per lane.
type preverifyChain struct {
	t     *testing.T
	c     *chain.Chain
	cache *chain.SigCache
	g     *chaintest.Generator
	lanes []chaintest.SpendableOut
	n     int // blocks built
}

func newPreverifyChain(t *testing.T, lanes int, mod func(*chain.Config)) *preverifyChain {
	t.Helper()
	params := chaintest.Params(genesisTime)
	params.CoinbaseMaturity = 1
	cache := chain.NewSigCache(10_000)
	cfg := chain.Config{Params: params, Path: t.TempDir(), Clock: chaintest.NewClock(genesisTime.Add(24 * time.Hour)),
		SigCache: cache, SigWorkers: 2}
	if mod != nil {
		mod(&cfg)
	}
	c, err := chain.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	p := &preverifyChain{t: t, c: c, cache: cache, g: chaintest.NewGenerator(t, params)}
	p.process(p.g.NextBlock("b1", nil))
	fan := p.g.SpendTx([]chaintest.SpendableOut{p.g.CoinbaseOut("b1")}, 0, lanes)
	p.process(p.g.NextBlock("fan", []*wire.Tx{fan}))
	for i := range lanes {
		p.lanes = append(p.lanes, p.g.TxOut(fan, uint32(i)))
	}
	return p
}

// next builds a block spending every lane once.
func (p *preverifyChain) next(mungers ...chaintest.Munger) *wire.Block {
	txs := make([]*wire.Tx, len(p.lanes))
	for i := range txs {
		txs[i] = p.g.SpendTx([]chaintest.SpendableOut{p.lanes[i]}, 10, 1)
		p.lanes[i] = p.g.TxOut(txs[i], 0)
	}
	p.n++
	return p.g.NextBlock(fmt.Sprintf("n%d", p.n), txs, mungers...)
}

func (p *preverifyChain) process(blk *wire.Block) {
	p.t.Helper()
	res, err := p.c.ProcessBlock(blk)
	if err != nil || !res.MainChain {
		p.t.Fatalf("block %s: %+v, %v", blk.BlockHash(), res, err)
	}
}

// cached counts blk's transactions the SigCache holds.
func (p *preverifyChain) cached(blk *wire.Block) int {
	n := 0
	for _, id := range blk.TxIDs() {
		if p.cache.Contains(id) {
			n++
		}
	}
	return n
}

// waitCached waits until the SigCache holds want of blk's transactions.
func (p *preverifyChain) waitCached(blk *wire.Block, want int) {
	p.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for p.cached(blk) != want {
		if time.Now().After(deadline) {
			p.t.Fatalf("%d of the block's transactions cached, want %d", p.cached(blk), want)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestPreverifyFillsCacheAndConnectHitsIt: a pre-verified block's
// transactions land in the SigCache, and connecting it checks no signature
// again; a block connected without it checks each once (the counter
// counts).
func TestPreverifyFillsCacheAndConnectHitsIt(t *testing.T) {
	const lanes = 30
	p := newPreverifyChain(t, lanes, nil)
	blk := p.next()
	before := p.c.SignatureChecks()
	if !p.c.Preverify(blk) {
		t.Fatal("Preverify refused a valid block")
	}
	p.waitCached(blk, lanes)
	if got := p.c.SignatureChecks() - before; got != lanes {
		t.Fatalf("pre-verification checked %d transactions, want %d", got, lanes)
	}
	p.process(blk)
	if got := p.c.SignatureChecks() - before; got != lanes {
		t.Fatalf("connecting a pre-verified block checked %d more transactions", got-lanes)
	}
	if n := p.cached(blk); n != 0 {
		t.Fatalf("%d transactions of the connected block still cached", n)
	}

	plain := p.next()
	before = p.c.SignatureChecks()
	p.process(plain)
	if got := p.c.SignatureChecks() - before; got != lanes {
		t.Fatalf("connecting a block without pre-verification checked %d transactions, want %d", got, lanes)
	}
}

// TestPreverifyJoinChecksEachOnce: a block handed to Preverify and
// connected at once is finished by the connection together with the
// workers, whatever the timing, and no transaction is checked twice.
func TestPreverifyJoinChecksEachOnce(t *testing.T) {
	const lanes = 40
	p := newPreverifyChain(t, lanes, nil)
	for range 4 {
		blk := p.next()
		before := p.c.SignatureChecks()
		if !p.c.Preverify(blk) {
			t.Fatal("Preverify refused a valid block")
		}
		p.process(blk)
		if got := p.c.SignatureChecks() - before; got != lanes {
			t.Fatalf("%d signature checks for a block of %d transactions", got, lanes)
		}
	}
}

// TestPreverifyRefuses: nothing is queued, and no signature checked, for a
// block whose proof of work or merkle root is wrong, twice for the same
// block, for more transactions than the SigCache has room for, or with
// pre-verification off.
func TestPreverifyRefuses(t *testing.T) {
	const lanes = 8
	refused := func(what string, mod func(*chain.Config), blk func(p *preverifyChain) *wire.Block) {
		t.Helper()
		p := newPreverifyChain(t, lanes, mod)
		before := p.c.SignatureChecks()
		if p.c.Preverify(blk(p)) {
			t.Errorf("%s: queued", what)
		}
		if got := p.c.SignatureChecks() - before; got != 0 {
			t.Errorf("%s: %d signature checks", what, got)
		}
	}
	refused("block below its proof of work", nil, func(p *preverifyChain) *wire.Block {
		blk := p.next()
		chaintest.Unsolve(&blk.Header)
		return blk
	})
	refused("transactions that do not match the merkle root", nil, func(p *preverifyChain) *wire.Block {
		return p.next(func(b *wire.Block) { b.Header.MerkleRoot[0] ^= 1 })
	})
	refused("pre-verification off", func(cfg *chain.Config) { cfg.PreverifyBlocks = -1 }, func(p *preverifyChain) *wire.Block {
		return p.next()
	})
	refused("no SigCache", func(cfg *chain.Config) { cfg.SigCache = nil }, func(p *preverifyChain) *wire.Block {
		return p.next()
	})

	// A SigCache with room for one block's results: the second block is
	// refused whether the first is still running or done (its results
	// stay cached until it connects).
	tight := newPreverifyChain(t, lanes, func(cfg *chain.Config) { cfg.SigCache = chain.NewSigCache(lanes + 2) })
	first, second := tight.next(), tight.next()
	if !tight.c.Preverify(first) {
		t.Fatal("Preverify refused a block the cache has room for")
	}
	if tight.c.Preverify(first) {
		t.Error("block queued twice")
	}
	if tight.c.Preverify(second) {
		t.Error("block queued beyond the SigCache's room")
	}
}

// TestPreverifyBadSignature: a block with bad signatures is pre-verified,
// its good transactions cached and its bad ones not, and connecting it
// fails on the first bad transaction, as without pre-verification.
func TestPreverifyBadSignature(t *testing.T) {
	const lanes = 8
	p := newPreverifyChain(t, lanes, nil)
	bad := p.next(func(b *wire.Block) {
		for _, i := range []int{3, 6} {
			b.Transactions[i].Inputs[0].Signature[5] ^= 1
		}
	})
	if !p.c.Preverify(bad) {
		t.Fatal("Preverify refused a well-formed block")
	}
	p.waitCached(bad, lanes-2)
	_, err := p.c.ProcessBlock(bad)
	if code, _ := chain.ErrorCodeOf(err); code != chain.ErrBadSignature || !strings.Contains(err.Error(), bad.Transactions[3].TxID().String()) {
		t.Fatalf("pre-verified block with bad signatures: %v, want %v for transaction 3", err, chain.ErrBadSignature)
	}
}

// TestPreverifyStopsOnClose: Close returns with blocks still queued (the
// workers stop claiming), and nothing is queued after it.
func TestPreverifyStopsOnClose(t *testing.T) {
	const lanes = 50
	p := newPreverifyChain(t, lanes, func(cfg *chain.Config) { cfg.SigWorkers = 1 })
	var blocks []*wire.Block
	for range 3 {
		blocks = append(blocks, p.next())
	}
	for _, b := range blocks {
		if !p.c.Preverify(b) {
			t.Fatal("Preverify refused a valid block")
		}
	}
	if err := p.c.Close(); err != nil {
		t.Fatal(err)
	}
	if p.c.Preverify(p.next()) {
		t.Error("Preverify queued a block after Close")
	}
}
