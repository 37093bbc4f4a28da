// Package httpcap holds the two caps the node's HTTP servers (rpc/server's
// JSON-RPC and explorer's REST, events, metrics and pages) put on what
// clients can make them hold at once: Conns, the connections open at once
// (one beyond is answered by the server's own refusal and closed before
// anything of it is read), and Gate, the requests running at once with a
// bounded queue of waiting ones (beyond it, the server answers 503). Each
// server decides what its refusals say; this package only counts.
//
// Concurrency: both are buffered channels used as counting semaphores, safe
// for concurrent use; a place is taken by a send and given back by a
// receive, so nothing is locked. A connection of Conns gives back its
// place at its first Close, whoever calls it; a Gate turn is given back by
// Leave, which the caller of a successful Enter calls exactly once. The
// package has no state but the values it returns.
package httpcap
