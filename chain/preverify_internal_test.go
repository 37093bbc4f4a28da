package chain

import (
	"slices"
	"sync/atomic"
	"testing"

	"powchain/wire"
)

// coinbaseBlock is a block of one coinbase claiming height, its header
// committing to it.
func coinbaseBlock(height uint64) *wire.Block {
	cb := wire.NewCoinbaseTx(wire.CoinbaseData{Height: height}, []wire.TxOut{{Amount: 1}})
	blk := &wire.Block{Transactions: []*wire.Tx{cb}}
	blk.Header.MerkleRoot, _ = wire.MerkleRoot(blk.TxIDs())
	return blk
}

// queuedHeights lists the heights of q's jobs in queue order.
func queuedHeights(q *preverifier) []uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	var hs []uint64
	for _, job := range q.queue {
		hs = append(hs, job.height)
	}
	return hs
}

// The queue holds jobs lowest claimed height first, whatever the order the
// blocks arrived in, equal heights in arrival order; the workers take the
// lowest first.
func TestPreverifyQueueByHeight(t *testing.T) {
	q := newPreverifier(NewSigCache(100), new(atomic.Uint64), 8, 0) // no workers: the queue stays as submitted
	var second5 *wire.Block
	for i, h := range []uint64{7, 5, 9, 6, 5} {
		blk := coinbaseBlock(h)
		if i == 4 {
			blk.Header.Nonce = 1 // another block at height 5
			second5 = blk
		}
		if !q.submit(blk) {
			t.Fatalf("block at height %d not queued", h)
		}
	}
	if got, want := queuedHeights(q), []uint64{5, 5, 6, 7, 9}; !slices.Equal(got, want) {
		t.Fatalf("queue by height %v, want %v", got, want)
	}
	if q.queue[1].hash != second5.BlockHash() {
		t.Error("the second block at height 5 is not after the first")
	}
	first := q.head()
	if first == nil || first.height != 5 {
		t.Fatalf("head is %+v, want a job at height 5", first)
	}
	q.run(first, new(atomic.Bool)) // exhausts it: the next head is the other 5
	if next := q.head(); next == nil || next.hash != second5.BlockHash() {
		t.Fatalf("head after the first is %+v, want the second block at height 5", next)
	}
}

// A block without transactions is never queued: its job could not finish.
func TestPreverifyRefusesEmptyBlock(t *testing.T) {
	q := newPreverifier(NewSigCache(100), new(atomic.Uint64), 8, 0)
	blk := &wire.Block{}
	blk.Header.MerkleRoot, _ = wire.MerkleRoot(nil)
	if q.submit(blk) {
		t.Fatal("empty block queued")
	}
}
