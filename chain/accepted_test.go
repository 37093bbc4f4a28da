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
	heights := []uint64{5, 1, 6, 2, 3, 4} // 6 blocks, 4 kept: 1 to 4
	for _, h := range heights {
		a.add(heightHash(h), h, &wire.Block{}, nil, 0)
	}
	for _, h := range heights {
		_, _, ok := a.take(heightHash(h))
		if want := h <= maxAcceptedBlocks; ok != want {
			t.Errorf("block at height %d kept: %v, want %v", h, ok, want)
		}
	}
	if _, _, ok := a.take(heightHash(1)); ok {
		t.Error("a block taken is still kept")
	}
}

// TestAcceptedBlocksKeepsOnlyAboveTheTip: a block no higher than the tip
// (another branch's) is not kept, and those kept are dropped once the tip
// reaches them, so side branches cannot fill the room for good.
func TestAcceptedBlocksKeepsOnlyAboveTheTip(t *testing.T) {
	var a acceptedBlocks
	for h := uint64(11); h <= 14; h++ {
		a.add(heightHash(h), h, &wire.Block{}, nil, 10)
	}
	a.add(heightHash(10), 10, &wire.Block{}, nil, 10) // a sibling of the tip
	a.add(heightHash(15), 15, &wire.Block{}, nil, 12) // the tip moved to 12 on another branch
	for h := uint64(10); h <= 15; h++ {
		_, _, ok := a.take(heightHash(h))
		if want := h > 12; ok != want {
			t.Errorf("block at height %d kept: %v, want %v (tip at 12)", h, ok, want)
		}
	}
}

func heightHash(height uint64) wire.Hash { return wire.Hash{byte(height)} }
