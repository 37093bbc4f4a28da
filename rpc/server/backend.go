package server

import (
	"context"
	"errors"
	"time"

	"powchain/chain"
	"powchain/mempool"
	"powchain/rpc"
	"powchain/wire"
)

// Backend is what the node's RPC methods act on. The node fills it in and
// registers it with RegisterNodeMethods.
type Backend struct {
	Chain   *chain.Chain
	Mempool *mempool.Pool
	Clock   chain.Clock
	// Started is when the node started, on Clock (uptime).
	Started time.Time
	// Generate mines n blocks paying payTo on the node itself and returns
	// their hashes (generatetoaddress). Nil: the method is not offered.
	Generate func(ctx context.Context, n int, payTo wire.KeyHash) ([]wire.Hash, error)
	// Template answers getblocktemplate: the template for the next block
	// and, given the longpollid of an earlier template, the next one once
	// the tip or the mempool changed (see docs/RPC.md). Nil: the method is
	// not offered.
	Template func(ctx context.Context, longPollID string) (*rpc.BlockTemplate, error)
	// Stop asks the node to shut down in order; it returns at once. Nil:
	// the method is not offered.
	Stop func()
	// Net is the peer-to-peer layer.
	Net Network
}

// RegisterNodeMethods registers every chain, mempool and utility method,
// or fails if b lacks the Chain, Mempool, Clock, Started or Net they act
// on. The hooks are optional: without Generate, Template or Stop, the
// method that needs it (generatetoaddress, getblocktemplate, stop) is not
// offered.
func (s *Server) RegisterNodeMethods(b *Backend) error {
	if b.Chain == nil || b.Mempool == nil || b.Clock == nil || b.Started.IsZero() || b.Net == nil {
		return errors.New("server: Backend needs Chain, Mempool, Clock, Started and Net")
	}
	s.registerChainMethods(b)
	s.registerTxMethods(b)
	s.registerHistoryMethods(b)
	s.registerUtilMethods(b)
	s.registerNetMethods(b)
	s.registerMiningMethods(b)
	return nil
}
