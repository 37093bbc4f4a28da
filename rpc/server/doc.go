// Package server is the node's JSON-RPC 2.0 server over HTTP: request and
// batch handling, basic authentication (constant-time compare), and every
// method the node offers (methods_*.go), each registered with a help text
// that the `help` method returns. docs/RPC.md documents the methods.
//
// The methods act on a Backend that the node fills in: the chain, the
// mempool, the p2p layer (Network), mining hooks and a clock. The package
// never reads flags, the environment or the wall clock itself.
//
// Invariants: a method's error reaches the client as a JSON-RPC error with
// Bitcoin Core's code (package rpc); a panic in a method is recovered and
// answered as an internal error; a request body is bounded by
// MaxRequestSize before it is read.
//
// Concurrency: net/http serves each request on its own goroutine, so every
// method may run concurrently with every other; methods rely on the
// Backend's components being safe for concurrent use. The method table is
// written only before Serve and read-only afterwards, so the Server needs no
// lock. Serve's goroutines end with Shutdown.
package server
