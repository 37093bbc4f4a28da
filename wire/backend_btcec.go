//go:build !libsecp256k1

package wire

// Without the libsecp256k1 build tag, signatures are verified in pure Go:
// no C library is needed to build or run.
type buildVerifier = BtcecVerifier

const buildVerifierName = btcecName
