package chain

import (
	"errors"

	"powchain/wire"
)

// ErrProposalNotOnTip: a block proposal does not build on the current tip,
// so nothing can be said of it (BIP 23's inconclusive-not-best-prevblk).
var ErrProposalNotOnTip = errors.New("the proposed block does not build on the current tip")

// CheckBlockProposal runs every consensus rule on blk as the next block on
// the current tip, except proof of work, and changes nothing: BIP 23 block
// proposals let a miner check a block before spending work on it. A broken
// rule is a RuleError, as from ProcessBlock (ErrDuplicateBlock for a block
// the node has, ErrKnownInvalid for one it found invalid); a block on
// another parent is ErrProposalNotOnTip; any other error is a local
// failure.
//
// It holds the chain's read lock throughout, so the tip and the UTXO set it
// checks against are one consistent state.
func (c *Chain) CheckBlockProposal(blk *wire.Block) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	hash := blk.BlockHash()
	if n := c.index.get(hash); n != nil {
		if n.status.knownInvalid() {
			return ruleError(ErrKnownInvalid, "block %s is known to be invalid", hash)
		}
		if n.status&statusDataStored != 0 {
			return ruleError(ErrDuplicateBlock, "already have block %s", hash)
		}
	}
	tip := c.tip()
	if blk.Header.PrevBlock != tip.hash {
		return ErrProposalNotOnTip
	}
	if err := checkFutureTime(&blk.Header, c.clock.Now()); err != nil {
		return err
	}
	txids := blk.TxIDs()
	if err := checkBlockBody(blk, txids); err != nil {
		return err
	}
	if err := checkHeaderContext(&blk.Header, tip, c.params); err != nil {
		return err
	}
	if err := checkBlockContext(blk, tip.height+1); err != nil {
		return err
	}
	_, _, err := c.checkConnectBlock(blk, txids, tip.height+1)
	return err
}
