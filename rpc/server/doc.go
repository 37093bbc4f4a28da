// Package server is the node's JSON-RPC 2.0 server over HTTP: request and
// batch handling, basic authentication (constant-time compare), and every
// method the node offers (methods_*.go), each registered with a help text
// that the `help` method returns. docs/RPC.md documents the methods.
//
// The methods act on a Backend that the node fills in: the chain, the
// mempool, the p2p layer (Network), mining hooks and a clock. Mining
// (mining.go) is what the node puts behind the mining hooks: block templates
// for getblocktemplate, paired with a mempool that has caught up with their
// tip, long-polls, and generatetoaddress's blocks mined in process. The
// package never reads flags, the environment or the wall clock itself.
//
// Invariants: a method's error reaches the client as a JSON-RPC error with
// Bitcoin Core's code (package rpc); a panic in a method is recovered and
// answered as an internal error; a call with more parameters than its
// method's help lists is refused before it runs; only a JSON-RPC 2.0
// request object ("jsonrpc": "2.0") with a method and no id goes
// unanswered (a notification): a JSON-RPC 1.x one (jsonrpc "1.0", null or
// absent, as Bitcoin Core reads it) is answered under the id null, and
// anything else that is no call, a jsonrpc of any other value included,
// gets an error; a request body is bounded by
// MaxRequestSize before it is read. Limits bound the rest of what a client
// can make the node do: calls per batch, the size of one reply (counted as
// results are encoded: no reply above the limit is ever held in memory),
// requests running and waiting at once (beyond that, HTTP 503), a delay
// before every answer to wrong credentials, with at most FailedAuthSlots of
// those waits at once, and the connections open at once (conns.go: beyond
// MaxConnections, HTTP 503 before anything is read, so the answer is the
// same for every request and says nothing about credentials).
//
// A request's context is not the client's word: net/http ends it when the
// client closes only its sending side, as some clients do right after a
// request, and such a client still reads the answer. So the refusal of
// wrong credentials never waits on it (nothing but Shutdown shortens the
// delay, and the 401 always goes: answering early, or not at all, would
// tell a guesser at once that the guess was wrong), and a request takes a
// free turn whatever its context says. Only a request still queued when
// its context ends gives up its place, answered 503 with a message that
// says so (not that the queue is full). A request's calls run under its
// connection's watch instead (watch.go): a context that ends only when
// the client is gone, when a read from the connection fails other than at
// the end of the input (a reset) or a write to it fails. While the calls
// of a client whose input has ended run, it is probed every ten seconds
// with an informational 102 Processing (HTTP/1.1 only), which a
// half-closed client receives and a closed one answers with a reset; so a
// long-poll or generatetoaddress of a half-closed client runs to the end
// and is answered, and one of a client gone ends within two probes.
//
// The fast path (fast.go): the server reads each connection itself first
// and answers a request in the plain form clients send for
// sendrawtransaction (authenticated, single, whole, small) without
// net/http, whose per-request machinery costs as much as the node's own
// work for that call. At the first request it does not serve, it hands the
// connection, with the bytes read so far, to net/http for good, so every
// other request is served exactly as before. Its answers are ServeHTTP's,
// laid out byte for byte as net/http writes them.
//
// Concurrency: net/http serves each request on its own goroutine, so every
// method may run concurrently with every other, up to Limits.MaxRunning at
// once (admission through an internal/httpcap.Gate, buffered channels);
// methods rely on the Backend's components being safe for concurrent use. A
// failed authentication waits on its own connection's goroutine and holds a
// failedAuth token, never a running one, so it cannot delay authenticated
// clients; its waits end early only when Shutdown cancels the server's
// stopping context. The method table and limits are written only before
// Serve and read-only afterwards, so the Server needs no lock. Serve's
// goroutines end with Shutdown: the fast path's accept loop when net/http
// closes its listener, each of its connection goroutines when its
// connection closes or is handed over (Shutdown closes the idle ones and
// waits for the busy ones). fastConns.mu guards the set of those
// connections only; nothing is called under it. Every accepted connection
// holds a place of conns (an internal/httpcap.Conns around the listener, a
// count under its own mutex; it has no ConnState hook, so a connection
// beyond the cap is refused even when some are idle) from accept to its
// first Close (by the fast path, or net/http through handedConn). A
// connection's watch is two contexts that only ever end; its probes run on
// one goroutine per request, started when the client's input ends and
// stopped (and waited for) before the handler writes its answer, so the
// ResponseWriter has one user at a time. Mining's mu guards only the last
// tip heard; its waits (long-polls, generation) are selects on channels in
// the request's goroutine and end when its client is gone or on the stop
// channel.
package server
