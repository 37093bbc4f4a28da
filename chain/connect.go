package chain

import (
	"time"

	"github.com/syndtr/goleveldb/leveldb"

	"powchain/wire"
)

// activateBestChain makes the best candidate the tip: it disconnects back to
// the fork point and connects the candidate's branch block by block. When a
// block fails to connect it is marked invalid (with its descendants) and the
// search starts again, so the chain always ends on the best valid branch,
// which may be the one it left. It returns the first block that failed and
// why; err is a local failure (storage), after which the chain must stop.
// Caller holds c.mu for writing.
//
// Each block's connect batch is written on a goroutine of its own while
// the next block of the branch is checked (connectNode); the activation
// waits for that write before anything else touches the database or the
// tip, and before it returns, so no write is in flight outside it.
func (c *Chain) activateBestChain() (failed *blockNode, failErr error, err error) {
	defer func() {
		if werr := c.finishWrite(); err == nil {
			err = werr
		}
		if c.caughtUp() {
			c.spare = nil // the next block is minutes away
		}
	}()
	for {
		best := c.bestCandidate()
		if best == nil || !best.betterThan(c.tip()) {
			break
		}
		fork := findFork(c.tip(), best)
		for c.tip() != fork {
			if err := c.disconnectTip(); err != nil {
				return failed, failErr, err
			}
		}
		for _, n := range branch(fork, best) {
			connErr, err := c.connectNode(n)
			if err != nil {
				return failed, failErr, err
			}
			if connErr != nil {
				if err := c.finishWrite(); err != nil {
					return failed, failErr, err
				}
				if failed == nil {
					failed, failErr = n, connErr
				}
				if err := c.markInvalid(n); err != nil {
					return failed, failErr, err
				}
				break
			}
		}
		if err := c.finishWrite(); err != nil {
			return failed, failErr, err
		}
	}
	c.pruneCandidates()
	return failed, failErr, nil
}

// bestCandidate returns the best chain end that could be connected.
func (c *Chain) bestCandidate() *blockNode {
	var best *blockNode
	for n := range c.candidates {
		if best == nil || n.betterThan(best) {
			best = n
		}
	}
	return best
}

// pruneCandidates forgets candidates that are worse than the tip: they can
// only win again after a disconnect, which adds them back.
func (c *Chain) pruneCandidates() {
	tip := c.tip()
	for n := range c.candidates {
		if tip.betterThan(n) {
			delete(c.candidates, n)
		}
	}
}

// branch returns the blocks after fork up to and including end, in order.
func branch(fork, end *blockNode) []*blockNode {
	path := make([]*blockNode, end.height-fork.height)
	for n := end; n != fork; n = n.parent {
		path[n.height-fork.height-1] = n
	}
	return path
}

// connectNode connects n, the child of the tip or of the block whose write
// is in flight. ruleErr says n is invalid; err is a local failure.
//
// It checks n against the UTXO set as the in-flight write leaves it (its
// view reads that block's changes first), builds n's batch, checks n's
// signatures, waits for the write in flight (finishWrite: batches stay
// strictly ordered, one at a time) and starts writing n's batch on a
// goroutine. The batch is built before the signatures are checked, and
// dropped if one fails: the pre-verification workers may still be
// checking them, and building it meanwhile leaves less to do once the
// last is checked (at the end of a sync, cores idle). n joins the chain
// in memory (valid, the tip, BlockConnected) only once its batch is
// written, so the chain in memory is never ahead of the database.
func (c *Chain) connectNode(n *blockNode) (ruleErr, err error) {
	start := c.clock.Now()
	blk, txids, err := c.storedBlock(n.hash)
	if err != nil {
		return nil, err
	}
	view, spent, err := c.checkBlockInputs(blk, txids, n.height)
	if err != nil {
		return splitRuleError(err)
	}
	b, err := c.connectBatch(blk, txids, n, view, spent)
	if err != nil {
		return nil, err
	}
	c.store.putIndexStatus(b, n, n.status|statusValid)
	c.store.putTip(b, n)
	if err := c.checkBlockSignatures(blk, txids); err != nil {
		c.recycleBatch(b)
		return splitRuleError(err)
	}
	if err := c.finishWrite(); err != nil {
		return nil, err
	}
	view.under = nil // what it read from there is on disk now
	w := &connectWrite{n: n, blk: blk, txids: txids, view: view, batch: b, start: start, done: make(chan error, 1)}
	go func() { w.done <- c.store.write(b) }()
	c.writing = w
	return nil, nil
}

