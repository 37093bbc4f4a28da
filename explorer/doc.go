// Package explorer is the node's read-only HTTP interface: a REST API
// shaped like Bitcoin Core's (/rest/...), server-sent events of new tips,
// reorganisations and accepted transactions (/events), Prometheus metrics
// (/metrics, a handler the node passes in) and a block explorer whose
// pages are rendered with html/template from embedded templates and
// assets (nothing is fetched from elsewhere).
//
// Layering: node builds a Server over a Source (the chain, the mempool, a
// view of the p2p layer, a clock); the package imports chain, mempool, rpc
// and rpc/server (for the result shapes it shares with JSON-RPC) and never
// node. Every page is rendered from the same Source functions the REST
// handlers answer from, so the pages show nothing the API does not.
//
// Invariants: the server changes nothing (only GET and HEAD are served);
// bad input (a malformed or unknown height, hash, txid or address, a
// paging parameter out of bounds) is a 400 or 404 answer in the user's
// terms, JSON under /rest/ and a page elsewhere, never a 500 or a panic;
// every response is bounded (paging limits, MaxHeaders, MaxBlocks,
// TxScanDepth; a block's page shows one page of its transactions, its
// summary the whole block's, and only that page's transactions are
// decoded for display); a slow or flooding client is cut off by the read, write
// and idle timeouts and the header and body limits; at most MaxSubscribers
// event streams are open at once; at most Limits.MaxConnections
// connections are open at once (one beyond takes the place of the
// connection idle longest between requests, which is closed; if none is
// idle, it is answered 503 with a JSON error before anything of it is
// read, and closed; a connection with a request in progress or an event
// stream is never closed for a newcomer, though a request sent just as
// its idle connection is closed is lost with it and the client resends
// it, as after the idle timeout); at most MaxRunning
// requests run at once, MaxQueued more wait for a turn at most
// MaxQueueWait, and beyond that a request is answered 503 (an event stream
// takes no turn, and MaxConnections exceeds MaxSubscribers, so streams
// cannot starve the pages). A txid alone is found in the mempool or
// through the transaction index; a node without the index finds it
// through an unspent output or in the last TxScanDepth blocks, so links
// carry the block. The address view shows the address history index.
// Confirmations are counted in one place, rpc/server's Confirmations, which
// the RPC methods use too: a transaction or output whose block is above the
// tip read with it (a reorganisation shortened the chain meanwhile) has 0,
// never a negative or wrapped count, and such a coinbase output is
// immature.
//
// Concurrency: the routes and templates are fixed by New and read-only
// after. The caps on connections and running requests are
// internal/httpcap's (a count and a list of idle connections under its
// own mutex, buffered channels): a connection holds its place from Accept
// to its first Close, or until a newcomer takes it while it is idle
// (http.Server.ConnState tells the cap which are), a request its turn
// from ServeHTTP's admission until its handler returns. The event hub has one
// mutex guarding its subscribers; publishing
// never blocks (a stream that falls subscriberBuffer events behind is
// dropped and the browser reconnects). Serve owns one goroutine, the
// mempool watcher, which ends when Serve returns; every event stream ends
// at Shutdown. The chain's notifications reach the hub through
// HandleChainNotification, which the node subscribes after the mempool
// (node.FollowChain), on the chain's
// notification goroutine and return without blocking. The wall clock is
// read only through Source.Clock.
package explorer
