package chain_test

import (
	"runtime"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// benchBlockTxs is the size of the benchmark block: 2,000 transactions of
// one input and two outputs each.
const benchBlockTxs = 2000

// BenchmarkConnectBlock measures connecting a stored 2,000-transaction block
// (read, every rule, UTXO batch write), with its signatures verified
// ("verify") and with all of them already in the signature cache, as after
// mempool admission ("cached"). Each run also measures the ceiling for
// validation on this machine: verifying the block's 2,000 signatures alone,
// spread over all cores like the chain does. ceiling_ratio = ceiling time /
// connect time, so 1.0 means connecting costs no more than the bare
// signature checks.
func BenchmarkConnectBlock(b *testing.B) {
	b.Run("verify", func(b *testing.B) { benchConnect(b, false) })
	b.Run("cached", func(b *testing.B) { benchConnect(b, true) })
}

func benchConnect(b *testing.B, cached bool) {
	params := chaintest.Params(genesisTime)
	params.CoinbaseMaturity = 1
	cache := chain.NewSigCache(2 * benchBlockTxs)
	c, err := chain.Open(chain.Config{Params: params, Path: b.TempDir(),
		Clock: chaintest.NewClock(genesisTime.Add(24 * time.Hour)), SigCache: cache})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	g := chaintest.NewGenerator(b, params)
	submit := func(blk *wire.Block) {
		if _, err := c.ProcessBlock(blk); err != nil {
			b.Fatal(err)
		}
	}
	submit(g.NextBlock("b1", nil))
	fan := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 0, benchBlockTxs)
	submit(g.NextBlock("fan", []*wire.Tx{fan}))
	txs := make([]*wire.Tx, benchBlockTxs)
	for i := range txs {
		txs[i] = g.SpendTx([]chaintest.SpendableOut{g.TxOut(fan, uint32(i))}, 10, 2)
	}
	big := g.NextBlock("big", txs)
	submit(big)
	hash := big.BlockHash()
	ceiling := chaintest.VerifyCeiling(txs, runtime.GOMAXPROCS(0))

	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if err := c.InvalidateBlock(hash); err != nil {
			b.Fatal(err)
		}
		if cached {
			for _, tx := range txs {
				cache.Add(tx.TxID())
			}
		}
		b.StartTimer()
		if err := c.ReconsiderBlock(hash); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if c.Tip().Hash != hash {
		b.Fatal("the block did not connect")
	}
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(float64(ceiling.Nanoseconds())/perOp, "ceiling_ratio")
	b.ReportMetric(float64(benchBlockTxs)*1e9/perOp, "tx/s")
}

// BenchmarkSchnorrVerify is one BIP340 verification on one core: the unit
// cost under every validation figure.
func BenchmarkSchnorrVerify(b *testing.B) {
	key := chaintest.Key(1)
	msg := wire.TaggedHash("bench", nil)
	sig, err := wire.SignSchnorr(key, msg)
	if err != nil {
		b.Fatal(err)
	}
	pub := wire.XOnlyPubKey(key)
	for b.Loop() {
		if !wire.VerifySchnorr(pub, msg, sig) {
			b.Fatal("signature does not verify")
		}
	}
}