// connectWrite is a block's connect batch being written (connectNode).
type connectWrite struct {
	n     *blockNode
	blk   *wire.Block
	txids []wire.Hash
	view  *utxoView // the block's UTXO changes, for the next block's view
	batch *leveldb.Batch
	start time.Time
	done  chan error // the write's result; buffered, so the writer never waits
}

// finishWrite waits for the connect batch in flight, if any, and then
// makes its block the tip in memory: valid, on the best chain, its
// connection queued for subscribers. If the write failed the block stays
// as it was (stored, not connected) and the error is a local failure.
// Caller holds c.mu for writing.
func (c *Chain) finishWrite() error {
	w := c.writing
	if w == nil {
		return nil
	}
	c.writing = nil
	if err := <-w.done; err != nil {
		return err
	}
	n := w.n
	n.status |= statusValid
	if c.sigCache != nil {
		c.sigCache.Remove(w.txids) // connected: they will not be checked again
	}
	c.bestChain = append(c.bestChain, n)
	c.recycleBatch(w.batch) // written: LevelDB holds no reference to it
	c.queue(Notification{Type: BlockConnected, Block: w.blk, Hash: n.hash, Height: n.height})
	if c.connectTimer != nil {
		c.connectTimer(c.clock.Now().Sub(w.start))
	}
	return nil
}

// connectBatch returns a batch with the changes of connecting blk (n) that
// checkConnectBlock computed: the UTXO set, the undo record and the
// indexes; the caller adds the index record and the tip.
func (c *Chain) connectBatch(blk *wire.Block, txids []wire.Hash, n *blockNode, view *utxoView, spent []UtxoEntry) (*leveldb.Batch, error) {
	b := c.newConnectBatch(blk)
	view.commit(b)
	c.store.putUndo(b, n.hash, spent)
	if err := c.indexBlock(b, blk, txids, n.hash, n.height, spent, c.indexes()); err != nil {
		return nil, err
	}
	return b, nil
}

// recycleBatch keeps b, a connect batch no longer in use, for the next
// block to build its own in; caller holds c.mu.
func (c *Chain) recycleBatch(b *leveldb.Batch) {
	c.spare = b
}

// newConnectBatch returns an empty batch for connecting blk: the spare
// one if there is one (it keeps the room it grew to), else one sized for
// blk. Caller holds c.mu.
func (c *Chain) newConnectBatch(blk *wire.Block) *leveldb.Batch {
	if b := c.spare; b != nil {
		c.spare = nil
		b.Reset()
		return b
	}
	return leveldb.MakeBatch(connectBatchSize(blk))
}

// connectBatchSize bounds from above the bytes of the batch that connects
// blk: per spent output its UTXO delete, its history record rewritten as
// spent and its undo entry; per new output its UTXO entry and history
// record; per transaction its transaction-index record. (A chain without
// the history writes address-index keys instead, fewer bytes.) Sizing the
// batch once spares growing it by doubling, a few megabytes copied per
// full block.
func connectBatchSize(blk *wire.Block) int {
	const perInput, perOutput, perTx = 220, 160, 80
	size := 1024 // tip, height, index record, undo record's key
	for _, tx := range blk.Transactions {
		size += perTx + perInput*len(tx.Inputs) + perOutput*len(tx.Outputs)
	}
	return size
}

// storedBlock returns the body of the stored block hash and its
// transactions' ids: as acceptBlock kept them if it still does (the block
// being processed, or one that waited for its parent), else read from the
// store.
func (c *Chain) storedBlock(hash wire.Hash) (*wire.Block, []wire.Hash, error) {
	if blk, txids, ok := c.accepted.take(hash); ok {
		return blk, txids, nil
	}
	c.bodyReads++
	blk, err := c.store.block(hash)
	if err != nil {
		return nil, nil, err
	}
	if blk == nil {
		return nil, nil, corrupt("block %s is marked stored but its body is missing", hash)
	}
	return blk, blk.TxIDs(), nil
}

// splitRuleError sorts err into a rule error (the block is invalid) or a
// local failure, as connectNode returns them.
func splitRuleError(err error) (ruleErr, localErr error) {
	if _, isRule := ErrorCodeOf(err); isRule {
		return err, nil
	}
	return nil, err
}

// checkConnectBlock runs the rules that need the UTXO set and returns the
// view with the block applied and the outputs it spent, in order: the
// inputs (checkBlockInputs), then, once everything cheaper has passed, the
// signatures.
func (c *Chain) checkConnectBlock(blk *wire.Block, txids []wire.Hash, height uint64) (*utxoView, []UtxoEntry, error) {
	view, spent, err := c.checkBlockInputs(blk, txids, height)
	if err != nil {
		return nil, nil, err
	}
	if err := c.checkBlockSignatures(blk, txids); err != nil {
		return nil, nil, err
	}
	return view, spent, nil
}

