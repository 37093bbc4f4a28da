package chain

import (
	"errors"
	"fmt"
	"slices"

	"github.com/syndtr/goleveldb/leveldb"

	"powchain/wire"
)

// ErrUnknownParent is returned by ProcessHeaders for a header whose parent
// the node does not know: the peer must send headers in order from a block
// the node has.
var ErrUnknownParent = errors.New("header does not connect to a known block")

// ProcessResult tells what became of a block that was not rejected.
type ProcessResult struct {
	// Orphan: the parent is unknown; the block waits in the orphan pool.
	Orphan bool
	// MainChain: the block is on the best chain after processing.
	MainChain bool
}

// ProcessBlock validates blk and, if it is valid, stores it and makes the
// chain with the most work the best chain, reorganising if needed. A
// RuleError means blk (or, for ErrInvalidAncestor, a block it builds on)
// breaks a consensus rule; any other error is a local failure. Safe for
// concurrent use: calls are serialised, and notifications are delivered
// after the chain's lock is released.
//
// The chain may keep blk after the call (an orphan waits in the orphan
// pool; a block stored ahead of its parent is kept decoded until it
// connects, a few at most) and hands it to subscribers: the caller must
// not change blk or its transactions once it has passed it here.
func (c *Chain) ProcessBlock(blk *wire.Block) (ProcessResult, error) {
	c.mu.Lock()
	defer c.unlockAndNotify()
	tipBefore := c.tip()
	res, err := c.processBlock(blk)
	if serr := c.settleTip(tipBefore); serr != nil {
		return res, serr
	}
	return res, err
}

func (c *Chain) processBlock(blk *wire.Block) (ProcessResult, error) {
	hash := blk.BlockHash()
	n := c.index.get(hash)
	if n != nil && n.status.knownInvalid() {
		return ProcessResult{}, ruleError(ErrKnownInvalid, "block %s is known to be invalid", hash)
	}
	if (n != nil && n.status&statusDataStored != 0) || c.orphans.has(hash) {
		return ProcessResult{}, ruleError(ErrDuplicateBlock, "already have block %s", hash)
	}
	txids := blk.TxIDs()
	if err := checkBlockSanity(blk, txids, c.params, c.clock.Now()); err != nil {
		if n != nil {
			if ferr := c.markIfInvalid(n, err); ferr != nil {
				return ProcessResult{}, ferr
			}
		}
		return ProcessResult{}, err
	}
	parent := c.index.get(blk.Header.PrevBlock)
	if parent == nil {
		c.orphans.add(blk, hash, c.clock.Now())
		return ProcessResult{Orphan: true}, nil
	}
	n, err := c.acceptBlock(blk, txids, parent)
	if err != nil {
		return ProcessResult{}, err
	}
	failed, failErr, err := c.activateBestChain()
	if err != nil {
		return ProcessResult{}, err
	}
	if err := c.processOrphans(hash); err != nil {
		return ProcessResult{}, err
	}
	res := ProcessResult{MainChain: c.onBestChain(n)}
	switch {
	case failed == n:
		return res, failErr
	case failed != nil && n.ancestor(failed.height) == failed:
		return res, ruleError(ErrInvalidAncestor, "block %s builds on invalid block %s: %v", hash, failed.hash, failErr)
	}
	return res, nil
}

// acceptBlock checks blk against its parent, adds it to the index (if its
// header is new) and stores its body. The block is not connected yet;
// txids are its transactions' ids, kept for connecting it.
func (c *Chain) acceptBlock(blk *wire.Block, txids []wire.Hash, parent *blockNode) (*blockNode, error) {
	hash := blk.BlockHash()
	if parent.status.knownInvalid() {
		return nil, ruleError(ErrInvalidAncestor, "block %s builds on invalid block %s", hash, parent.hash)
	}
	n := c.index.get(hash)
	if n == nil {
		if err := checkHeaderContext(&blk.Header, parent, c.params); err != nil {
			return nil, err
		}
	}
	if err := checkBlockContext(blk, parent.height+1); err != nil {
		if n != nil {
			if ferr := c.markIfInvalid(n, err); ferr != nil {
				return nil, ferr
			}
		}
		return nil, err
	}
	isNew, bestBefore := n == nil, c.bestHeader
	if isNew {
		n = c.addHeader(&blk.Header, parent)
	}
	n.status |= statusDataStored
	n.txCount = uint32(len(blk.Transactions))
	n.sequence = c.nextSequence
	c.nextSequence++
	b := new(leveldb.Batch)
	c.store.putBlock(b, blk)
	c.store.putIndex(b, n)
	if err := c.store.write(b); err != nil {
		// Not stored, so not in memory either: a body sent again must be
		// taken, and a child must not be stored on a block (a header,
		// if new) that has no record on disk.
		if isNew {
			c.forgetHeaders([]*blockNode{n}, bestBefore)
		} else {
			n.status &^= statusDataStored
			n.sequence, n.txCount = 0, 0
		}
		return nil, err
	}
	c.accepted.add(hash, n.height, blk, txids, c.tip().height)
	c.dataArrived(n)
	if n.betterThan(c.bestHeader) {
		c.setBestHeader(n) // an equal-work header ranks higher once its data arrived first
	}
	return n, nil
}

