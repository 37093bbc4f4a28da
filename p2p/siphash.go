package p2p

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"

	"powchain/wire"
)

// sipHash24 is SipHash-2-4 (Aumasson and Bernstein, 2012) of msg under the
// key (k0, k1): two compression rounds per 8-byte word, four finalization
// rounds. Compact blocks use it for short transaction ids, as BIP152 does.
func sipHash24(k0, k1 uint64, msg []byte) uint64 {
	s := sipState{k0 ^ 0x736f6d6570736575, k1 ^ 0x646f72616e646f6d, k0 ^ 0x6c7967656e657261, k1 ^ 0x7465646279746573}
	last := uint64(len(msg)) << 56
	for ; len(msg) >= 8; msg = msg[8:] {
		s.compress(binary.LittleEndian.Uint64(msg))
	}
	for i, b := range msg {
		last |= uint64(b) << (8 * i)
	}
	s.compress(last)
	s[2] ^= 0xff
	for range 4 {
		s.round()
	}
	return s[0] ^ s[1] ^ s[2] ^ s[3]
}

// sipState is SipHash's internal state v0..v3.
type sipState [4]uint64

func (s *sipState) compress(m uint64) {
	s[3] ^= m
	s.round()
	s.round()
	s[0] ^= m
}

func (s *sipState) round() {
	s[0] += s[1]
	s[1] = bits.RotateLeft64(s[1], 13) ^ s[0]
	s[0] = bits.RotateLeft64(s[0], 32)
	s[2] += s[3]
	s[3] = bits.RotateLeft64(s[3], 16) ^ s[2]
	s[0] += s[3]
	s[3] = bits.RotateLeft64(s[3], 21) ^ s[0]
	s[2] += s[1]
	s[1] = bits.RotateLeft64(s[1], 17) ^ s[2]
	s[2] = bits.RotateLeft64(s[2], 32)
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
	return sipHash24(k.k0, k.k1, txid[:]) & shortIDMask
}
