// Package wire owns powchain's domain types (Hash, OutPoint, TxIn, TxOut, Tx,
// BlockHeader, Block), their canonical binary encoding, and everything that
// is computed from that encoding: transaction ids, block ids, the signature
// message (sighash), merkle roots, key hashes and addresses. It also converts
// the types to and from their protobuf messages (package proto/pb).
//
// The canonical encoding is specified byte by byte in docs/PROTOCOL.md. It is
// the only input to any hash; protobuf is merely the envelope on the network
// and the format on disk.
//
// Invariants:
//   - Decoding is strict: every decoder (canonical or protobuf) checks every
//     fixed length, bounds every count by a consensus limit before allocating,
//     rejects trailing bytes, and never panics on any input. Whatever decodes
//     re-encodes to exactly the same canonical bytes.
//   - Limits are derived from MaxBlockSize and are never stricter than
//     consensus: anything that fits in a valid block decodes.
//
// Concurrency: values are plain data with no internal synchronisation. A value
// that is not modified may be read from many goroutines; callers that share a
// Tx or Block must treat it as immutable.
package wire
