package chain

import (
	"testing"

	"powchain/wire"
)

// TestAcceptedBlocksKeepsTheLowest: beyond maxAcceptedBlocks the highest
// block is dropped, whatever the order they came in, since the lowest
// connect first; a block taken is forgotten.
func TestAcceptedBlocksKeepsTheLowest(t *testing.T) {
	var a acceptedBlocks
	hash := func(height uint64) wire.Hash { return wire.Hash{byte(height)} }
	heights := []uint64{5, 1, 6, 2, 3, 4} // 6 blocks, 4 kept: 1 to 4
	for _, h := range heights {
		a.add(hash(h), h, &wire.Block{}, nil)
	}
	for _, h := range heights {
		_, _, ok := a.take(hash(h))
		if want := h <= maxAcceptedBlocks; ok != want {
			t.Errorf("block at height %d kept: %v, want %v", h, ok, want)
		}
	}
	if _, _, ok := a.take(hash(1)); ok {
		t.Error("a block taken is still kept")
	}
}
