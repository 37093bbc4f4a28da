package wire

import (
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
)

// KeyHashTag separates key hashes from every other hash.
const KeyHashTag = "powchain/keyhash"

// HashPubKey returns the key hash that outputs pay to: the first 20 bytes of
// the tagged hash of the 32-byte x-only public key.
func HashPubKey(pub [PubKeySize]byte) KeyHash {
	full := TaggedHash(KeyHashTag, pub[:])
	var kh KeyHash
	copy(kh[:], full[:KeyHashSize])
	return kh
}

// XOnlyPubKey returns the 32-byte BIP340 public key of priv.
func XOnlyPubKey(priv *btcec.PrivateKey) [PubKeySize]byte {
	var pub [PubKeySize]byte
	copy(pub[:], schnorr.SerializePubKey(priv.PubKey()))
	return pub
}

// SignSchnorr signs msg (a sighash) with priv, deterministically (BIP340
// with RFC6979-derived nonces, as btcec implements it).
func SignSchnorr(priv *btcec.PrivateKey, msg Hash) ([SignatureSize]byte, error) {
	var out [SignatureSize]byte
	sig, err := schnorr.Sign(priv, msg[:])
	if err != nil {
		return out, fmt.Errorf("schnorr sign: %w", err)
	}
	copy(out[:], sig.Serialize())
	return out, nil
}

// SignInputs fills in the signature and public key of every input of a
// non-coinbase tx. keys[i] signs input i. The public keys are set before the
// sighash is computed because the sighash commits to them.
func SignInputs(tx *Tx, keys []*btcec.PrivateKey) error {
	if len(keys) != len(tx.Inputs) {
		return fmt.Errorf("have %d keys for %d inputs", len(keys), len(tx.Inputs))
	}
	for i, k := range keys {
		tx.Inputs[i].PubKey = XOnlyPubKey(k)
	}
	msg := tx.SigHash()
	for i, k := range keys {
		sig, err := SignSchnorr(k, msg)
		if err != nil {
			return fmt.Errorf("input %d: %w", i, err)
		}
		tx.Inputs[i].Signature = sig
	}
	return nil
}
