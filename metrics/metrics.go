package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "powchain"

// NodeSource reads the node's state at scrape time. A scrape calls each
// function once, so the gauges one function gives agree with each other.
type NodeSource struct {
	// Heights are the best chain's and the best header's, read together.
	Heights func() (height, headerHeight uint64)
	// Mempool: the mempool now.
	Mempool func() Mempool
	// Peers: connected peers by direction.
	Peers func() (inbound, outbound int)
	// Banned: hosts banned now.
	Banned func() int
}

// Mempool is the state of the mempool the node's gauges show.
type Mempool struct {
	// Transactions and Bytes: the pool's transactions and their size.
	Transactions, Bytes int
	// MinFeeRate is the lowest fee rate admitted now (base units per 1000
	// bytes).
	MinFeeRate uint64
	// Unbroadcast: transactions submitted to the node that no peer has
	// asked for yet.
	Unbroadcast int
}

// Node holds the node's metrics.
type Node struct {
	reg        *prometheus.Registry
	connect    prometheus.Histogram
	reorgs     prometheus.Counter
	reorgDepth prometheus.Histogram
	messages   *prometheus.CounterVec
	bytes      *prometheus.CounterVec
	rpcCalls   *prometheus.CounterVec
	rpcLatency *prometheus.HistogramVec
	rpcKnown   func(method string) bool
}

// NewNode registers the node's metrics over src. rpcKnown tells a
// registered RPC method from an unknown one (so that a client cannot
// create label values at will).
func NewNode(src NodeSource, rpcKnown func(method string) bool) *Node {
	m := &Node{reg: prometheus.NewRegistry(), rpcKnown: rpcKnown}
	m.reg.MustRegister(gaugeSet{
		descs: []*prometheus.Desc{
			gaugeDesc("chain_height", "Height of the best chain's tip."),
			gaugeDesc("chain_header_height", "Height of the best known header (ahead of chain_height while syncing)."),
		},
		read: func() []float64 {
			height, header := src.Heights()
			return []float64{float64(height), float64(header)}
		},
	}, gaugeSet{
		descs: []*prometheus.Desc{
			gaugeDesc("mempool_transactions", "Transactions in the mempool."),
			gaugeDesc("mempool_bytes", "Total size of the mempool's transactions."),
			gaugeDesc("mempool_min_fee_rate", "Lowest fee rate the mempool admits now, in base units per 1000 bytes."),
			gaugeDesc("mempool_unbroadcast", "Mempool transactions submitted to this node that no peer has asked for yet."),
		},
		read: func() []float64 {
			p := src.Mempool()
			return []float64{float64(p.Transactions), float64(p.Bytes), float64(p.MinFeeRate), float64(p.Unbroadcast)}
		},
	})
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: "banned_peers", Help: "Hosts banned now."},
		func() float64 { return float64(src.Banned()) }))
	peers := prometheus.NewDesc(prometheus.BuildFQName(namespace, "", "peers"), "Connected peers by direction.", []string{"direction"}, nil)
	m.reg.MustRegister(peerCollector{desc: peers, peers: src.Peers})

	m.connect = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Name: "block_connect_seconds",
		Help:    "Time to connect one block to the best chain (validate against the UTXO set, verify signatures, write).",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)})
	m.reorgs = prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "chain_reorganizations_total",
		Help: "Changes of the best chain that disconnected blocks."})
	m.reorgDepth = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Name: "chain_reorganization_depth_blocks",
		Help: "Blocks disconnected by each reorganisation.", Buckets: []float64{1, 2, 3, 5, 10, 20, 50, 100}})
	m.messages = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "p2p_messages_total",
		Help: "P2P messages by direction (in, out) and type."}, []string{"direction", "type"})
	m.bytes = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "p2p_bytes_total",
		Help: "P2P bytes (whole frames) by direction (in, out) and message type."}, []string{"direction", "type"})
	m.rpcCalls = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "rpc_requests_total",
		Help: "JSON-RPC calls by method and result (ok, error)."}, []string{"method", "result"})
	m.rpcLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "rpc_request_duration_seconds",
		Help: "Time to run one JSON-RPC call, by method.", Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10)}, []string{"method"})
	m.reg.MustRegister(m.connect, m.reorgs, m.reorgDepth, m.messages, m.bytes, m.rpcCalls, m.rpcLatency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func gaugeDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, nil, nil)
}

// gaugeSet is gauges without labels that one reading gives: each Collect
// calls read once (one lock of the source) and emits read's values, one
// per desc in order, so the gauges of a scrape agree with each other.
type gaugeSet struct {
	descs []*prometheus.Desc
	read  func() []float64
}

func (g gaugeSet) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range g.descs {
		ch <- d
	}
}

func (g gaugeSet) Collect(ch chan<- prometheus.Metric) {
	for i, v := range g.read() {
		ch <- prometheus.MustNewConstMetric(g.descs[i], prometheus.GaugeValue, v)
	}
}

type peerCollector struct {
	desc  *prometheus.Desc
	peers func() (int, int)
}

func (c peerCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c peerCollector) Collect(ch chan<- prometheus.Metric) {
	in, out := c.peers()
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(in), "inbound")
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(out), "outbound")
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Node) Handler() http.Handler { return handler(m.reg) }

func handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg, MaxRequestsInFlight: 4})
}

// BlockConnected records how long connecting one block took.
func (m *Node) BlockConnected(d time.Duration) { m.connect.Observe(d.Seconds()) }

// Reorganized records a best-chain change that disconnected depth blocks.
func (m *Node) Reorganized(depth int) {
	m.reorgs.Inc()
	m.reorgDepth.Observe(float64(depth))
}

// Message records one p2p message of type typ and its frame size.
func (m *Node) Message(inbound bool, typ string, frameBytes int) {
	dir := "out"
	if inbound {
		dir = "in"
	}
	m.messages.WithLabelValues(dir, typ).Inc()
	m.bytes.WithLabelValues(dir, typ).Add(float64(frameBytes))
}

// RPCCall records one JSON-RPC call.
func (m *Node) RPCCall(method string, d time.Duration, failed bool) {
	if !m.rpcKnown(method) {
		method = "unknown"
	}
	result := "ok"
	if failed {
		result = "error"
	}
	m.rpcCalls.WithLabelValues(method, result).Inc()
	m.rpcLatency.WithLabelValues(method).Observe(d.Seconds())
}

// MinerSource reads a miner's counters at scrape time.
type MinerSource struct {
	// Hashes tried, blocks found (solved) and accepted by the node so far.
	Hashes, Found, Accepted func() uint64
	// HashRate is the last measured rate, hashes per second.
	HashRate func() float64
}

// Miner returns the /metrics handler of `powchain miner start`.
func Miner(src MinerSource) http.Handler {
	reg := prometheus.NewRegistry()
	counter := func(name, help string, f func() uint64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, func() float64 { return float64(f()) }))
	}
	counter("miner_hashes_total", "Block headers hashed.", src.Hashes)
	counter("miner_blocks_found_total", "Blocks solved.", src.Found)
	counter("miner_blocks_accepted_total", "Solved blocks the node accepted.", src.Accepted)
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: "miner_hash_rate",
		Help: "Hashes per second over the last report interval."}, src.HashRate),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return handler(reg)
}
