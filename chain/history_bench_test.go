package chain_test

import (
	"testing"
	"time"

	"github.com/syndtr/goleveldb/leveldb"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// Shape of the benchmark chain: indexBenchBlocks blocks of indexBenchTxs
// one-input, two-output transactions after a fan-out block.
const (
	indexBenchBlocks = 20
	indexBenchTxs    = 200
)

// BenchmarkIndexCost measures what the address history index and the
// transaction index cost an initial sync: each iteration syncs the same
// chain (every block through ProcessBlock into a fresh database) three
// times, with no index, with the address history index (main's default)
// and with both (local's default), and reports the sync time and the
// database's size (bytes of all keys and values) of the last two as ratios
// to the first, measured in the same iteration (each iteration starts with
// another case). "verify" checks every signature, as a real initial sync
// does; "cached" has them all in the signature cache, which isolates the
// database work the indexes add.
func BenchmarkIndexCost(b *testing.B) {
	params := chaintest.Params(genesisTime)
	params.CoinbaseMaturity = 1
	blocks := indexBenchChain(b, params)
	b.Run("verify", func(b *testing.B) { benchIndexCost(b, params, blocks, false) })
	b.Run("cached", func(b *testing.B) { benchIndexCost(b, params, blocks, true) })
}

func indexBenchChain(b *testing.B, params *chain.Params) []*wire.Block {
	g := chaintest.NewGenerator(b, params)
	g.NextBlock("b1", nil)
	fan := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 0, indexBenchBlocks*indexBenchTxs)
	g.NextBlock("fan", []*wire.Tx{fan})
	for i := range indexBenchBlocks {
		txs := make([]*wire.Tx, indexBenchTxs)
		for j := range txs {
			txs[j] = g.SpendTx([]chaintest.SpendableOut{g.TxOut(fan, uint32(i*indexBenchTxs+j))}, 10, 2)
		}
		g.NextBlock("blk"+itoa(i), txs)
	}
	return g.BlocksTo(g.TipName())[1:]
}

type indexBenchCase struct {
	name string
	cfg  func(chain.Config) chain.Config
}

var indexBenchCases = []indexBenchCase{
	{"none", func(c chain.Config) chain.Config { return chain.WithoutAddressHistory(c) }},
	{"history", func(c chain.Config) chain.Config { return c }},
	{"history+txindex", func(c chain.Config) chain.Config { c.TxIndex = true; return c }},
}

func benchIndexCost(b *testing.B, params *chain.Params, blocks []*wire.Block, cached bool) {
	elapsed := make([]time.Duration, len(indexBenchCases))
	size := make([]int64, len(indexBenchCases))
	for n := range b.N {
		// Each iteration starts with another case, so that a machine
		// getting slower or faster during the run favours none of them.
		for k := range indexBenchCases {
			i := (n + k) % len(indexBenchCases)
			d, s := syncOnce(b, params, blocks, indexBenchCases[i].cfg, cached)
			elapsed[i] += d
			size[i] = s
		}
	}
	var txs int
	for _, blk := range blocks {
		txs += len(blk.Transactions)
	}
	b.ReportMetric(float64(txs)*float64(b.N)/elapsed[0].Seconds(), "tx/s_none")
	b.ReportMetric(float64(elapsed[1])/float64(elapsed[0]), "time_ratio_history")
	b.ReportMetric(float64(elapsed[2])/float64(elapsed[0]), "time_ratio_both")
	b.ReportMetric(float64(size[0])/(1<<20), "MiB_none")
	b.ReportMetric(float64(size[1])/float64(size[0]), "size_ratio_history")
	b.ReportMetric(float64(size[2])/float64(size[0]), "size_ratio_both")
}

// syncOnce feeds blocks into a fresh chain configured by cfg and returns
// the time it took and the bytes of all keys and values it stored.
func syncOnce(b *testing.B, params *chain.Params, blocks []*wire.Block, cfg func(chain.Config) chain.Config, cached bool) (time.Duration, int64) {
	b.StopTimer()
	dir := b.TempDir()
	var cache *chain.SigCache
	if cached {
		cache = chain.NewSigCache(len(blocks) * indexBenchTxs * 2)
		for _, blk := range blocks {
			for _, tx := range blk.Transactions {
				cache.Add(tx.TxID())
			}
		}
	}
	c, err := chain.Open(cfg(chain.Config{Params: params, Path: dir, SigCache: cache,
		Clock: chaintest.NewClock(genesisTime.Add(24 * time.Hour))}))
	if err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	start := time.Now()
	for _, blk := range blocks {
		if _, err := c.ProcessBlock(blk); err != nil {
			b.Fatal(err)
		}
	}
	took := time.Since(start)
	b.StopTimer()
	if c.Tip().Hash != blocks[len(blocks)-1].BlockHash() {
		b.Fatal("the chain did not sync")
	}
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
	// The bytes of every key and value: deterministic, unlike the files'
	// sizes, which depend on when LevelDB compacted (and compress).
	db, err := leveldb.OpenFile(dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	it := db.NewIterator(nil, nil)
	var total int64
	for it.Next() {
		total += int64(len(it.Key()) + len(it.Value()))
	}
	it.Release()
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	return took, total
}
