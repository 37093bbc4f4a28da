//go:build !libsecp256k1

package wire

// testBackends lists the signature backends compiled into this test
// binary: without the libsecp256k1 tag, only btcec.
func testBackends() []SchnorrVerifier { return []SchnorrVerifier{BtcecVerifier{}} }
