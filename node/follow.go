package node

import (
	"powchain/chain"
	"powchain/mempool"
)

// FollowChain subscribes to c, as one subscriber, everything that follows
// the best chain, in the one order that is right: the mempool first, so
// that whatever hears of a change after it (block templates, transaction
// relay) sees a pool that has caught up with the chain; then the others,
// in the order given. The node and the network simulator (testnet/sim) both
// use it, so the order is decided here and nowhere else.
//
// Every function runs on the goroutine that changed the chain, with no
// chain lock held (see chain.Subscribe), and must not block.
func FollowChain(c *chain.Chain, pool *mempool.Pool, then ...func(chain.Notification)) {
	c.Subscribe(func(n chain.Notification) {
		pool.HandleChainNotification(n)
		for _, fn := range then {
			fn(n)
		}
	})
}
