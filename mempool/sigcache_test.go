package mempool

import (
	"testing"
	"time"

	"powchain/chain"
	"powchain/wire"
)

// smallestPoolTxs is the pool's capacity in the tests below: MaxPoolBytes
// holds that many of the smallest transactions (one input, one output).
const smallestPoolTxs = 6

// smallPoolHarness returns a harness whose pool holds smallestPoolTxs
// transactions at most (Policy.MaxTxs), with a SigCache of sigCache
// entries and coinbases b1 to b<blocks> to spend.
func smallPoolHarness(t *testing.T, blocks, sigCache int) *harness {
	return newHarness(t, harnessConfig{blocks: blocks, sigCache: sigCache,
		policy: func(p *Policy) { p.MaxPoolBytes = smallestPoolTxs * wire.MinTxSize }})
}

// fill admits smallestPoolTxs of the smallest transactions, spending the
// coinbases of b1 to b<smallestPoolTxs>, paying fee rates rising from
// 2,000 per 1,000 bytes; the pool is then full.
func (h *harness) fill() []*wire.Tx {
	h.t.Helper()
	var txs []*wire.Tx
	for i := range smallestPoolTxs {
		tx := h.spend(uint64(2+i)*wire.MinTxSize, 1, h.cb(i+1))
		if tx.SerializeSize() != wire.MinTxSize {
			h.t.Fatalf("a one-input, one-output transaction of %d bytes, want %d", tx.SerializeSize(), wire.MinTxSize)
		}
		h.accept(tx)
		txs = append(txs, tx)
	}
	if info := h.pool.Info(); info.Size != h.policy.MaxTxs() || info.Bytes != info.MaxBytes {
		h.t.Fatalf("pool of %d transactions, %d of %d bytes: not full", info.Size, info.Bytes, info.MaxBytes)
	}
	return txs
}

// TestFullPoolLeavesRoomForPreverify: with the pool at its capacity, a
// SigCache sized by chain.SigCacheSize still has room for a block's
// pre-verification, and connecting the block takes its results out; a
// cache the pool alone fills (as the node's fixed 100,000 entries were
// for a pool of more than about 94,000 transactions) refuses it.
func TestFullPoolLeavesRoomForPreverify(t *testing.T) {
	const blockTxs = 4
	block := func(h *harness) *wire.Block {
		txs := make([]*wire.Tx, blockTxs)
		for i := range txs {
			txs[i] = h.spend(1000, 1, h.cb(smallestPoolTxs+1+i))
		}
		return h.block(txs...)
	}

	h := smallPoolHarness(t, smallestPoolTxs+blockTxs, chain.SigCacheSize(smallestPoolTxs, 1))
	h.fill()
	blk := block(h)
	if !h.c.Preverify(blk) {
		t.Fatal("a full pool turned pre-verification off")
	}
	deadline := time.Now().Add(time.Minute)
	for h.cache.Len() != smallestPoolTxs+blockTxs {
		if time.Now().After(deadline) {
			t.Fatalf("cache holds %d transactions, want the pool's %d and the block's %d", h.cache.Len(), smallestPoolTxs, blockTxs)
		}
		time.Sleep(time.Millisecond)
	}
	h.submit(blk)
	h.checkCacheIsPool(blk.Transactions...)

	tight := smallPoolHarness(t, smallestPoolTxs+blockTxs, smallestPoolTxs+blockTxs-1)
	tight.fill()
	if tight.c.Preverify(block(tight)) {
		t.Fatal("pre-verification queued a block the cache has no room for")
	}
}

// TestTrimKeepsCacheIsPool: when an admission makes the full pool evict,
// whether the cheapest transaction or the newcomer itself (evicted at
// once), or a reorganisation brings back more than the pool holds, the
// SigCache, with room for the pool's capacity and no more, ends holding
// exactly the pool: a txid enters it only once the pool is trimmed, so
// its bound never evicts a pool transaction's entry to make room for one
// the trim then drops.
func TestTrimKeepsCacheIsPool(t *testing.T) {
	h := smallPoolHarness(t, 2*smallestPoolTxs+1, chain.SigCacheSize(smallestPoolTxs, 0))
	fork := h.g.TipName()
	var mined []*wire.Tx // pay 20,000 per 1,000 bytes: they stay when they come back
	for i := range 3 {
		mined = append(mined, h.spend(20*wire.MinTxSize, 1, h.cb(smallestPoolTxs+5+i)))
	}
	h.mine(mined...)

	txs := h.fill()    // 2,000 to 7,000 per 1,000 bytes
	for i := range 3 { // 10,000 to 12,000: each evicts the cheapest
		h.accept(h.spend(uint64(10+i)*wire.MinTxSize, 1, h.cb(smallestPoolTxs+1+i)))
		h.checkCacheIsPool(txs[:i+1]...)
	}
	// 200 bytes at 5,500 per 1,000 beat txs[3] (5,000), the cheapest, and
	// the fee floor the last eviction left (txs[2]'s 4,000 plus 1,000);
	// evicting txs[3] is not room enough, and the newcomer is the
	// cheapest then.
	once := h.spend(1100, 2, h.cb(smallestPoolTxs+4))
	if _, _, err := h.pool.ProcessTransaction(once, false, 0); rejectCode(t, err).Code != RejectMempoolFull {
		t.Fatalf("newcomer evicted at once: %v, want %v", err, RejectMempoolFull)
	}
	h.checkCacheIsPool(txs[3], once)

	// The pool holds 5 transactions; the 3 of the disconnected block come
	// back and two of the pool's cheapest, txs[4] and txs[5], go.
	h.overtake(fork)
	if got := h.ids(); len(got) != smallestPoolTxs || !got[mined[0].TxID()] || got[txs[4].TxID()] || got[txs[5].TxID()] {
		t.Fatalf("pool after the reorganisation: %v", got)
	}
	checkInvariants(t, h.pool)
	h.checkCacheIsPool(txs[4], txs[5])
}

