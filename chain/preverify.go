package chain

import (
	"slices"
	"sync"
	"sync/atomic"

	"powchain/wire"
)

// DefaultPreverifyBlocks is how many blocks may wait for pre-verification
// unless Config.PreverifyBlocks says otherwise.
const DefaultPreverifyBlocks = 8

// preverifier checks the signatures of downloaded blocks ahead of their
// connection, so that while the chain connects one block (UTXO checks, the
// write) the cores verify the next ones. Results go to the SigCache, where
// connecting finds them; a transaction that fails is simply not cached and
// is checked again, in block order, when its block connects, so the
// outcome and the reported error never depend on what was pre-verified.
// Connecting a block takes its txids out of the cache; the results of a
// block that never connects (refused, or on a branch that loses) stay
// until the cache's bound evicts them. They are not taken out when the
// block is refused: an entry may be the pool's too (the cache does not
// say who added it), and a block refused because its timestamp is still
// too far ahead (ErrTimeTooNew) may come back and connect. Such a block is
// one the node asked for because its header is in the index (Preverify
// itself checks only that its hash meets its header's target), and it
// leaves at most its own transactions; they take pre-verification's room
// (SigCacheSize) only when the pool is within that many transactions of
// its capacity.
//
// A block is a job whose transactions are claimed one at a time through an
// atomic cursor, by the queue's workers and, when the block comes up for
// connection, by the connecting goroutines too (join): no valid
// transaction is verified twice, and connection never waits for a
// transaction nobody has started.
//
// Jobs wait in the order of the heights their coinbases claim, lowest
// first, not in the order the blocks arrived: the chain connects blocks
// in height order, so the workers check first what the chain will ask
// for first, and the last block of a sync is the last one checked, while
// the blocks before it connect (with two peers, a later block often
// arrives before an earlier one). A false claim (the block is then
// invalid) only moves a job in the queue.
//
// Bounds: at most maxBlocks jobs wait or run (a job holds its block until
// it finishes), and at most workers goroutines verify. Results are bounded
// by the SigCache's room, not by maxBlocks: a block is queued only if the
// cache has room for its transactions beside its entries and what the
// unfinished jobs have yet to settle (unsettled), and a finished job's
// results take that room until its block connects. So with the pool at
// its fullest, a cache sized by SigCacheSize lets pre-verification run as
// many full blocks ahead of the connection as it was sized for, running
// or finished; a pool below its fullest lends it the rest (and, filling
// up, evicts arbitrary entries: a check more each when their blocks
// connect). Counting a finished job against maxBlocks until its block
// connects would need the queue to learn every block's fate (refused, or
// left on a losing branch); one it missed would hold a slot for good.
// Workers are started on demand by submit and exit when the queue is
// empty; close drops the waiting jobs and waits for them.
//
// Lock contract: mu guards the fields after it and is held only for queue
// and map operations, never while verifying. It may be taken under the
// chain's mu (join), never the other way round.
type preverifier struct {
	cache     *SigCache
	checks    *atomic.Uint64 // counts the transactions checked
	maxBlocks int
	workers   int

	closed atomic.Bool // set once by close, under mu; workers stop claiming
	wg     sync.WaitGroup
	// unsettled counts the transactions of the unfinished jobs whose
	// results are not yet in the SigCache: submit adds a job's under mu,
	// a goroutine running it takes them off as it settles them (after
	// adding the results), so the room check counts every transaction
	// once, in the cache or here.
	unsettled atomic.Int64

	mu     sync.Mutex
	queue  []*sigJob             // jobs by claimed height; a worker may run any of them
	jobs   map[wire.Hash]*sigJob // unfinished jobs by block hash
	active int                   // running workers
}

// sigJob is the signature check of one block's transactions.
type sigJob struct {
	hash     wire.Hash
	height   uint64 // as the block's coinbase claims it
	txs      []*wire.Tx
	txids    []wire.Hash
	next     atomic.Int64  // index of the next transaction to claim
	finished atomic.Int64  // transactions checked
	done     chan struct{} // closed when every transaction is checked
}

func newPreverifier(cache *SigCache, checks *atomic.Uint64, maxBlocks, workers int) *preverifier {
	return &preverifier{cache: cache, checks: checks, maxBlocks: maxBlocks, workers: workers, jobs: make(map[wire.Hash]*sigJob)}
}

// submit queues blk unless it is queued already, the queue is full, the
// SigCache lacks room for its results, or its transactions are not the
// ones its header commits to (or it has none: such a job would never
// finish). It never blocks on verification.
func (q *preverifier) submit(blk *wire.Block) bool {
	txids := blk.TxIDs()
	if root, mutated := wire.MerkleRoot(txids); len(txids) == 0 || root != blk.Header.MerkleRoot || mutated {
		return false
	}
	hash := blk.BlockHash()
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, dup := q.jobs[hash]; dup || q.closed.Load() || len(q.jobs) >= q.maxBlocks || !q.hasRoom(len(txids)) {
		return false
	}
	job := &sigJob{hash: hash, height: claimedHeight(blk), txs: blk.Transactions, txids: txids, done: make(chan struct{})}
	q.jobs[hash] = job
	q.enqueue(job)
	q.unsettled.Add(int64(len(txids)))
	if q.active < q.workers {
		q.active++
		q.wg.Add(1)
		go q.work()
	}
	return true
}

