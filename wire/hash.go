package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
)

// HashSize is the size of every hash in powchain: SHA-256 output.
const HashSize = 32

// Hash is a SHA-256 or SHA-256d digest. It prints as the hex of its bytes in
// order (no byte reversal, unlike Bitcoin), and proof of work reads it as a
// big-endian integer, so a block id that meets a target starts with zeros.
type Hash [HashSize]byte

// ZeroHash is the all-zero hash: the previous-block hash of a genesis block
// and the txid of the null outpoint.
var ZeroHash Hash

// String returns the hash as 64 lowercase hex digits.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// LogValue makes log lines show a hash as its hex string, in text and
// JSON logs alike (not as an array of bytes).
func (h Hash) LogValue() slog.Value { return slog.StringValue(h.String()) }

// IsZero reports whether every byte of h is zero.
func (h Hash) IsZero() bool { return h == ZeroHash }

// ParseHash parses 64 hex digits (either case) into a Hash.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*HashSize {
		return h, fmt.Errorf("hash must be %d hex digits, got %d characters", 2*HashSize, len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("invalid hash %q: not hexadecimal", s)
	}
	return h, nil
}

// DoubleSHA256 returns SHA-256(SHA-256(b)), the hash of txids, block ids and
// merkle nodes.
func DoubleSHA256(b []byte) Hash {
	first := sha256.Sum256(b)
	return sha256.Sum256(first[:])
}

// TaggedHash returns the BIP340 tagged hash SHA-256(SHA-256(tag) ||
// SHA-256(tag) || msg). Tags separate the domains of the hashes that are not
// ids (the signature message, key hashes) so that no two uses can collide.
func TaggedHash(tag string, msg []byte) Hash {
	tagHash := sha256.Sum256([]byte(tag))
	h := sha256.New()
	h.Write(tagHash[:])
	h.Write(tagHash[:])
	h.Write(msg)
	var out Hash
	h.Sum(out[:0])
	return out
}
