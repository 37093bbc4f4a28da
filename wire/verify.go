package wire

// SchnorrVerifier checks BIP340 signatures. Two implementations exist:
// BtcecVerifier (pure Go, always compiled in) and LibsecpVerifier
// (libsecp256k1 through cgo, compiled in only with the build tag
// libsecp256k1). They must agree on every input, because a disagreement
// would split the chain between nodes built with and without the tag; the
// BIP340 test vectors, a differential fuzz target and a differential test
// over generated chains check that they do.
//
// Implementations are stateless values, safe for concurrent use.
type SchnorrVerifier interface {
	// Verify reports whether sig is a valid BIP340 signature of msg (of
	// any length, as BIP340 allows) by the x-only public key pub. A key or
	// signature that does not parse is simply invalid; Verify never
	// panics.
	Verify(pub [PubKeySize]byte, msg []byte, sig [SignatureSize]byte) bool
	// Name says which library verifies, for logs and tests.
	Name() string
}

// VerifySchnorr reports whether sig is a valid BIP340 signature of msg (a
// sighash) by the x-only key pub, using the backend this binary was built
// with (SignatureBackend names it). Consensus code calls only this.
func VerifySchnorr(pub [PubKeySize]byte, msg Hash, sig [SignatureSize]byte) bool {
	return buildVerifier{}.Verify(pub, msg[:], sig)
}

// SignatureBackend names the signature verification backend of this binary,
// e.g. for `powchain version`.
const SignatureBackend = buildVerifierName
