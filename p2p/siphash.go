package p2p

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"

	"powchain/wire"
)

// sipHash24 is SipHash-2-4 (Aumasson and Bernstein, 2012) of the 32 bytes
// of h under the key (k0, k1): two compression rounds per 8-byte word, four
// finalization rounds. Compact blocks use it for short transaction ids, as
// BIP152 does, and known inventory to key hashes. It takes only 32-byte
// messages (as Bitcoin Core's SipHashUint256), so that the state stays in
// registers: rebuilding a compact block hashes every pool transaction's
// txid, and the general form (a loop over the message, the state in an
// array, method calls that did not inline) took 1.6 times as long
// (docs/BENCHMARKS.md, "Rebuilding a compact block from the pool").
func sipHash24(k0, k1 uint64, h *wire.Hash) uint64 {
	v0, v1, v2, v3 := k0^0x736f6d6570736575, k1^0x646f72616e646f6d, k0^0x6c7967656e657261, k1^0x7465646279746573
	for i := 0; i < len(h); i += 8 {
		m := binary.LittleEndian.Uint64(h[i:])
		v3 ^= m
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0 ^= m
	}
	const last = uint64(len(h)) << 56 // the length byte; no bytes left over
	v3 ^= last
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0 ^= last
	v2 ^= 0xff
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	return v0 ^ v1 ^ v2 ^ v3
}

// sipRound is one SipRound of the state v0..v3.
func sipRound(v0, v1, v2, v3 uint64) (uint64, uint64, uint64, uint64) {
	v0 += v1
	v1 = bits.RotateLeft64(v1, 13) ^ v0
	v0 = bits.RotateLeft64(v0, 32)
	v2 += v3
	v3 = bits.RotateLeft64(v3, 16) ^ v2
	v0 += v3
	v3 = bits.RotateLeft64(v3, 21) ^ v0
	v2 += v1
	v1 = bits.RotateLeft64(v1, 17) ^ v2
	v2 = bits.RotateLeft64(v2, 32)
	return v0, v1, v2, v3
}

// shortIDKey keys the short ids of one compact block.
type shortIDKey struct{ k0, k1 uint64 }

// newShortIDKey derives the key of a compact block's short ids from its
// header and nonce, as BIP152 does: the first 16 bytes of
// SHA256(header || nonce as 8 bytes little-endian), read as two
// little-endian integers. A nonce fresh per block makes collisions differ
// between peers, so no transaction collides everywhere.
func newShortIDKey(h *wire.BlockHeader, nonce uint64) shortIDKey {
	sum := sha256.Sum256(binary.LittleEndian.AppendUint64(h.Bytes(), nonce))
	return shortIDKey{binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:16])}
}

// shortIDMask keeps the 48 bits of a short id.
const shortIDMask = 1<<(8*ShortIDSize) - 1

// shortID is a transaction's short id: the low 48 bits of the SipHash of
// its txid (which commits to its signatures).
func (k shortIDKey) shortID(txid wire.Hash) uint64 {
	return sipHash24(k.k0, k.k1, &txid) & shortIDMask
}
