package chain

import (
	"errors"
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"

	"powchain/wire"
)

// InvalidateBlock marks a block invalid by operator decision (RPC
// invalidateblock), with all its descendants. If it is on the best chain,
// the chain disconnects back to its parent and moves to the best remaining
// valid chain; if that stops midway (a crash), opening the chain finishes
// it. The genesis block cannot be invalidated.
func (c *Chain) InvalidateBlock(hash wire.Hash) error {
	c.mu.Lock()
	defer c.unlockAndNotify()
	n := c.index.get(hash)
	if n == nil {
		return fmt.Errorf("block %s not found", hash)
	}
	if n.parent == nil {
		return fmt.Errorf("the genesis block cannot be invalidated")
	}
	tipBefore := c.tip()
	if err := c.markInvalid(n); err != nil {
		return err
	}
	for c.onBestChain(n) {
		if err := c.disconnectTip(); err != nil {
			return err
		}
	}
	// The tip went down: branches pruned as worse than the old tip may be
	// the best now.
	c.resetCandidates()
	_, _, err := c.activateBestChain()
	return errors.Join(err, c.settleTip(tipBefore))
}

// ReconsiderBlock removes invalid marks (from InvalidateBlock or from a
// failed validation) from a block, its ancestors and its descendants, and
// lets the best chain move onto them again (RPC reconsiderblock). Blocks
// that really are invalid fail again when they are connected.
func (c *Chain) ReconsiderBlock(hash wire.Hash) error {
	c.mu.Lock()
	defer c.unlockAndNotify()
	n := c.index.get(hash)
	if n == nil {
		return fmt.Errorf("block %s not found", hash)
	}
	tipBefore := c.tip()
	b := new(leveldb.Batch)
	clear := func(d *blockNode) {
		if d.status.knownInvalid() {
			d.status &^= statusValidateFailed | statusInvalidAncestor
			c.store.putIndex(b, d)
		}
		if d.fullData() && !c.tip().betterThan(d) {
			c.candidates[d] = struct{}{}
		}
		if d.betterThan(c.bestHeader) {
			c.setBestHeader(d)
		}
	}
	for a := n; a != nil; a = a.parent {
		clear(a)
	}
	n.descendants(clear)
	if err := c.store.write(b); err != nil {
		return err
	}
	_, _, err := c.activateBestChain()
	return errors.Join(err, c.settleTip(tipBefore))
}

// resetCandidates rebuilds the candidate set from the whole index; caller
// holds c.mu.
func (c *Chain) resetCandidates() {
	clear(c.candidates)
	tip := c.tip()
	for n := range c.index.all() {
		if n.fullData() && !n.status.knownInvalid() && !tip.betterThan(n) {
			c.candidates[n] = struct{}{}
		}
	}
}