// hasRoom reports whether the SigCache has room for n more results beside
// its entries and those the unfinished jobs may still add; caller holds
// mu, so no job is added meanwhile. unsettled is read first: a result
// settled in between is then counted twice, never missed (settling adds
// to the cache before it takes off unsettled).
func (q *preverifier) hasRoom(n int) bool {
	unsettled := int(q.unsettled.Load())
	return q.cache.Len()+unsettled+n <= q.cache.max
}

// enqueue puts job after every queued job of its height or lower; caller
// holds mu.
func (q *preverifier) enqueue(job *sigJob) {
	i := len(q.queue)
	for i > 0 && q.queue[i-1].height > job.height {
		i--
	}
	q.queue = slices.Insert(q.queue, i, job)
}

// work runs jobs until the queue is empty.
func (q *preverifier) work() {
	defer q.wg.Done()
	for {
		job := q.head()
		if job == nil {
			return
		}
		q.run(job, &q.closed)
	}
}

// head returns the first job with transactions left to claim, dropping
// the exhausted ones, or nil (and the worker is retired) when there is
// none.
func (q *preverifier) head() *sigJob {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.queue = slices.DeleteFunc(q.queue, func(job *sigJob) bool { return job.next.Load() >= int64(len(job.txs)) })
	if len(q.queue) == 0 || q.closed.Load() {
		q.active--
		return nil
	}
	return q.queue[0]
}

// runBatch is how many transactions a goroutine running a job checks
// before it puts those that verified into the SigCache in one call
// (SigCache.AddAll): four goroutines (two workers, two joining) adding
// every transaction on its own contended for the cache's lock, and one
// holding it while descheduled left the others waiting with a core idle.
const runBatch = 32

// run claims and checks job's transactions until none is left to claim
// or stop is set. A transaction counts as finished only once it is in the
// SigCache (if it verified), so a finished job's valid transactions are
// all cached; the goroutine that finishes the last one finishes the job.
func (q *preverifier) run(job *sigJob, stop *atomic.Bool) {
	n := int64(len(job.txs))
	var verified [runBatch]wire.Hash
	valid, claimed := 0, 0
	settle := func() {
		q.cache.AddAll(verified[:valid])
		q.unsettled.Add(-int64(claimed))
		if job.finished.Add(int64(claimed)) == n {
			q.finish(job)
		}
		valid, claimed = 0, 0
	}
	for !stop.Load() {
		i := job.next.Add(1) - 1
		if i >= n {
			break
		}
		claimed++
		if tx := job.txs[i]; !tx.IsCoinbase() && !q.cache.Contains(job.txids[i]) {
			q.checks.Add(1)
			if VerifyTxSignatures(tx) == nil {
				verified[valid] = job.txids[i]
				valid++
			}
		}
		if claimed == runBatch {
			settle()
		}
	}
	if claimed > 0 {
		settle()
	}
}

func (q *preverifier) finish(job *sigJob) {
	q.mu.Lock()
	if q.jobs[job.hash] == job {
		delete(q.jobs, job.hash)
	}
	q.mu.Unlock()
	close(job.done)
}

// join helps finish the job of the block hash, if there is one, on workers
// goroutines and waits until every one of its transactions is checked. It
// claims whatever is left even after close, so it always ends.
func (q *preverifier) join(hash wire.Hash, workers int) {
	q.mu.Lock()
	job := q.jobs[hash]
	q.mu.Unlock()
	if job == nil {
		return
	}
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q.run(job, new(atomic.Bool))
		}()
	}
	wg.Wait()
	<-job.done
}

// close stops the workers claiming and waits for them to finish the
// transactions they hold; the jobs left are dropped with the chain.
func (q *preverifier) close() {
	q.mu.Lock() // submit starts workers under mu: none starts after this
	q.closed.Store(true)
	q.mu.Unlock()
	q.wg.Wait()
}

// Preverify queues the signature checks of blk, a block the caller asked a
// peer for because its header is in the index, so that they run on other
// cores while the chain connects the blocks before it; connecting blk then
// finds them in the SigCache. It returns at once, reporting whether blk was
// queued: not when pre-verification is off, the queue is full, blk is
// queued already, or blk's proof of work or merkle root is wrong (its
// transactions then are not what a valid header commits to). Whether and
// when blk was pre-verified never changes what connecting it decides. Safe
// for concurrent use; it never waits for the chain's lock, so a peer's
// reader may call it while a block connects.
func (c *Chain) Preverify(blk *wire.Block) bool {
	if c.preverify == nil || checkProofOfWork(&blk.Header, c.params.PowLimit) != nil {
		return false
	}
	return c.preverify.submit(blk)
}
