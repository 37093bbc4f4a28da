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

// fullPoolHarness returns a harness whose pool holds smallestPoolTxs
// transactions of wire.MinTxSize at most, and whose SigCache has room for
// the pool and preverifyBlocks blocks (chain.SigCacheSize, as the node sizes
// it), with coinbases b1 to b<blocks> to spend.
func fullPoolHarness(t *testing.T, blocks, preverifyBlocks int) *harness {
	policy := func(p *Policy) { p.MaxPoolBytes = smallestPoolTxs * wire.MinTxSize }
	p := DefaultPolicy()
	policy(&p)
	return newHarness(t, harnessConfig{blocks: blocks, policy: policy, sigCache: chain.SigCacheSize(p.MaxTxs(), preverifyBlocks)})
}

// fill admits smallestPoolTxs of the smallest transactions, spending b1 to
// b6's coinbases, paying fee rates rising from 2000 per 1000 bytes; the
// pool is then full.
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

	h := fullPoolHarness(t, smallestPoolTxs+blockTxs, 1)
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

	tight := newHarness(t, harnessConfig{blocks: smallestPoolTxs + blockTxs, policy: func(p *Policy) { p.MaxPoolBytes = smallestPoolTxs * wire.MinTxSize },
		sigCache: smallestPoolTxs + blockTxs - 1})
	tight.fill()
	if tight.c.Preverify(block(tight)) {
		t.Fatal("pre-verification queued a block the cache has no room for")
	}
}
