package miner

import (
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"

	"powchain/chain"
	"powchain/wire"
)

// checkEvery is how many nonces a worker tries between looks at its context
// and at the other workers: about a millisecond of hashing, so stale work
// stops well within 100 ms of a new tip.
const checkEvery = 1 << 12

// Solve searches the nonce space of h for a hash that meets h.Bits, on
// workers goroutines, each taking every workers-th nonce. It returns true
// with h.Nonce set when it finds one, false when the nonce space is
// exhausted (roll the extra nonce or the time and call again) or the context
// is cancelled (ctx.Err() tells which). The hashes tried are added to
// *hashes if hashes is not nil, for hash-rate reports.
func Solve(ctx context.Context, h *wire.BlockHeader, workers int, hashes *atomic.Uint64) bool {
	target := chain.CompactToBig(h.Bits)
	if target.Sign() <= 0 || target.BitLen() > 256 {
		return false // no hash can meet it; the chain would refuse it anyway
	}
	var targetBytes [32]byte
	target.FillBytes(targetBytes[:])
	if workers < 1 {
		workers = 1
	}
	header := h.Bytes()
	var found atomic.Bool
	var winner uint32
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if nonce, ok := grind(ctx, header, uint32(w), uint32(workers), &targetBytes, &found, hashes); ok {
				winner = nonce // only the worker that flipped found writes
			}
		}()
	}
	wg.Wait()
	if !found.Load() {
		return false
	}
	h.Nonce = winner
	return true
}

// grind tries nonces start, start+step, ... until one meets target, another
// worker wins, the context ends or the space runs out. Per nonce it restores
// the midstate (the state after the header's first 64 bytes), hashes the
// 20-byte tail and then the 32-byte first hash: no allocation in the loop.
func grind(ctx context.Context, header []byte, start, step uint32, target *[32]byte, found *atomic.Bool, hashes *atomic.Uint64) (uint32, bool) {
	mid := sha256.New()
	mid.Write(header[:64])
	state, _ := mid.(encoding.BinaryMarshaler).MarshalBinary()
	d := sha256.New()
	restore := d.(encoding.BinaryUnmarshaler)
	tail := append([]byte(nil), header[64:]...)
	nonceAt := wire.HeaderNonceOffset - 64
	var first, second [32]byte
	var tried uint64
	defer func() {
		if hashes != nil {
			hashes.Add(tried)
		}
	}()
	for n := uint64(start); n <= 0xffffffff; n += uint64(step) {
		if tried%checkEvery == 0 && (found.Load() || ctx.Err() != nil) {
			return 0, false
		}
		tried++
		binary.LittleEndian.PutUint32(tail[nonceAt:], uint32(n))
		restore.UnmarshalBinary(state)
		d.Write(tail)
		d.Sum(first[:0])
		second = sha256.Sum256(first[:])
		if meets(&second, target) && found.CompareAndSwap(false, true) {
			return uint32(n), true
		}
	}
	return 0, false
}

// meets reports whether hash, read big-endian, is at most target.
func meets(hash, target *[32]byte) bool {
	for i := range hash {
		if hash[i] != target[i] {
			return hash[i] < target[i]
		}
	}
	return true
}

// SolveBlock builds the block of template t paying payTo and solves it,
// rolling the extra nonce whenever a nonce space is exhausted. It returns
// the context's error if cancelled first.
func SolveBlock(ctx context.Context, t *Template, payTo wire.KeyHash, workers int, hashes *atomic.Uint64) (*wire.Block, error) {
	if target := chain.CompactToBig(t.Bits); target.Sign() <= 0 || target.BitLen() > 256 {
		return nil, fmt.Errorf("template bits %08x are not a usable target", t.Bits)
	}
	for extraNonce := uint64(0); ; extraNonce++ {
		blk := NewBlock(t, payTo, extraNonce, t.CurTime)
		if Solve(ctx, &blk.Header, workers, hashes) {
			return blk, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}