// addHeader adds a checked header to the index; the caller persists it.
func (c *Chain) addHeader(h *wire.BlockHeader, parent *blockNode) *blockNode {
	n := newBlockNode(h, parent)
	c.index.put(n)
	if n.betterThan(c.bestHeader) {
		c.setBestHeader(n)
	}
	return n
}

// dataArrived records that n's body is stored: n and any descendants whose
// bodies were waiting for it now have their full chain of data and may
// become the best chain.
func (c *Chain) dataArrived(n *blockNode) {
	if n.parent != nil && !n.parent.fullData() {
		return
	}
	queue := []*blockNode{n}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		d.countChainTxs()
		if !d.status.knownInvalid() && !c.tip().betterThan(d) {
			c.candidates[d] = struct{}{}
		}
		for child := d.firstChild; child != nil; child = child.nextSibling {
			if child.status&statusDataStored != 0 && !child.fullData() {
				queue = append(queue, child)
			}
		}
	}
}

// processOrphans accepts the orphans that were waiting for parent, and
// theirs in turn. Their failures are theirs: they do not fail the block
// that released them.
func (c *Chain) processOrphans(parent wire.Hash) error {
	queue := []wire.Hash{parent}
	for len(queue) > 0 {
		prev := queue[0]
		queue = queue[1:]
		for _, o := range c.orphans.takeChildren(prev) {
			if _, err := c.acceptBlock(o.block, o.block.TxIDs(), c.index.get(prev)); err != nil {
				if _, isRule := ErrorCodeOf(err); isRule {
					continue
				}
				return err
			}
			if _, _, err := c.activateBestChain(); err != nil {
				return err
			}
			queue = append(queue, o.hash)
		}
	}
	return nil
}

// ProcessHeaders validates headers (proof of work, aserti3-2d target,
// timestamps) and adds them to the block index without their bodies, for
// headers-first sync. Each header must build on a known block or on the
// header before it. It stops at the first bad header and returns its error,
// keeping the good headers before it. It stores any valid header: the
// caller decides whether a chain has the work to be worth storing (p2p
// does, against Tip and Params.MinChainWork). Safe for concurrent use.
//
// The headers it keeps are written in one batch; if that write fails, it
// keeps none of them (and returns the local failure, with the rule error
// if there was one): a block stored later on a header kept only in memory
// would have an index record without its parent's, which no open can
// load.
func (c *Chain) ProcessHeaders(headers []wire.BlockHeader) (err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := new(leveldb.Batch)
	var added []*blockNode
	bestBefore := c.bestHeader
	defer func() {
		if b.Len() == 0 {
			return
		}
		if werr := c.store.write(b); werr != nil {
			c.forgetHeaders(added, bestBefore)
			err = errors.Join(err, werr)
		}
	}()
	now := c.clock.Now()
	for i := range headers {
		h := &headers[i]
		hash := h.BlockHash()
		if n := c.index.get(hash); n != nil {
			if n.status.knownInvalid() {
				return ruleError(ErrKnownInvalid, "header %s is known to be invalid", hash)
			}
			continue
		}
		parent := c.index.get(h.PrevBlock)
		if parent == nil {
			return fmt.Errorf("%w: header %s, parent %s", ErrUnknownParent, hash, h.PrevBlock)
		}
		if parent.status.knownInvalid() {
			return ruleError(ErrInvalidAncestor, "header %s builds on invalid block %s", hash, parent.hash)
		}
		if err := checkHeaderSanity(h, c.params, now); err != nil {
			return err
		}
		if err := checkHeaderContext(h, parent, c.params); err != nil {
			return err
		}
		n := c.addHeader(h, parent)
		added = append(added, n)
		c.store.putIndex(b, n)
	}
	return nil
}

// forgetHeaders takes added, headers just added to the index (parents
// first) whose records failed to be written, out of it again, and makes
// best, the best header before they came, the best header again.
func (c *Chain) forgetHeaders(added []*blockNode, best *blockNode) {
	for _, n := range slices.Backward(added) {
		c.index.delete(n.hash)
		n.unlink()
	}
	c.setBestHeader(best)
}

// markIfInvalid marks n invalid if err is a rule error that proves it.
func (c *Chain) markIfInvalid(n *blockNode, err error) error {
	if code, ok := ErrorCodeOf(err); ok && code.marksInvalid() {
		return c.markInvalid(n)
	}
	return nil
}

// markInvalid records that n broke a consensus rule and that every block
// building on it is invalid too. None of them can become the best chain.
func (c *Chain) markInvalid(n *blockNode) error {
	b := new(leveldb.Batch)
	n.status |= statusValidateFailed
	delete(c.candidates, n)
	c.store.putIndex(b, n)
	n.descendants(func(d *blockNode) {
		d.status |= statusInvalidAncestor
		delete(c.candidates, d)
		c.store.putIndex(b, d)
	})
	if c.bestHeader.status.knownInvalid() {
		// Not from the tip: InvalidateBlock marks the tip's own branch
		// before it disconnects it. The genesis block is never invalid.
		var best *blockNode
		for m := range c.index.all() {
			if !m.status.knownInvalid() && (best == nil || m.betterThan(best)) {
				best = m
			}
		}
		c.setBestHeader(best)
	}
	return c.store.write(b)
}
