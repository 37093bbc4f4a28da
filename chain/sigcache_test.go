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

// sigID returns an id of the shard first%16 (of a large cache), distinct
// for each n.
func sigID(first byte, n int) wire.Hash {
	var h wire.Hash
	h[0], h[1], h[2], h[3] = first, byte(n), byte(n>>8), byte(n>>16)
	return h
}

// heldCount returns how many of ids c holds.
func heldCount(c *chain.SigCache, ids []wire.Hash) int {
	held := 0
	for _, h := range ids {
		if c.Contains(h) {
			held++
		}
	}
	return held
}

// A large cache is sharded by the txid's first byte under one bound:
// spread over the shards it holds exactly its bound; once full, new ids of
// one shard evict an entry of every shard in turn until the others are
// below their share, then of that shard only, and the bound holds.
func TestSigCacheShardsKeepTheBound(t *testing.T) {
	const max = 4096
	c := chain.NewSigCache(max)
	var all []wire.Hash
	for n := range max {
		all = append(all, sigID(byte(n), n))
	}
	fillAndExpectAll(t, c, all)
	var same []wire.Hash
	for n := range 1600 {
		same = append(same, sigID(0, max+n))
	}
	c.AddAll(same)
	if c.Len() != max || heldCount(c, all)+heldCount(c, same) != max {
		t.Fatalf("cache of %d: Len %d, holds %d ids", max, c.Len(), heldCount(c, all)+heldCount(c, same))
	}
	if !c.Contains(same[len(same)-1]) {
		t.Fatal("the last id added is not cached")
	}
	for shard := 1; shard < 16; shard++ { // each gave up one entry, once
		var old []wire.Hash
		for _, h := range all {
			if int(h[0])%16 == shard {
				old = append(old, h)
			}
		}
		if got := heldCount(c, old); got != 255 {
			t.Fatalf("shard %d kept %d of its 256 ids while one shard's ids were added", shard, got)
		}
	}
	c.Remove(all)
	c.Remove(same)
	if c.Len() != 0 {
		t.Fatalf("%d ids left after removing all", c.Len())
	}
}

// The bound is the whole cache's, not a share per shard: a cache sized for
// some ids holds them all however unevenly they fall in the shards (a
// block's pre-verified transactions must all stay until it connects).
// Once full of one shard's ids, it still takes ids of the others (an
// attacker steering txids to one shard gets no more than its share of the
// evictions): the shards' fill levels do not freeze.
func TestSigCacheShardsFillUnevenly(t *testing.T) {
	const max = 2048
	c := chain.NewSigCache(max)
	var ids []wire.Hash
	for n := range max {
		ids = append(ids, sigID(0, n)) // every one in the first shard
	}
	fillAndExpectAll(t, c, ids)
	var others []wire.Hash
	for n := range 300 {
		others = append(others, sigID(byte(1+n%15), n)) // shards 1..15, empty so far
	}
	for _, h := range others[:100] {
		c.Add(h)
	}
	c.AddAll(others[100:])
	if got := heldCount(c, others); got != len(others) {
		t.Fatalf("full cache of one shard's ids took %d of %d ids of other shards", got, len(others))
	}
	if held := heldCount(c, ids) + len(others); c.Len() != max || held != max {
		t.Fatalf("cache of %d: Len %d, holds %d ids", max, c.Len(), held)
	}
}

// A cache bounded at zero caches nothing and does not spin looking for an
// entry to evict.
func TestSigCacheZero(t *testing.T) {
	c := chain.NewSigCache(0)
	c.Add(sigID(1, 1))
	c.AddAll([]wire.Hash{sigID(2, 2), sigID(3, 3)})
	if c.Len() != 0 || c.Contains(sigID(1, 1)) {
		t.Fatalf("cache of 0 holds %d ids", c.Len())
	}
}

// Goroutines adding ids of every shard to a cache full of one shard's,
// while others remove some, keep the count true and within the bound:
// Len never exceeds it, afterwards Len is exactly the number of ids held,
// and the ids of the other shards took room (run with -race).
func TestSigCacheFullConcurrentEviction(t *testing.T) {
	const max, workers, each = 2048, 4, 1500
	c := chain.NewSigCache(max)
	var flood []wire.Hash
	for n := range max {
		flood = append(flood, sigID(0, n))
	}
	c.AddAll(flood)
	var wg sync.WaitGroup
	var all [workers][]wire.Hash
	for w := range workers {
		for n := range each {
			all[w] = append(all[w], sigID(byte(1+n%15), n<<2|w))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids := all[w]
			for i := 0; i < len(ids); i += 10 {
				if w%2 == 0 {
					c.AddAll(ids[i : i+10])
				} else {
					for _, h := range ids[i : i+10] {
						c.Add(h)
					}
				}
				if i%50 == 0 {
					c.Remove(ids[i : i+2])
				}
				if n := c.Len(); n > max {
					t.Errorf("cache of %d holds %d", max, n)
					return
				}
			}
		}()
	}
	wg.Wait()
	held := heldCount(c, flood)
	others := 0
	for w := range workers {
		others += heldCount(c, all[w])
	}
	if held+others != c.Len() || c.Len() > max {
		t.Fatalf("Len %d, %d ids held, bound %d", c.Len(), held+others, max)
	}
	if others < max/2 {
		t.Fatalf("ids of other shards hold %d of %d entries after %d were added", others, max, workers*each)
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
