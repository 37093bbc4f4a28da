package chain_test

import (
	"os"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// openInMemory opens a chain kept in memory with a small write buffer, as
// a simulation's nodes are.
func openInMemory(t *testing.T, params *chain.Params, cache *chain.SigCache) *chain.Chain {
	t.Helper()
	c, err := chain.Open(chain.Config{Params: params, Clock: chaintest.NewClock(genesisTime.Add(24 * time.Hour)),
		InMemory: true, WriteBufferSize: 64 << 10, SigCache: cache})
	if err != nil {
		t.Fatalf("open in memory: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// A chain in memory validates, stores and reorganises like one on disk,
// writes no file (not even the durable-tip record, in the working
// directory), and starts from genesis each time it is opened.
func TestChainInMemory(t *testing.T) {
	t.Chdir(t.TempDir())
	params := chaintest.Params(genesisTime)
	g := chaintest.NewGenerator(t, params)
	c := openInMemory(t, params, nil)
	for _, name := range []string{"a1", "a2", "a3"} {
		g.NextBlock(name, nil)
	}
	g.SetTip("a1")
	for _, name := range []string{"b2", "b3", "b4"} {
		g.NextBlock(name, nil)
	}
	for _, name := range []string{"a1", "a2", "a3", "b2", "b3", "b4"} {
		if _, err := c.ProcessBlock(g.Block(name)); err != nil {
			t.Fatalf("block %s: %v", name, err)
		}
	}
	if tip := c.Tip(); tip.Hash != g.Block("b4").BlockHash() || tip.Height != 4 {
		t.Fatalf("tip %s at %d, want b4 at 4 after the reorganisation", tip.Hash, tip.Height)
	}
	if blk, err := c.BlockByHash(g.Block("a3").BlockHash()); err != nil || blk == nil {
		t.Fatalf("side-chain block a3 not stored: %v", err)
	}
	if err := c.Sync(); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if entries, err := os.ReadDir("."); err != nil || len(entries) != 0 {
		t.Fatalf("working directory holds %v (%v), want nothing", entries, err)
	}
	if again := openInMemory(t, params, nil); again.Tip().Height != 0 {
		t.Fatalf("a new in-memory chain starts at height %d", again.Tip().Height)
	}
	if _, err := chain.Open(chain.Config{Params: params, Clock: chaintest.NewClock(genesisTime)}); err == nil {
		t.Fatal("opened a chain with neither a path nor InMemory")
	}
}

// A shared signature cache keeps what one chain connected, so the other
// chains sharing it find the entry too; a private one forgets it. An entry
// vouches for one transaction only: a block carrying the same spend with a
// broken signature is refused by every chain, whatever the cache holds.
func TestSharedSigCache(t *testing.T) {
	params := chaintest.Params(genesisTime)
	params.CoinbaseMaturity = 1
	g := chaintest.NewGenerator(t, params)
	g.NextBlock("b1", nil)
	g.NextBlock("b2", nil)
	spend := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 1000, 1)
	forged := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 1000, 1)
	forged.Inputs[0].Signature[7] ^= 1
	g.NextBlock("bad", []*wire.Tx{forged})
	g.SetTip("b2")
	g.NextBlock("b3", []*wire.Tx{spend})

	private, shared := chain.NewSigCache(100), chain.NewSharedSigCache(100)
	for _, tc := range []struct {
		name  string
		cache *chain.SigCache
		kept  bool
	}{{"private", private, false}, {"shared", shared, true}} {
		t.Run(tc.name, func(t *testing.T) {
			chains := []*chain.Chain{openInMemory(t, params, tc.cache), openInMemory(t, params, tc.cache)}
			tc.cache.Add(spend.TxID()) // as the first node's pool would
			for i, c := range chains {
				for _, name := range []string{"b1", "b2"} {
					if _, err := c.ProcessBlock(g.Block(name)); err != nil {
						t.Fatalf("chain %d, block %s: %v", i, name, err)
					}
				}
				_, err := c.ProcessBlock(g.Block("bad"))
				if code, _ := chain.ErrorCodeOf(err); code != chain.ErrBadSignature {
					t.Fatalf("chain %d: the forged spend gave %v, want %v", i, err, chain.ErrBadSignature)
				}
				if _, err := c.ProcessBlock(g.Block("b3")); err != nil {
					t.Fatalf("chain %d, block b3: %v", i, err)
				}
				if c.Tip().Hash != g.Block("b3").BlockHash() {
					t.Fatalf("chain %d: tip is not b3", i)
				}
				if kept := tc.cache.Contains(spend.TxID()); kept != tc.kept {
					t.Fatalf("chain %d connected the spend: cache holds it %v, want %v", i, kept, tc.kept)
				}
			}
		})
	}
}
