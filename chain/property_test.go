package chain_test

import (
	"fmt"
	"math/big"
	"os"
	"testing"

	"pgregory.net/rapid"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// TestPropertyReorgsMatchReplay: random block trees (random parents, random
// spends, random timestamps and so random work, some invalid blocks)
// submitted one block at a time. After every step the tip is the model's
// best valid block (most work, first seen on ties) and the UTXO set, and
// each key hash's unspent outputs (AddressUtxos), equal a from-scratch
// replay of the best chain, however many connects and disconnects led there.
func TestPropertyReorgsMatchReplay(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) { runChainModel(rt, false) })
}

// TestPropertyReorgsMatchReplayAcrossReopen: the same, with the chain
// closed and reopened from its database after every step.
func TestPropertyReorgsMatchReplayAcrossReopen(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) { runChainModel(rt, true) })
}

// The property tests are about UTXO bookkeeping across reorgs, not about
// signatures (TestFullBlocks covers those), so the generator's transactions
// go into the chain's signature cache, as mempool admission would put them:
// it keeps the many runs affordable under the race detector.

// chainModel is what the test knows independently of the Chain.
type chainModel struct {
	g       *chaintest.Generator
	cache   *chain.SigCache
	names   []string            // submitted blocks whose ancestry is all valid, in order
	work    map[string]*big.Int // cumulative work
	invalid map[string]bool     // blocks that are invalid or build on one
}

func runChainModel(rt *rapid.T, reopen bool) {
	params := chaintest.Params(genesisTime)
	params.CoinbaseMaturity = 1 // lots of spendable outputs in short chains
	dir, err := os.MkdirTemp("", "chainmodel")
	if err != nil {
		rt.Fatalf("%v", err)
	}
	defer os.RemoveAll(dir)
	cache := chain.NewSigCache(1 << 16)
	cfg := chain.Config{Params: params, Path: dir, Clock: chaintest.NewClock(genesisTime.AddDate(0, 1, 0)), SigCache: cache}
	c, err := chain.Open(cfg)
	if err != nil {
		rt.Fatalf("open: %v", err)
	}
	defer func() { c.Close() }()
	m := &chainModel{
		g:       chaintest.NewGenerator(rt, params),
		cache:   cache,
		names:   []string{"genesis"},
		work:    map[string]*big.Int{"genesis": blockWork(params.GenesisBlock)},
		invalid: map[string]bool{},
	}
	steps := rapid.IntRange(1, 30).Draw(rt, "steps")
	for step := range steps {
		name := m.newBlock(rt, step)
		_, err := c.ProcessBlock(m.g.Block(name))
		if _, isRule := chain.ErrorCodeOf(err); err != nil && !isRule {
			rt.Fatalf("%s: %v", name, err)
		}
		if err != nil && !m.invalid[name] {
			rt.Fatalf("valid block %s rejected: %v", name, err)
		}
		if reopen {
			if err := c.Close(); err != nil {
				rt.Fatalf("close: %v", err)
			}
			if c, err = chain.Open(cfg); err != nil {
				rt.Fatalf("reopen: %v", err)
			}
		}
		m.check(rt, c)
	}
}

// newBlock builds a random block on a random valid block and records it.
func (m *chainModel) newBlock(rt *rapid.T, step int) string {
	g := m.g
	parent := m.names[len(m.names)-1-rapid.IntRange(0, min(3, len(m.names)-1)).Draw(rt, "parent")]
	name := fmt.Sprintf("n%d", step)
	g.SetTip(parent)
	txs := m.randomSpends(rt, parent)
	delay := int64(rapid.IntRange(0, 3).Draw(rt, "delay"))
	breakIt := rapid.IntRange(0, 9).Draw(rt, "invalid") == 0
	blk := g.NextBlock(name, txs, func(b *wire.Block) {
		b.Header.Timestamp += delay
		if breakIt {
			b.Transactions[0].Outputs[0].Amount++
		}
	})
	m.work[name] = new(big.Int).Add(m.work[parent], blockWork(blk))
	if breakIt {
		m.invalid[name] = true
	} else {
		m.names = append(m.names, name)
	}
	return name
}

// randomSpends spends up to two random outputs of the parent's UTXO set,
// sometimes chaining a second transaction on the first within the block.
// The transactions' signatures are vouched for in the chain's cache.
func (m *chainModel) randomSpends(rt *rapid.T, parent string) []*wire.Tx {
	ours := m.g.KeyHash()
	var spendable []chaintest.SpendableOut
	height := m.g.Height(parent) + 1
	for op, e := range chaintest.ReplayUTXOSet(m.g.BlocksTo(parent)) {
		if e.KeyHash == ours && (!e.Coinbase || height-e.Height >= m.g.Params().CoinbaseMaturity) {
			spendable = append(spendable, chaintest.SpendableOut{OutPoint: op, Amount: e.Amount, Key: chaintest.Key(0)})
		}
	}
	// Map order is random: sort for reproducible draws.
	sortOuts(spendable)
	var txs []*wire.Tx
	for range rapid.IntRange(0, min(2, len(spendable))).Draw(rt, "spends") {
		i := rapid.IntRange(0, len(spendable)-1).Draw(rt, "out")
		o := spendable[i]
		spendable = append(spendable[:i], spendable[i+1:]...)
		tx := m.g.SpendTx([]chaintest.SpendableOut{o}, min(o.Amount, 100), rapid.IntRange(1, 3).Draw(rt, "outputs"))
		txs = append(txs, tx)
		if rapid.Bool().Draw(rt, "chain") {
			txs = append(txs, m.g.SpendTx([]chaintest.SpendableOut{m.g.TxOut(tx, 0)}, 0, 1))
		}
	}
	for _, tx := range txs {
		m.cache.Add(tx.TxID())
	}
	return txs
}

func sortOuts(outs []chaintest.SpendableOut) {
	for i := 1; i < len(outs); i++ {
		for j := i; j > 0 && lessOutPoint(outs[j].OutPoint, outs[j-1].OutPoint); j-- {
			outs[j], outs[j-1] = outs[j-1], outs[j]
		}
	}
}

func lessOutPoint(a, b wire.OutPoint) bool {
	if a.TxID != b.TxID {
		return a.TxID.String() < b.TxID.String()
	}
	return a.Index < b.Index
}

// check compares the chain with the model.
func (m *chainModel) check(rt *rapid.T, c *chain.Chain) {
	best := m.names[0]
	for _, n := range m.names[1:] {
		if m.work[n].Cmp(m.work[best]) > 0 { // strictly more: the earlier wins ties
			best = n
		}
	}
	if got := c.Tip().Hash; got != m.g.Block(best).BlockHash() {
		rt.Fatalf("tip %s, model's best is %s (work %v)", got, best, m.work[best])
	}
	n, total, hash := chaintest.ReplayUTXOSet(m.g.BlocksTo(best)).Info()
	info, err := c.UTXOSetInfo()
	if err != nil {
		rt.Fatalf("UTXOSetInfo: %v", err)
	}
	if info.TxOuts != n || info.TotalAmount != total || info.HashSerialized != hash {
		rt.Fatalf("UTXO set %d/%d/%s, replay of %s gives %d/%d/%s", info.TxOuts, info.TotalAmount, info.HashSerialized, best, n, total, hash)
	}
	for kh, want := range unspentByKeyHash(m.g.BlocksTo(best)) {
		expectAddressUtxos(rt, c, kh, want, "after "+best)
	}
}

func blockWork(b *wire.Block) *big.Int {
	return chain.CalcWork(chain.CompactToBig(b.Header.Bits))
}