// checkBlockInputs runs the rules that need the UTXO set, all but the
// signatures, and returns the view with the block applied and the outputs
// it spent, in order. Inputs are looked up in transaction order, so a
// transaction may spend an output of an earlier one in the same block but
// not of a later one.
func (c *Chain) checkBlockInputs(blk *wire.Block, txids []wire.Hash, height uint64) (*utxoView, []UtxoEntry, error) {
	view := newUtxoView(c.store, blockViewSize(blk))
	if c.writing != nil {
		view.under = c.writing.view
	}
	var spent []UtxoEntry
	var fees uint64
	for i, tx := range blk.Transactions {
		txid := txids[i]
		if i > 0 {
			txSpent, fee, err := CheckTransactionInputs(tx, height, view, c.params)
			if err != nil {
				return nil, nil, wrapTxError(err, txid)
			}
			for j := range tx.Inputs {
				view.spend(tx.Inputs[j].PrevOut)
			}
			spent = append(spent, txSpent...)
			fees += fee
		}
		view.addOutputs(tx, txid, height)
	}
	coinbaseOut, _ := sumOutputs(blk.Transactions[0])
	if limit := c.params.CalcBlockSubsidy(height) + fees; coinbaseOut > limit {
		return nil, nil, ruleError(ErrBadCoinbaseValue, "coinbase pays %d, more than subsidy plus fees %d", coinbaseOut, limit)
	}
	return view, spent, nil
}

// checkBlockSignatures checks the signatures of blk's transactions: it
// helps finish the block's pre-verification job, if there is one, then
// checks what the SigCache does not vouch for.
func (c *Chain) checkBlockSignatures(blk *wire.Block, txids []wire.Hash) error {
	if c.preverify != nil {
		c.preverify.join(blk.BlockHash(), c.sigWorkers)
	}
	return verifyBlockSignatures(blk.Transactions, txids, c.sigWorkers, c.sigCache, &c.sigChecks)
}

// wrapTxError prefixes a rule error with the transaction it concerns.
func wrapTxError(err error, txid wire.Hash) error {
	if re, ok := err.(RuleError); ok {
		re.Description = "transaction " + txid.String() + ": " + re.Description
		return re
	}
	return err
}

// connectedBlock reads the body and the undo record of n, a block on the
// best chain.
func (c *Chain) connectedBlock(n *blockNode) (*wire.Block, []UtxoEntry, error) {
	blk, err := c.store.block(n.hash)
	if err != nil {
		return nil, nil, err
	}
	if blk == nil {
		return nil, nil, corrupt("connected block %s has no body", n.hash)
	}
	spent, err := c.store.undo(n.hash)
	if err != nil {
		return nil, nil, err
	}
	return blk, spent, nil
}

// disconnectTip undoes the tip block: its outputs leave the UTXO set and
// the outputs it spent come back from its undo record, in one batch. The
// block stays a candidate: it may be connected again.
func (c *Chain) disconnectTip() error {
	n := c.tip()
	blk, spent, err := c.connectedBlock(n)
	if err != nil {
		return err
	}
	view := newUtxoView(c.store, blockViewSize(blk))
	k := len(spent)
	for i := len(blk.Transactions) - 1; i >= 0; i-- {
		tx := blk.Transactions[i]
		view.removeOutputs(tx, tx.TxID())
		if i == 0 {
			break
		}
		for j := len(tx.Inputs) - 1; j >= 0; j-- {
			if k == 0 {
				return corrupt("undo record of %s is too short", n.hash)
			}
			k--
			view.restore(tx.Inputs[j].PrevOut, spent[k])
		}
	}
	if k != 0 {
		return corrupt("undo record of %s has %d extra entries", n.hash, k)
	}
	b := new(leveldb.Batch)
	view.commit(b)
	c.unindexBlock(b, blk, n.height, spent)
	b.Delete(hashKey(prefixUndo, n.hash))
	b.Delete(heightKey(n.height))
	c.store.putTip(b, n.parent)
	if err := c.store.write(b); err != nil {
		return err
	}
	c.bestChain = c.bestChain[:len(c.bestChain)-1]
	c.candidates[n] = struct{}{}
	c.queue(Notification{Type: BlockDisconnected, Block: blk, Hash: n.hash, Height: n.height})
	return nil
}
