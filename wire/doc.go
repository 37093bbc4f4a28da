// Package wire owns powchain's domain types (Hash, OutPoint, TxIn, TxOut, Tx,
// BlockHeader, Block), their canonical binary encoding, and everything that
// is computed from that encoding: transaction ids, block ids, the signature
// message (sighash), merkle roots, key hashes and addresses. It also converts
// the types to and from their protobuf messages (package proto/pb; a
// block, marshalled most often, is also written straight to its protobuf
// encoding by MarshalBlock, byte for byte what proto.Marshal gives, and
// read from it by UnmarshalBlock, which decodes that canonical encoding
// straight into the block (UnmarshalCanonicalBlock, safe on any input) and
// leaves anything else to proto.Unmarshal and BlockFromProto,
// giving exactly their block or error), and it
// owns BIP340 signature verification: VerifySchnorr is the one function
// consensus calls, and it runs the backend the binary was built with,
// btcec/v2 in pure Go by default or libsecp256k1 through cgo with
// -tags libsecp256k1 (SignatureBackend names it). Both implement
// SchnorrVerifier and must agree on every input.
//
// The canonical encoding is specified byte by byte in docs/PROTOCOL.md. It is
// the only input to any hash; protobuf is merely the envelope on the network
// and the format on disk.
//
// Invariants:
//   - Decoding is strict: every decoder (canonical or protobuf) checks every
//     fixed length, bounds every count by a consensus limit before allocating,
//     rejects trailing bytes, and never panics on any input. The *FromProto
//     functions check messages proto.Unmarshal has built, every element of
//     every list already allocated: whoever unmarshals untrusted protobuf
//     bounds the elements on the wire first (package p2p does). Whatever decodes
//     re-encodes to exactly the same canonical bytes.
//   - Limits are derived from MaxBlockSize and are never stricter than
//     consensus: anything that fits in a valid block decodes.
//   - Both signature backends follow BIP340 exactly, including its
//     rejections (a key or r not below p, s not below n, R at infinity or
//     with an odd y); the BIP340 test vectors, a differential fuzz target
//     and a differential test over a generated chain hold them to it.
//
// Concurrency: values are plain data with no internal synchronisation. A value
// that is not modified may be read from many goroutines; callers that share a
// Tx or Block must treat it as immutable. Signature verification has no
// state (libsecp256k1 runs on its read-only static context) and may run on
// any number of goroutines.
package wire
