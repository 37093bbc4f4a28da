package miner

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"powchain/wire"
)

// TestGrinderHash: the midstate path gives exactly SHA-256d of the header,
// for random headers, nonces and timestamps, and allocates nothing.
func TestGrinderHash(t *testing.T) {
	var probe [wire.HeaderSize]byte
	if !newGrinder(&probe, &[32]byte{}).fast {
		t.Fatal("the midstate path does not reproduce SHA-256d on this Go version; the solver fell back to the slow path")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		var h wire.BlockHeader
		h.Version = rng.Uint32()
		for i := range h.PrevBlock {
			h.PrevBlock[i], h.MerkleRoot[i] = byte(rng.Uint32()), byte(rng.Uint32())
		}
		h.Timestamp, h.Bits = int64(rng.Uint32()), rng.Uint32()
		var header [wire.HeaderSize]byte
		h.Encode(header[:0])
		for _, fast := range []bool{true, false} {
			g := newGrinderWith(&header, &[32]byte{})
			g.fast = fast
			for range 5 {
				h.Nonce, h.Timestamp = rng.Uint32(), h.Timestamp+int64(rng.IntN(100))
				g.setNonce(h.Nonce)
				g.setTimestamp(h.Timestamp)
				if want := h.BlockHash(); string(g.hash()) != string(want[:]) {
					t.Fatalf("fast=%v: hash of %+v differs from BlockHash", fast, h)
				}
			}
		}
	}
	if raceEnabled {
		t.Log("allocation check skipped: the race detector allocates")
		return
	}
	var header [wire.HeaderSize]byte
	g := newGrinder(&header, &[32]byte{})
	n := uint32(0)
	if allocs := testing.AllocsPerRun(1000, func() {
		n++
		g.setNonce(n)
		if meets(g.hash(), g.target) {
			n = binary.LittleEndian.Uint32(header[:])
		}
	}); allocs != 0 {
		t.Fatalf("%v allocations per nonce", allocs)
	}
}
