//go:build unix

package chain_test

import (
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/internal/rusage"
	"powchain/wire"
)

// BenchmarkSerialWork measures the serial work S of initial sync: what
// connecting a full block costs besides its signatures, the work the
// node's event loop does one block after another. Each iteration connects
// 5 blocks of 2,000 one-input, two-output transactions (as p2p's
// BenchmarkInitialSyncFullBlocks syncs) into a fresh chain on disk with
// every signature already in the SigCache, in the order a two-peer sync
// gets them (each even block before its parent, so pairs connect in one
// activation). It counts the process's CPU time (user and system, every
// goroutine: the write, LevelDB's compactions, the collector), which the
// machine's other load barely moves, unlike wall time. The limit, in the
// same run: V, the CPU time of the same blocks' signature checks
// (chain.VerifyTxSignatures of each transaction, best of three).
// s_over_v = S/V; cpu_bound = V/(V+S), the highest verify_ceiling_ratio a
// sync of these blocks can reach on any number of cores, if nothing else
// (download, decoding, serving) cost anything.
func BenchmarkSerialWork(b *testing.B) {
	const blocks, txs = 5, 2000
	params := chaintest.Params(genesisTime)
	params.CoinbaseMaturity = 1
	chainBlocks, all := chaintest.LaneChain(chaintest.NewGenerator(b, params), txs, blocks)
	headers := make([]wire.BlockHeader, len(chainBlocks))
	for i, blk := range chainBlocks {
		headers[i] = blk.Header
	}
	order := make([]*wire.Block, 0, len(chainBlocks))
	for i := 0; i < len(chainBlocks); i += 2 {
		if i+1 < len(chainBlocks) {
			order = append(order, chainBlocks[i+1])
		}
		order = append(order, chainBlocks[i])
	}
	verify := verifyCPU(all)
	var serial time.Duration
	for b.Loop() {
		serial += connectCPU(b, params, headers, order, all)
	}
	perBlock := serial / time.Duration(b.N*blocks)
	v := verify / blocks
	b.ReportMetric(float64(perBlock.Microseconds())/1000, "serial_cpu_ms/block")
	b.ReportMetric(float64(v.Microseconds())/1000, "verify_cpu_ms/block")
	b.ReportMetric(float64(perBlock)/float64(v), "s_over_v")
	b.ReportMetric(float64(v)/float64(v+perBlock), "cpu_bound")
}

// connectCPU opens a fresh chain with txs' signatures cached, gives it the
// headers, processes blocks in order (all must connect) and returns the
// process CPU time that took.
func connectCPU(b *testing.B, params *chain.Params, headers []wire.BlockHeader, order []*wire.Block, txs []*wire.Tx) time.Duration {
	cache := chain.NewSigCache(len(txs))
	for _, tx := range txs {
		cache.Add(tx.TxID())
	}
	c, err := chain.Open(chain.Config{Params: params, Path: b.TempDir(), SigCache: cache,
		Clock: chaintest.NewClock(genesisTime.Add(24 * time.Hour))})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if err := c.ProcessHeaders(headers); err != nil {
		b.Fatal(err)
	}
	start := rusage.Self().CPU
	for _, blk := range order {
		if _, err := c.ProcessBlock(blk); err != nil {
			b.Fatal(err)
		}
	}
	used := rusage.Self().CPU - start
	if c.TipHeight() != uint64(len(headers)) {
		b.Fatalf("tip at height %d, want %d", c.TipHeight(), len(headers))
	}
	return used
}

// verifyCPU is the CPU time of checking txs' signatures, best of three.
func verifyCPU(txs []*wire.Tx) time.Duration {
	best := time.Duration(1 << 62)
	for range 3 {
		start := rusage.Self().CPU
		for _, tx := range txs {
			if err := chain.VerifyTxSignatures(tx); err != nil {
				panic(err)
			}
		}
		best = min(best, rusage.Self().CPU-start)
	}
	return best
}
