package chain_test

import (
	"runtime"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// indexBenchHeaders is how many headers BenchmarkBlockIndexMemory indexes.
const indexBenchHeaders = 100_000

// BenchmarkBlockIndexMemory measures what the block index keeps in memory
// for each block: a chain on disk (so LevelDB's data is not in the heap)
// accepts indexBenchHeaders headers through ProcessHeaders, in messages of
// 2,000 as p2p sends them, and is closed (LevelDB's write buffer, journal
// and buffer pool go; the Chain, and so its index, is kept alive). The live
// heap after two collections is compared with the live heap right after
// Open. index_B/block is that difference per header: the node, anything it
// points to, its share of the hash map and of the best header chain (the
// headers themselves were allocated before the first reading and are kept
// alive past the second). objects/block is the live objects it adds,
// node_B the node's size (unsafe.Sizeof).
func BenchmarkBlockIndexMemory(b *testing.B) {
	params := chaintest.Params(genesisTime)
	headers := blockIndexHeaders(params, indexBenchHeaders)
	clock := chaintest.NewClock(time.Unix(headers[len(headers)-1].Timestamp, 0))
	var bytes, objects float64
	for b.Loop() {
		c, held := heapKept(b, chain.Config{Params: params, Clock: clock}, func(c *chain.Chain) {
			for i := 0; i < len(headers); i += 2000 {
				if err := c.ProcessHeaders(headers[i:min(i+2000, len(headers))]); err != nil {
					b.Fatal(err)
				}
			}
		})
		if got := c.BestHeader().Height; got != uint64(len(headers)) {
			b.Fatalf("best header at height %d, want %d", got, len(headers))
		}
		bytes += float64(held.HeapAlloc) / float64(len(headers))
		objects += float64(held.HeapObjects) / float64(len(headers))
		runtime.KeepAlive(headers)
	}
	b.ReportMetric(bytes/float64(b.N), "index_B/block")
	b.ReportMetric(objects/float64(b.N), "objects/block")
	b.ReportMetric(float64(chain.BlockNodeSize), "node_B")
}

// blockIndexHeaders returns n headers on params' genesis block, each two
// spacings after its parent: behind aserti3-2d's schedule, so the target
// soon reaches the proof-of-work limit and each header takes about two
// hashes to solve.
func blockIndexHeaders(params *chain.Params, n int) []wire.BlockHeader {
	headers := make([]wire.BlockHeader, n)
	parent, anchor := params.GenesisBlock.Header, int64(0)
	for i := range headers {
		h := wire.BlockHeader{
			Version:   1,
			PrevBlock: parent.BlockHash(),
			Timestamp: parent.Timestamp + 2*params.TargetSpacing,
			Bits:      params.NextBits(uint64(i), parent.Timestamp, anchor),
		}
		if !chaintest.Solve(&h) {
			panic("unsolvable header")
		}
		if i == 0 {
			anchor = h.Timestamp
		}
		headers[i], parent = h, h
	}
	return headers
}

// heapKept opens a chain of cfg on disk (so LevelDB's data is not in the
// heap), runs fill on it and closes it (LevelDB's write buffer, journal and
// buffer pool go), and returns the chain with what the live heap gained
// from right after Open to after fill: what the chain itself keeps. The
// caller keeps the chain alive until it has read it.
func heapKept(b *testing.B, cfg chain.Config, fill func(*chain.Chain)) (*chain.Chain, heapGain) {
	b.Helper()
	cfg.Path, cfg.WriteBufferSize = b.TempDir(), 64<<10
	c, err := chain.Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	var before, after runtime.MemStats
	settledHeap(&before)
	fill(c)
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
	settledHeap(&after)
	return c, heapGain{HeapAlloc: int64(after.HeapAlloc) - int64(before.HeapAlloc), HeapObjects: int64(after.HeapObjects) - int64(before.HeapObjects)}
}

// heapGain is what the live heap gained, in bytes and objects.
type heapGain struct{ HeapAlloc, HeapObjects int64 }

// settledHeap reads the memory statistics after two collections: the
// second frees what sync.Pools (LevelDB's buffer pool) kept through the
// first.
func settledHeap(m *runtime.MemStats) {
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(m)
}
