package mempool

import (
	"runtime"
	"sync"
	"testing"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// benchTxs is how many one-input, two-output transactions each benchmark
// iteration admits; they spend distinct confirmed outputs of one fan-out
// transaction.
const benchTxs = 5000

// BenchmarkAdmission measures admitting benchTxs transactions into a fresh
// pool (built outside the timer) from GOMAXPROCS goroutines. The same run
// measures the ceiling on this machine: verifying the same transactions'
// signatures on as many goroutines, with nothing else (best of three).
// ceiling_ratio = ceiling time / admission time, so 1.0 means admission
// costs no more than its signature checks; the goal is at least 0.8.
// btcec_ceiling_ratio is the same with the ceiling of the pure-Go backend:
// in a -tags libsecp256k1 build, how many times faster than the default
// build's best possible admission this build admits.
func BenchmarkAdmission(b *testing.B) {
	h := newHarness(b, harnessConfig{blocks: 2})
	fan := h.spend(0, benchTxs, h.cb(1))
	h.mine(fan)
	txs := make([]*wire.Tx, benchTxs)
	for i := range txs {
		txs[i] = h.spend(1000, 2, h.out(fan, uint32(i)))
	}
	workers := runtime.GOMAXPROCS(0)
	ceiling := chaintest.VerifyCeiling(txs, workers)
	btcecCeiling := chaintest.BtcecCeiling(txs, workers)

	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		pool, err := New(Config{Chain: h.c, Clock: h.clock, SigCache: chain.NewSigCache(2 * benchTxs), Policy: h.policy})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		admitAll(b, pool, txs, workers)
		b.StopTimer()
		if n := pool.Info().Size; n != benchTxs {
			b.Fatalf("pool has %d transactions, want %d", n, benchTxs)
		}
	}
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(float64(ceiling.Nanoseconds())/perOp, "ceiling_ratio")
	b.ReportMetric(float64(btcecCeiling.Nanoseconds())/perOp, "btcec_ceiling_ratio")
	b.ReportMetric(benchTxs*1e9/perOp, "tx/s")
}

// admitAll admits txs into pool from workers goroutines.
func admitAll(b *testing.B, pool *Pool, txs []*wire.Tx, workers int) {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(txs); i += workers {
				if _, _, err := pool.ProcessTransaction(txs[i], false, 0); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
