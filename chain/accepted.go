package chain

import (
	"slices"

	"powchain/wire"
)

// maxAcceptedBlocks bounds the accepted blocks kept decoded: a few full
// blocks, a few megabytes. With two or three peers downloading in turn a
// block waits for at most one or two before it.
const maxAcceptedBlocks = 4

// acceptedBlocks keeps the bodies of a few blocks stored by acceptBlock
// and not connected yet, decoded, with their transactions' ids, so that
// connecting one needs neither reading back and decoding what was just
// written nor hashing its transactions again. In initial sync from several
// peers a block often arrives before its parent, waits stored, and
// connects when the parent comes: it is found here then. Connecting a
// block takes it out. Only blocks above the tip are kept (one at or below
// it is on another branch and connects, if ever, after a reorganisation);
// beyond maxAcceptedBlocks the highest is dropped (the lowest connect
// first). A block dropped is read from the store if it ever connects. The
// bodies are the blocks callers handed to ProcessBlock, which they must
// not change after (ProcessBlock's contract). Guarded by the chain's mu.
type acceptedBlocks struct {
	entries []acceptedBlock
}

type acceptedBlock struct {
	hash   wire.Hash
	height uint64
	blk    *wire.Block
	txids  []wire.Hash
}

// add keeps blk (hash, at height), whose transactions' ids are txids,
// and drops the blocks kept that are no higher than the tip, at tipHeight
// (blk too, if it is not above it); if that leaves more than
// maxAcceptedBlocks, the highest is dropped (blk itself if it is the
// highest).
func (a *acceptedBlocks) add(hash wire.Hash, height uint64, blk *wire.Block, txids []wire.Hash, tipHeight uint64) {
	a.entries = slices.DeleteFunc(a.entries, func(e acceptedBlock) bool { return e.height <= tipHeight })
	if height <= tipHeight {
		return
	}
	a.entries = append(a.entries, acceptedBlock{hash: hash, height: height, blk: blk, txids: txids})
	if len(a.entries) <= maxAcceptedBlocks {
		return
	}
	highest := len(a.entries) - 1
	for i, e := range a.entries {
		if e.height > a.entries[highest].height {
			highest = i
		}
	}
	a.entries = slices.Delete(a.entries, highest, highest+1) // zeroes the freed slot: the block can go
}

// take returns block hash and its transactions' ids and forgets them; ok
// is false if the block is not kept.
func (a *acceptedBlocks) take(hash wire.Hash) (blk *wire.Block, txids []wire.Hash, ok bool) {
	for i, e := range a.entries {
		if e.hash == hash {
			a.entries = slices.Delete(a.entries, i, i+1)
			return e.blk, e.txids, true
		}
	}
	return nil, nil, false
}
