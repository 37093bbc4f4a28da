package chain_test

import (
	"runtime"
	"strconv"
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
// signature checks. btcec_ceiling_ratio is the same with the ceiling of
// the pure-Go backend: in a -tags libsecp256k1 build, how many times faster
// than the default build's best possible connect this build connects.
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
	btcecCeiling := chaintest.BtcecCeiling(txs, runtime.GOMAXPROCS(0))

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
	b.ReportMetric(float64(btcecCeiling.Nanoseconds())/perOp, "btcec_ceiling_ratio")
	b.ReportMetric(float64(benchBlockTxs)*1e9/perOp, "tx/s")
}

// BenchmarkSchnorrVerify is one BIP340 verification on one core, with this
// build's backend: the unit cost under every validation figure.
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

// BenchmarkInitialSyncPolicy measures what the sync policy costs initial
// sync: each iteration connects the same chain of 60 blocks of 100
// transactions into fresh chains, with syncing off (as before the policy)
// and with the initial-sync policy (a sync every DefaultSyncInterval of a
// clock that follows real time, the blocks being a month old), in
// alternating order; and once syncing every block (the caught-up policy,
// as a reference). on_off_ratio and every_block_off_ratio are connect time
// over the connect time without syncing, in the same run.
func BenchmarkInitialSyncPolicy(b *testing.B) {
	const blocks, txsPerBlock = 60, 100
	params := chaintest.Params(genesisTime)
	params.CoinbaseMaturity = 1
	g := chaintest.NewGenerator(b, params)
	chainBlocks := []*wire.Block{g.NextBlock("b1", nil)}
	fan := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 0, blocks*txsPerBlock)
	chainBlocks = append(chainBlocks, g.NextBlock("fan", []*wire.Tx{fan}))
	for i := range blocks {
		txs := make([]*wire.Tx, txsPerBlock)
		for j := range txs {
			txs[j] = g.SpendTx([]chaintest.SpendableOut{g.TxOut(fan, uint32(i*txsPerBlock+j))}, 10, 1)
		}
		chainBlocks = append(chainBlocks, g.NextBlock("b"+strconv.Itoa(i+2), txs))
	}
	monthLater := realTimeClock{base: genesisTime.Add(30 * 24 * time.Hour), start: time.Now()}
	caughtUp := chaintest.NewClock(genesisTime.Add(time.Hour))
	connectAll := func(clock chain.Clock, noSync bool) time.Duration {
		c, err := chain.Open(chain.Config{Params: params, Path: b.TempDir(), Clock: clock})
		if err != nil {
			b.Fatal(err)
		}
		if noSync {
			c.DisableSyncForBenchmark()
		}
		t0 := time.Now()
		for _, blk := range chainBlocks {
			if _, err := c.ProcessBlock(blk); err != nil {
				b.Fatal(err)
			}
		}
		elapsed := time.Since(t0)
		if err := c.Close(); err != nil {
			b.Fatal(err)
		}
		return elapsed
	}
	var off, on time.Duration
	i := 0
	for b.Loop() {
		if i%2 == 0 {
			off += connectAll(monthLater, true)
			on += connectAll(monthLater, false)
		} else {
			on += connectAll(monthLater, false)
			off += connectAll(monthLater, true)
		}
		i++
	}
	every := connectAll(caughtUp, false)
	b.ReportMetric(float64(len(chainBlocks)*b.N)/on.Seconds(), "blocks/s")
	b.ReportMetric(on.Seconds()/off.Seconds(), "on_off_ratio")
	b.ReportMetric(every.Seconds()*float64(b.N)/off.Seconds(), "every_block_off_ratio")
}

// realTimeClock is base plus the real time passed since start.
type realTimeClock struct{ base, start time.Time }

func (c realTimeClock) Now() time.Time { return c.base.Add(time.Since(c.start)) }

// BenchmarkSyncCost measures one sync of the policy (a synced LevelDB write
// and the DURABLE-TIP record): each iteration connects the next empty
// block to two chains on disk, one caught up (the block is synced before
// it is announced) and one with syncing off. sync_ms is the difference per
// block; ibd_cost is sync_ms over DefaultSyncInterval, the share of
// initial-sync time the policy can cost (one sync per interval).
func BenchmarkSyncCost(b *testing.B) {
	params := chaintest.Params(genesisTime)
	g := chaintest.NewGenerator(b, params)
	clock := chaintest.NewClock(genesisTime.Add(time.Hour)) // caught up
	open := func() *chain.Chain {
		c, err := chain.Open(chain.Config{Params: params, Path: b.TempDir(), Clock: clock})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		return c
	}
	synced, unsynced := open(), open()
	unsynced.DisableSyncForBenchmark()
	var withSync, without time.Duration
	connect := func(c *chain.Chain, blk *wire.Block) time.Duration {
		t0 := time.Now()
		if _, err := c.ProcessBlock(blk); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	i := 0
	for b.Loop() {
		blk := g.NextBlock("b"+strconv.Itoa(i), nil)
		i++
		withSync += connect(synced, blk)
		without += connect(unsynced, blk)
	}
	syncMs := float64((withSync - without).Milliseconds()) / float64(b.N)
	b.ReportMetric(syncMs, "sync_ms")
	b.ReportMetric(float64(withSync)/float64(without), "synced_unsynced_ratio")
	b.ReportMetric(syncMs/float64(chain.DefaultSyncInterval.Milliseconds()), "ibd_cost")
}
