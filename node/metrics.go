package node

import (
	"powchain/chain"
	"powchain/metrics"
	"powchain/p2p"
)

// newMetrics builds the node's metrics over its parts. The gauges read the
// parts at scrape time, which can only come after open (the HTTP server
// starts in Run), so the parts need not exist yet.
func (n *Node) newMetrics() *metrics.Node {
	netInfo := func() netAdapter { return netAdapter{srv: n.p2p, network: n.params.Name} }
	return metrics.NewNode(metrics.NodeSource{
		Heights: func() (uint64, uint64) { return n.chain.Heights() }, // n.chain as of the scrape
		Mempool: func() metrics.Mempool {
			info := n.mempool.Info()
			return metrics.Mempool{Transactions: info.Size, Bytes: info.Bytes, MinFeeRate: info.MinFeeRate, Unbroadcast: info.Unbroadcast}
		},
		Peers: func() (int, int) {
			info, err := netInfo().Info()
			if err != nil {
				return 0, 0 // the network layer stopped
			}
			return info.ConnectionsIn, info.ConnectionsOut
		},
		Banned: func() int {
			bans, _ := netInfo().ListBanned()
			return len(bans)
		},
	}, func(method string) bool { return n.rpc.HasMethod(method) })
}

// observeRPC times one RPC call for the metrics.
func (n *Node) observeRPC(method string) func(failed bool) {
	start := n.clock.Now()
	return func(failed bool) { n.metrics.RPCCall(method, n.clock.Now().Sub(start), failed) }
}

// observeMessage counts one p2p message for the metrics.
func (n *Node) observeMessage(inbound bool, t p2p.MsgType, frameBytes int) {
	n.metrics.Message(inbound, t.String(), frameBytes)
}

// reorgCounter turns chain notifications into reorganisation metrics. It
// is called only by the chain's notification delivery, which is
// serialised, so disconnected needs no lock.
type reorgCounter struct {
	metrics      *metrics.Node
	disconnected int
}

func (r *reorgCounter) onChain(note chain.Notification) {
	switch note.Type {
	case chain.BlockDisconnected:
		r.disconnected++
	case chain.TipChanged:
		if r.disconnected > 0 {
			r.metrics.Reorganized(r.disconnected)
			r.disconnected = 0
		}
	}
}
