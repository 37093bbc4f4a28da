package wallet

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/binary"
	"errors"

	"github.com/btcsuite/btcd/btcec/v2"
)

// BIP32 private derivation, the only part of BIP32 the wallet uses: it never
// serializes extended keys and never derives from public keys alone, so it
// needs neither version bytes nor network parameters.

// hardenedKeyStart is the first hardened child index (BIP32's 2^31).
const hardenedKeyStart = 1 << 31

// errInvalidChild is BIP32's "proceed with the next index" case: a derived
// scalar of zero or at least the curve order. Its probability is below 2^-127.
var errInvalidChild = errors.New("derived key is invalid (use the next index)")

// extendedKey is a BIP32 extended private key: a scalar and a chain code.
type extendedKey struct {
	key       btcec.ModNScalar
	chainCode [32]byte
}

// newMasterKey derives the master key of a seed: HMAC-SHA512 keyed with
// "Bitcoin seed".
func newMasterKey(seed []byte) (*extendedKey, error) {
	return splitHMAC([]byte("Bitcoin seed"), seed, nil)
}

// child derives child i; i >= hardenedKeyStart derives a hardened child.
func (k *extendedKey) child(i uint32) (*extendedKey, error) {
	var data []byte
	if i >= hardenedKeyStart {
		priv := k.key.Bytes()
		data = append([]byte{0}, priv[:]...)
	} else {
		data = btcec.PrivKeyFromScalar(&k.key).PubKey().SerializeCompressed()
	}
	data = binary.BigEndian.AppendUint32(data, i)
	return splitHMAC(k.chainCode[:], data, &k.key)
}

// privateKey returns the key as a btcec private key.
func (k *extendedKey) privateKey() *btcec.PrivateKey {
	return btcec.PrivKeyFromScalar(&k.key)
}

// splitHMAC computes I = HMAC-SHA512(key, data) and returns (IL + parent,
// IR), with parent nil for a master key. It fails where BIP32 says the key
// is invalid.
func splitHMAC(key, data []byte, parent *btcec.ModNScalar) (*extendedKey, error) {
	mac := hmac.New(sha512.New, key)
	mac.Write(data)
	sum := mac.Sum(nil)
	var out extendedKey
	if overflow := out.key.SetByteSlice(sum[:32]); overflow {
		return nil, errInvalidChild
	}
	if parent != nil {
		out.key.Add(parent)
	}
	if out.key.IsZero() {
		return nil, errInvalidChild
	}
	copy(out.chainCode[:], sum[32:])
	return &out, nil
}
