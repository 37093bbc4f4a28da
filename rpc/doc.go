// Package rpc is the client side of powchain's JSON-RPC interface and the
// vocabulary it shares with the server (package rpc/server):
//
//   - Client: JSON-RPC 2.0 over HTTP with basic authentication, used by the
//     CLI, the wallet and the miner.
//   - types.go: the JSON shapes of every structured result, so that client
//     and server cannot disagree on a field name.
//   - Amount: coin amounts as JSON numbers with exactly eight decimals,
//     parsed without floating point.
//   - historyjson.go: getaddresshistory's result written (AppendJSON,
//     json.Marshal's bytes) and read straight in the node's form (a wallet
//     reads its whole history at every command), with encoding/json's
//     outcome for any text.
//   - codes.go: the error codes (Bitcoin Core's numbers) and Error.
//   - endpoint.go: the files a running node publishes in its data dir (its
//     RPC address and a fresh cookie) and the functions that read them.
//
// Invariants: amounts never pass through float64; a cookie file is written
// with mode 0600 and replaced atomically.
//
// Concurrency: a Client is safe for concurrent use; everything else is plain
// values or stateless functions. The package starts no goroutines.
package rpc
