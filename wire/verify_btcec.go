package wire

import (
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/chainhash/v2"
)

// BtcecVerifier verifies BIP340 signatures in pure Go on btcec/v2's curve
// arithmetic. It follows BIP340's verification algorithm step by step
// rather than calling schnorr.Verify, for two reasons: btcec v2.5.0's
// schnorr.ParseSignature reduces s modulo n instead of rejecting s >= n
// (BIP340 and libsecp256k1 reject it; accepting s+n would be a consensus
// split from the libsecp256k1 backend and a malleability), and
// schnorr.Verify accepts only 32-byte messages while BIP340 (and its test
// vectors) allow any length.
type BtcecVerifier struct{}

var _ SchnorrVerifier = BtcecVerifier{}

// Name implements SchnorrVerifier.
func (BtcecVerifier) Name() string { return btcecName }

const btcecName = "btcec/v2 (pure Go)"

// Verify implements SchnorrVerifier (BIP340, "Verification").
func (BtcecVerifier) Verify(pub [PubKeySize]byte, msg []byte, sig [SignatureSize]byte) bool {
	// P = lift_x(int(pk)): fails if pk >= p or pk is not an x coordinate
	// on the curve; the point returned has an even y.
	key, err := schnorr.ParsePubKey(pub[:])
	if err != nil {
		return false
	}
	r, s, ok := parseSchnorrSignature(sig)
	if !ok {
		return false
	}
	// e = int(hash_BIP0340/challenge(bytes(r) || bytes(P) || m)) mod n.
	// r < p and pk < p, so their bytes are already canonical.
	var e btcec.ModNScalar
	e.SetBytes((*[32]byte)(chainhash.TaggedHash(chainhash.TagBIP0340Challenge, sig[:32], pub[:], msg)))
	e.Negate()
	// R = s*G - e*P.
	var p, sG, eP, bigR btcec.JacobianPoint
	key.AsJacobian(&p)
	btcec.ScalarBaseMultNonConst(&s, &sG)
	btcec.ScalarMultNonConst(&e, &p, &eP)
	btcec.AddNonConst(&sG, &eP, &bigR)
	// Fail if R is infinite, has an odd y, or x(R) != r.
	if bigR.Z.Normalize().IsZero() || (bigR.X.Normalize().IsZero() && bigR.Y.Normalize().IsZero()) {
		return false
	}
	bigR.ToAffine()
	return !bigR.Y.IsOdd() && bigR.X.Equals(&r)
}

// parseSchnorrSignature splits a BIP340 signature into r (a field element)
// and s (a scalar), failing if r >= p or s >= n rather than reducing them.
func parseSchnorrSignature(sig [SignatureSize]byte) (r btcec.FieldVal, s btcec.ModNScalar, ok bool) {
	if r.SetByteSlice(sig[:32]) {
		return r, s, false
	}
	if s.SetByteSlice(sig[32:]) {
		return r, s, false
	}
	return r, s, true
}
