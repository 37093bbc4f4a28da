package chain

import (
	"slices"
	"sync/atomic"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"

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

// signedBlock is a block claiming height of a coinbase and spends
// transactions whose signatures verify (their inputs spend nothing real:
// pre-verification checks signatures only), its header committing to them.
func signedBlock(t *testing.T, height uint64, spends int) *wire.Block {
	t.Helper()
	key, err := btcec.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	blk := coinbaseBlock(height)
	for i := range spends {
		tx := &wire.Tx{Version: 1, Inputs: []wire.TxIn{{PrevOut: wire.OutPoint{Index: uint32(i)}}}, Outputs: []wire.TxOut{{Amount: height}}}
		if err := wire.SignInputs(tx, []*btcec.PrivateKey{key}); err != nil {
			t.Fatal(err)
		}
		blk.Transactions = append(blk.Transactions, tx)
	}
	blk.Header.MerkleRoot, _ = wire.MerkleRoot(blk.TxIDs())
	return blk
}

// The room check counts each transaction of a running job once: in the
// SigCache once its result is settled there, as still to come before.
// Here a worker holds the first held transactions of a job (claimed, not
// yet settled) while another has settled the rest; a block needing
// exactly the room left is queued, one needing one more is not.
func TestPreverifyRoomCountsRunningJobOnce(t *testing.T) {
	const spends, held = 40, 8
	running := signedBlock(t, 1, spends) // its coinbase is among the held
	fits := signedBlock(t, 2, 4)
	settled := len(running.Transactions) - held
	cache := NewSigCache(settled + held + len(fits.Transactions))
	q := newPreverifier(cache, new(atomic.Uint64), 8, 0) // no workers: the test runs the job
	if !q.submit(running) {
		t.Fatal("block not queued in an empty cache with room for it")
	}
	job := q.head()
	job.next.Store(held) // another goroutine claimed these and is checking them
	q.run(job, new(atomic.Bool))
	if cache.Len() != settled {
		t.Fatalf("%d results settled in the cache, want %d", cache.Len(), settled)
	}
	if q.submit(signedBlock(t, 2, len(fits.Transactions))) {
		t.Error("queued a block needing one more entry than the cache has room for")
	}
	if !q.submit(fits) {
		t.Error("refused a block needing exactly the room left: the running job's settled results counted twice")
	}
}

// A finished job leaves maxBlocks' count, and its results stay in the
// SigCache until its block connects: they take the room, so the blocks
// pre-verified and not yet connected, finished or not, never hold more
// results than the cache has room for, and connecting frees it.
func TestPreverifyFinishedResultsTakeRoomUntilConnected(t *testing.T) {
	first, second, third := signedBlock(t, 1, 9), signedBlock(t, 2, 9), signedBlock(t, 3, 9)
	cache := NewSigCache(2 * len(first.Transactions))
	// One unfinished block at a time, and no workers: runToEnd runs a job
	// whole, as a worker would.
	q := newPreverifier(cache, new(atomic.Uint64), 1, 0)
	runToEnd := func(blk *wire.Block) { q.run(q.jobs[blk.BlockHash()], new(atomic.Bool)) }
	if !q.submit(first) {
		t.Fatal("first block not queued")
	}
	if q.submit(second) {
		t.Error("second block queued while the first is unfinished (maxBlocks 1)")
	}
	runToEnd(first)
	if !q.submit(second) {
		t.Error("second block refused after the first finished")
	}
	runToEnd(second)
	if q.submit(third) {
		t.Error("third block queued with the cache full of two finished blocks' results")
	}
	cache.Remove(first.TxIDs()) // as connecting the first block does
	if !q.submit(third) {
		t.Error("third block refused once the first connected")
	}
}
