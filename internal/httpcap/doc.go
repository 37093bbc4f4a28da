// Package httpcap holds the two caps the node's HTTP servers (rpc/server's
// JSON-RPC and explorer's REST, events, metrics and pages) put on what
// clients can make them hold at once: Conns, the connections open at once,
// and Gate, the requests running at once with a bounded queue of waiting
// ones (beyond it, the server answers 503). A connection beyond Conns'
// cap takes the place of the connection idle longest between requests,
// which is closed, if the server reports idle ones (Conns.ConnState as
// its http.Server's ConnState hook: the explorer's does, rpc/server's does
// not); if none is idle, it is answered by the server's own refusal and
// closed before anything of it is read. Each server decides what its
// refusals say; this package only counts.
//
// Concurrency: everything is safe for concurrent use. A Gate is two
// buffered channels used as counting semaphores, so nothing is locked: a
// turn is taken by a send and given back by a receive, in Leave, which
// the caller of a successful Enter calls exactly once. A Conns has one
// mutex, guarding its count of open connections, its list of idle ones
// (longest idle first) and each connection's marks of closed and idle; it
// is held only to read or change those, never while a connection is
// closed or written or a listener accepts, and nothing else is locked
// while it is held. A connection gives back its place at its first Close,
// whoever calls it; one taken while idle passes its place to the
// newcomer under the mutex, so the count never passes the cap. The
// package has no state but the values it returns.
package httpcap
