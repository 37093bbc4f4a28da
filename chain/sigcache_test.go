package chain_test

import (
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

// A large cache is sharded by the txid's first byte, each shard bounded by
// its part of the whole: spread over the shards it holds exactly its
// bound; more ids than a shard's part, all in one shard, evict only there.
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
	c.AddAll(all[:max/2])
	for _, h := range all[max/2:] {
		c.Add(h)
	}
	if c.Len() != max {
		t.Fatalf("cache of %d holds %d ids spread over every shard", max, c.Len())
	}
	for _, h := range all {
		if !c.Contains(h) {
			t.Fatalf("id %x not cached", h[:3])
		}
	}
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
