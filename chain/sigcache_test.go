package chain_test

import (
	"sync"
	"testing"

	"powchain/chain"
	"powchain/wire"
)

// AddAll caches every id as Add would, one by one: all of them while there
// is room, and never more than the cache's bound.
func TestSigCacheAddAll(t *testing.T) {
	ids := make([]wire.Hash, 10)
	for i := range ids {
		ids[i][0] = byte(i + 1)
	}
	c := chain.NewSigCache(16)
	c.AddAll(ids)
	c.AddAll(ids[:3]) // already there: nothing changes
	c.AddAll(nil)
	if c.Len() != len(ids) {
		t.Fatalf("cache holds %d ids, want %d", c.Len(), len(ids))
	}
	for _, id := range ids {
		if !c.Contains(id) {
			t.Fatalf("id %x not cached", id[:1])
		}
	}
	more := make([]wire.Hash, 20)
	for i := range more {
		more[i][1] = byte(i + 1)
	}
	c.AddAll(more)
	if c.Len() != 16 {
		t.Fatalf("cache of 16 holds %d ids", c.Len())
	}
	if !c.Contains(more[len(more)-1]) {
		t.Fatal("the last id added is not cached")
	}
}

// fillAndExpectAll adds ids to an empty cache of exactly their number, half
// with AddAll and half one by one, and checks that it holds every one.
func fillAndExpectAll(t *testing.T, c *chain.SigCache, ids []wire.Hash) {
	t.Helper()
	c.AddAll(ids[:len(ids)/2])
	for _, h := range ids[len(ids)/2:] {
		c.Add(h)
	}
	if c.Len() != len(ids) {
		t.Fatalf("cache of %d holds %d ids", len(ids), c.Len())
	}
	for _, h := range ids {
		if !c.Contains(h) {
			t.Fatalf("id %x evicted before the cache was full", h[:3])
		}
	}
}

// A large cache is sharded by the txid's first byte under one bound:
// spread over the shards it holds exactly its bound; once full, a new id
// evicts one of its own shard, so the others keep theirs.
func TestSigCacheShardsKeepTheBound(t *testing.T) {
	const max = 4096
	c := chain.NewSigCache(max)
	id := func(first byte, n int) wire.Hash {
		var h wire.Hash
		h[0], h[1], h[2] = first, byte(n), byte(n>>8)
		return h
	}
	var all []wire.Hash
	for n := range max {
		all = append(all, id(byte(n), n))
	}
	fillAndExpectAll(t, c, all)
	var same []wire.Hash
	for n := range 1000 {
		same = append(same, id(0, max+n))
	}
	c.AddAll(same)
	if c.Len() != max {
		t.Fatalf("cache of %d holds %d ids", max, c.Len())
	}
	if !c.Contains(same[len(same)-1]) {
		t.Fatal("the last id added is not cached")
	}
	for _, h := range all {
		if h[0]%16 != 0 && !c.Contains(h) {
			t.Fatalf("id %x of another shard evicted", h[:3])
		}
	}
	c.Remove(all)
	if c.Len() > max/16 {
		t.Fatalf("%d ids left after removing all but one shard's", c.Len())
	}
}

// The bound is the whole cache's, not a share per shard: a cache sized for
// some ids holds them all however unevenly they fall in the shards (a
// block's pre-verified transactions must all stay until it connects).
func TestSigCacheShardsFillUnevenly(t *testing.T) {
	const max = 2048
	c := chain.NewSigCache(max)
	var ids []wire.Hash
	for n := range max {
		var h wire.Hash // every one in the first shard
		h[1], h[2] = byte(n), byte(n>>8)
		ids = append(ids, h)
	}
	fillAndExpectAll(t, c, ids)
	var other wire.Hash
	other[0] = 1 // another shard, empty: the full cache does not keep it
	c.Add(other)
	if c.Contains(other) || c.Len() != max {
		t.Fatalf("full cache took an id with nothing of its shard to evict (len %d)", c.Len())
	}
}

// Goroutines adding and removing at once keep the count true and within
// the bound: afterwards Len is exactly the number of ids the cache holds.
func TestSigCacheConcurrentCountStaysTrue(t *testing.T) {
	const max, workers, each = 1500, 4, 1000
	c := chain.NewSigCache(max)
	var wg sync.WaitGroup
	var all [workers][]wire.Hash
	for w := range workers {
		for n := range each {
			var h wire.Hash
			h[0], h[1], h[2], h[3] = byte(n), byte(n>>8), byte(w), 1
			all[w] = append(all[w], h)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids := all[w]
			for i := 0; i < len(ids); i += 10 {
				c.AddAll(ids[i : i+10])
				c.Add(ids[i])
				if i%30 == 0 {
					c.Remove(ids[i : i+5])
				}
				if c.Len() > max {
					t.Errorf("cache of %d holds %d", max, c.Len())
					return
				}
			}
		}()
	}
	wg.Wait()
	held := 0
	for w := range workers {
		for _, h := range all[w] {
			if c.Contains(h) {
				held++
			}
		}
	}
	if held != c.Len() || held > max {
		t.Fatalf("Len %d, %d ids held, bound %d", c.Len(), held, max)
	}
}
