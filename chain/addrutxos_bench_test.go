package chain_test

import (
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// addrBenchOutputs is how many outputs each benchmark address was paid.
const addrBenchOutputs = 10_000

// BenchmarkAddressUtxos measures the address-UTXO query (AddressUtxos,
// behind getaddressutxos and the explorer's address page) for two
// addresses of the same chain, each paid addrBenchOutputs outputs: "spent"
// has since consolidated them a hundred at a time (a long history, about 1%
// of it unspent), "unspent" has spent none. Each iteration asks a chain
// with the address history and a chain without it (the address index, as
// every chain had before format 3) in turn, holding the same blocks, and
// the figures are per query: history_us, index_us and their ratio
// history_over_index, measured in the same run. "fresh" asks the databases
// as the sync left them, the deleted address index keys of spent outputs
// still in LevelDB's tables for its scans to step over; "compacted" asks
// them after a full compaction, as they settle in time.
func BenchmarkAddressUtxos(b *testing.B) {
	params := chaintest.Params(genesisTime)
	params.CoinbaseMaturity = 1
	blocks, spent, unspent := addrBenchChain(b, params)
	with := addrBenchSync(b, params, blocks, func(c chain.Config) chain.Config { return c })
	without := addrBenchSync(b, params, blocks, chain.WithoutAddressHistory)
	for _, db := range []string{"fresh", "compacted"} {
		if db == "compacted" {
			for _, c := range []*chain.Chain{with, without} {
				if err := c.CompactForBenchmark(); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.Run(db, func(b *testing.B) { benchAddressUtxos(b, with, without, spent, unspent) })
	}
}

func benchAddressUtxos(b *testing.B, with, without *chain.Chain, spent, unspent wire.KeyHash) {
	for _, shape := range []struct {
		name string
		kh   wire.KeyHash
	}{{"spent", spent}, {"unspent", unspent}} {
		b.Run(shape.name, func(b *testing.B) {
			var took [2]time.Duration
			var found [2]int
			for b.Loop() {
				for i, c := range []*chain.Chain{with, without} {
					start := time.Now()
					utxos, err := c.AddressUtxos(shape.kh)
					took[i] += time.Since(start)
					if err != nil {
						b.Fatal(err)
					}
					found[i] = len(utxos)
				}
			}
			if found[0] != found[1] {
				b.Fatalf("%d unspent outputs with the history, %d without", found[0], found[1])
			}
			b.ReportMetric(float64(found[0]), "utxos")
			b.ReportMetric(float64(took[0].Microseconds())/float64(b.N), "history_us")
			b.ReportMetric(float64(took[1].Microseconds())/float64(b.N), "index_us")
			b.ReportMetric(float64(took[0])/float64(took[1]), "history_over_index")
		})
	}
}

// addrBenchChain builds the benchmark's blocks (genesis excluded) and
// returns them with the two addresses' key hashes.
func addrBenchChain(b *testing.B, params *chain.Params) (blocks []*wire.Block, spent, unspent wire.KeyHash) {
	g := chaintest.NewGenerator(b, params)
	g.NextBlock("b1", nil)
	g.NextBlock("b2", nil)
	spent, unspent = g.KeyHash(), wire.HashPubKey(wire.XOnlyPubKey(chaintest.Key(1)))
	fan := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 0, addrBenchOutputs)
	kept := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b2")}, 0, addrBenchOutputs)
	for i := range kept.Outputs {
		kept.Outputs[i].KeyHash = unspent
	}
	g.Sign(kept, chaintest.Key(0))
	g.NextBlock("fans", []*wire.Tx{fan, kept})
	const perTx, perBlock = 100, 25
	var txs []*wire.Tx
	for i := 0; i < addrBenchOutputs; i += perTx {
		ins := make([]chaintest.SpendableOut, perTx)
		for j := range ins {
			ins[j] = g.TxOut(fan, uint32(i+j))
		}
		txs = append(txs, g.SpendTx(ins, 0, 1))
		if len(txs) == perBlock {
			g.NextBlock("c"+itoa(i), txs)
			txs = nil
		}
	}
	return g.BlocksTo(g.TipName())[1:], spent, unspent
}

// addrBenchSync opens a fresh chain configured by cfg (closed when the
// benchmark ends) and connects blocks, their signatures vouched for in the
// signature cache.
func addrBenchSync(b *testing.B, params *chain.Params, blocks []*wire.Block, cfg func(chain.Config) chain.Config) *chain.Chain {
	cache := chain.NewSigCache(1 << 12)
	c, err := chain.Open(cfg(chain.Config{Params: params, Path: b.TempDir(), SigCache: cache,
		Clock: chaintest.NewClock(genesisTime.Add(24 * time.Hour))}))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	for _, blk := range blocks {
		for _, tx := range blk.Transactions {
			cache.Add(tx.TxID())
		}
		if _, err := c.ProcessBlock(blk); err != nil {
			b.Fatal(err)
		}
	}
	if c.Tip().Hash != blocks[len(blocks)-1].BlockHash() {
		b.Fatal("the chain did not connect the benchmark's blocks")
	}
	return c
}
