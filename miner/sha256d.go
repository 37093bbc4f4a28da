package miner

import (
	"encoding/binary"
	"math/bits"
)

// The proof-of-work hash per nonce: SHA-256d of a message whose first 64
// bytes are fixed, computed from the SHA-256 state after those bytes (the
// midstate) and the message's last block, padded once in advance. That is
// two compressions per nonce: the last block, then the block holding the
// first hash. A kernel does both for lanes nonces at a time; the SHA-NI
// kernel (amd64) interleaves the lanes so that one lane's rounds fill the
// other's instruction latency. Elsewhere the kernel runs each lane
// through crypto/sha256, whose assembly (AVX2, arm64's SHA-2 instructions)
// beats hashPortable, the same in Go, which is left for when the library's
// state cannot be loaded (sha256d_stdlib.go).

// lanes is how many nonces one kernel call hashes.
const lanes = 2

// batch is a kernel's input and output. The assembly kernel reads it by
// offset: keep the field order and types.
type batch struct {
	mid    [8]uint32         // SHA-256 state after the message's first 64 bytes
	block  [lanes][16]uint32 // each lane's last block, padded, as big-endian words
	digest [lanes][8]uint32  // out: each lane's SHA-256d, as big-endian words
}

// kernel computes b.digest from b.mid and b.block.
type kernel func(b *batch)

// fastestKernel is the SHA-NI kernel where the CPU has it, else a new
// kernel through crypto/sha256's assembly (one per goroutine), else
// hashPortable.
func fastestKernel() kernel {
	if k := shaniKernel(); k != nil {
		return k
	}
	if k := stdlibKernel(); k != nil {
		return k
	}
	return hashPortable
}

// hashPortable is the kernel in Go, one lane after the other.
func hashPortable(b *batch) {
	for l := range lanes {
		first := b.mid
		compress(&first, &b.block[l])
		second := sha256IV
		compress(&second, secondBlock(&first))
		b.digest[l] = second
	}
}

// secondBlock is the padded block holding a 32-byte message: the first
// hash of SHA-256d.
func secondBlock(first *[8]uint32) *[16]uint32 {
	var w [16]uint32
	copy(w[:8], first[:])
	w[8] = 0x80000000 // the padding's 1 bit
	w[15] = 32 * 8    // the message length in bits
	return &w
}

// blockWords reads a 64-byte block as SHA-256's big-endian message words.
func blockWords(block []byte) *[16]uint32 {
	var w [16]uint32
	for i := range w {
		w[i] = binary.BigEndian.Uint32(block[4*i:])
	}
	return &w
}

// sha256IV is SHA-256's initial state.
var sha256IV = [8]uint32{
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
}

// sha256K holds SHA-256's round constants. Read only.
var sha256K = [64]uint32{
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}

// compress is SHA-256's compression function: it folds the block w into
// state s.
func compress(s *[8]uint32, w *[16]uint32) {
	var sched [64]uint32
	copy(sched[:], w[:])
	for t := 16; t < 64; t++ {
		w2, w15 := sched[t-2], sched[t-15]
		s1 := bits.RotateLeft32(w2, -17) ^ bits.RotateLeft32(w2, -19) ^ w2>>10
		s0 := bits.RotateLeft32(w15, -7) ^ bits.RotateLeft32(w15, -18) ^ w15>>3
		sched[t] = s1 + sched[t-7] + s0 + sched[t-16]
	}
	a, b, c, d, e, f, g, h := s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
	for t := range sched {
		t1 := h + (bits.RotateLeft32(e, -6) ^ bits.RotateLeft32(e, -11) ^ bits.RotateLeft32(e, -25)) +
			(e&f ^ ^e&g) + sha256K[t] + sched[t]
		t2 := (bits.RotateLeft32(a, -2) ^ bits.RotateLeft32(a, -13) ^ bits.RotateLeft32(a, -22)) +
			(a&b ^ a&c ^ b&c)
		a, b, c, d, e, f, g, h = t1+t2, a, b, c, d+t1, e, f, g
	}
	s[0] += a
	s[1] += b
	s[2] += c
	s[3] += d
	s[4] += e
	s[5] += f
	s[6] += g
	s[7] += h
}