// TestEvictedNewcomerLeavesCacheAlone: a newcomer the full pool evicts at
// once was never cached by the pool, so its leaving does not take its
// txid out of the SigCache, where pre-verification of a block holding it
// may have put it (here: added beforehand); the pool's own entries stay
// cached.
func TestEvictedNewcomerLeavesCacheAlone(t *testing.T) {
	h := smallPoolHarness(t, smallestPoolTxs+1, chain.SigCacheSize(smallestPoolTxs, 1))
	txs := h.fill() // 2,000 to 7,000 per 1,000 bytes
	// About 2,500 per 1,000 bytes beats txs[0], the cheapest, but with two
	// outputs the newcomer is larger than what evicting txs[0] frees, and
	// then it is the cheapest.
	once := h.spend(500, 2, h.cb(smallestPoolTxs+1))
	h.cache.Add(once.TxID())
	if _, _, err := h.pool.ProcessTransaction(once, false, 0); rejectCode(t, err).Code != RejectMempoolFull {
		t.Fatalf("newcomer evicted at once: %v, want %v", err, RejectMempoolFull)
	}
	if !h.cache.Contains(once.TxID()) {
		t.Error("the newcomer's eviction took out a txid the pool never cached")
	}
	if h.cache.Contains(txs[0].TxID()) {
		t.Error("the evicted pool transaction is still cached")
	}
	for id := range h.ids() {
		if !h.cache.Contains(id) {
			t.Errorf("pool transaction %s not in the signature cache", id)
		}
	}
}

// TestReorgDropsBeforeRecaching: a reorganisation that brings back a
// block's transactions and drops every former pool entry (they spent the
// disconnected block's coinbase) leaves the SigCache holding exactly the
// new pool. The cache has room for the pool's entries and no more: were
// the returning transactions cached before the dropped entries left it,
// each would evict an arbitrary entry, often one just cached (with n
// entries a chance of n!/n^n, 0.24%, that none is).
func TestReorgDropsBeforeRecaching(t *testing.T) {
	const n = 8
	h := newHarness(t, harnessConfig{blocks: n, sigCache: n})
	fork := h.g.TipName()
	var back []*wire.Tx // come back after the reorganisation
	for i := range n {
		back = append(back, h.spend(1000, 1, h.cb(i+1)))
	}
	h.mine(back...) // b<n+1>
	fan := h.spend(1000, n-1, h.cb(n+1))
	dropped := []*wire.Tx{fan}
	h.accept(fan)
	for i := range n - 1 {
		tx := h.spend(1000, 1, h.out(fan, uint32(i)))
		h.accept(tx)
		dropped = append(dropped, tx)
	}
	h.checkCacheIsPool()
	if h.cache.Len() != n {
		t.Fatalf("signature cache holds %d transactions, want it full at %d", h.cache.Len(), n)
	}

	h.overtake(fork)
	got := h.ids()
	for _, tx := range back {
		if !got[tx.TxID()] {
			t.Fatalf("pool after the reorganisation: %v, without %s", got, tx.TxID())
		}
	}
	checkInvariants(t, h.pool)
	h.checkCacheIsPool(dropped...)
}

// overtake makes two empty blocks on fork, s1 and s2, the best chain,
// disconnecting the one block mined on fork since.
func (h *harness) overtake(fork string) {
	h.t.Helper()
	h.g.SetTip(fork)
	for _, name := range []string{"s1", "s2"} {
		if _, err := h.c.ProcessBlock(h.g.NextBlock(name, nil)); err != nil {
			h.t.Fatal(err)
		}
	}
}
