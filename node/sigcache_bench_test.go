package node

import (
	"runtime"
	"testing"

	"powchain/mempool"
	"powchain/wire"
)

// BenchmarkNodeSigCacheMemory reports the heap the node's SigCache takes
// with the default pool policy: as allocated when the node starts
// (empty_MB), and filled to its bound (full_MB, B/entry).
func BenchmarkNodeSigCacheMemory(b *testing.B) {
	var empty, full, entries float64
	for range b.N {
		before := heapAlloc()
		c := newSigCache(mempool.DefaultPolicy())
		empty += float64(heapAlloc() - before)
		var id wire.Hash
		for i := 0; c.Len() == i; i++ { // until an id more evicts one
			id[0], id[1], id[2], id[3] = byte(i), byte(i>>8), byte(i>>16), byte(i>>24)
			c.Add(id)
		}
		full += float64(heapAlloc() - before)
		entries += float64(c.Len())
		runtime.KeepAlive(c)
	}
	b.ReportMetric(empty/1e6/float64(b.N), "empty_MB")
	b.ReportMetric(full/1e6/float64(b.N), "full_MB")
	b.ReportMetric(full/entries, "B/entry")
}

// heapAlloc returns the bytes of live heap objects after a collection.
func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
