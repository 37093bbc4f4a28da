package sim

import (
	"time"

	"powchain/chain"
	"powchain/wire"
)

// The validation model. A Core calls its chain synchronously, so by the
// time an input returns, the blocks it delivered are validated and stored
// and the Core's state has moved on. The Sim puts the time that takes back
// afterwards, treating each node as one thread (as Bitcoin Core's message
// handler is):
//
//   - Every block a Core hands its chain (meteredChain.ProcessBlock) costs
//     Config.ValidationPerTx for each of its transactions, real and virtual.
//     The input's cost is added after it returns: the node is busy until
//     busyUntil = now + cost.
//   - Inputs that reach a busy node wait until busyUntil (postpone), in
//     the order they arrived, so each connection stays FIFO.
//   - The messages an input sends enter the upload queue at busyUntil: they
//     follow validation logically (a block announced after it is stored,
//     a request the new tip prompted); so do those of Core.ChainChanged
//     after the input.
//   - The exception is the compact block that BIP 152's high-bandwidth
//     mode pushes once the header and proof of work check out, before
//     full validation. A Core that does so returns ActValidate instead of
//     validating inside the input: the Sim sends the input's messages at
//     once, then calls Core.Validate, charges the validation it did, and
//     sends what Validate returned when that validation is over (apply).
//   - A node's own mined block and its own transactions cost no validation
//     (the miner built the block from transactions it had validated); their
//     messages enter the queue at now, or when the node is free.

// meteredChain is the chain a node's Core sees: the node's real chain,
// whose ProcessBlock also charges the validation model and records when
// the node first had each block.
type meteredChain struct {
	*chain.Chain
	sim  *Sim
	node *Node
}

// ProcessBlock processes blk on the real chain and, if the chain took it
// (stored it, on the best chain or a side chain), charges its validation
// to the current input and records the node's arrival.
func (m *meteredChain) ProcessBlock(blk *wire.Block) (chain.ProcessResult, error) {
	res, err := m.Chain.ProcessBlock(blk)
	if err != nil || res.Orphan {
		return res, err
	}
	hash := blk.BlockHash()
	m.node.work += time.Duration(len(blk.Transactions)+m.sim.virtual[hash]) * m.sim.cfg.ValidationPerTx
	m.sim.blocks.arrived(hash, m.node.index, m.sim.now, m.sim.delivering)
	return res, nil
}

// chargeValidation makes n busy for the validation its input just did.
func (s *Sim) chargeValidation(n *Node) {
	if n.work == 0 {
		return
	}
	if n.busyUntil.Before(s.now) {
		n.busyUntil = s.now
	}
	n.busyUntil = n.busyUntil.Add(n.work)
	n.work = 0
}

// postpone reschedules an input that reached n while it validates: it
// runs when n is free, after the inputs postponed before it.
func (s *Sim) postpone(n *Node, e *event) {
	s.stats.Deferred++
	e.at = n.busyUntil
	s.schedule(e)
}

// sendTime is when a message n sends now enters n's upload queue: now, or
// when n has finished validating.
func (s *Sim) sendTime(n *Node) time.Time {
	if n.busyUntil.After(s.now) {
		return n.busyUntil
	}
	return s.now
}
