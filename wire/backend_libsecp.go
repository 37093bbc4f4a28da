//go:build libsecp256k1

package wire

/*
#cgo pkg-config: libsecp256k1
#include <stddef.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

// powchain_schnorr_verify parses the x-only key and verifies the signature
// in one cgo call. secp256k1_context_static suffices for both calls: since
// libsecp256k1 0.2.0 verification needs no precomputed context.
static int powchain_schnorr_verify(const unsigned char *pub32,
		const unsigned char *msg, size_t msglen, const unsigned char *sig64) {
	secp256k1_xonly_pubkey pk;
	if (!secp256k1_xonly_pubkey_parse(secp256k1_context_static, &pk, pub32)) {
		return 0;
	}
	return secp256k1_schnorrsig_verify(secp256k1_context_static, sig64, msg, msglen, &pk);
}
*/
import "C"

import "unsafe"

// With the libsecp256k1 build tag, consensus verifies signatures with
// libsecp256k1, Bitcoin Core's library, found with pkg-config.
type buildVerifier = LibsecpVerifier

const buildVerifierName = libsecpName

// LibsecpVerifier verifies BIP340 signatures with libsecp256k1's schnorrsig
// module (0.2.0 or later) through cgo. It exists only in binaries built
// with the libsecp256k1 tag.
type LibsecpVerifier struct{}

var _ SchnorrVerifier = LibsecpVerifier{}

const libsecpName = "libsecp256k1 (cgo)"

// Name implements SchnorrVerifier.
func (LibsecpVerifier) Name() string { return libsecpName }

// Verify implements SchnorrVerifier.
func (LibsecpVerifier) Verify(pub [PubKeySize]byte, msg []byte, sig [SignatureSize]byte) bool {
	var m *C.uchar // libsecp256k1 wants NULL for an empty message
	if len(msg) > 0 {
		m = (*C.uchar)(unsafe.Pointer(&msg[0]))
	}
	return C.powchain_schnorr_verify((*C.uchar)(unsafe.Pointer(&pub[0])), m, C.size_t(len(msg)),
		(*C.uchar)(unsafe.Pointer(&sig[0]))) == 1
}

// init runs libsecp256k1's self test, which its documentation asks for
// before using secp256k1_context_static; it aborts the process if the
// library is miscompiled.
func init() {
	C.secp256k1_selftest()
}
