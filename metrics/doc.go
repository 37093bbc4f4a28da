// Package metrics owns the node's and the miner's Prometheus metrics: their
// names, help texts, labels and registries, and the /metrics handler.
// Gauges of state (heights, mempool, peers, bans) are read at scrape time
// through the functions the caller supplies, each called once per scrape:
// the gauges one function gives (the two heights, the four mempool
// gauges, the two peer directions) come from one reading and agree with
// each other, and the mempool's lock is taken once. Counters and histograms of
// events (block connects, reorganisations, p2p messages, RPC calls) are fed
// by the hooks the node wires into chain, p2p and rpc/server. Go runtime
// and process metrics are registered too.
//
// Layering: the package imports only the Prometheus client; node and the
// miner command use it, nothing below them does.
//
// Concurrency: every method is safe for concurrent use (the Prometheus
// types are); the supplied functions are called on the scraping goroutine
// and must be safe to call from it. Label values are bounded: p2p message
// types are the protocol's, RPC methods are the registered ones (an
// unknown method counts as "unknown").
package metrics
