package sim

import (
	"bytes"
	"fmt"
	"slices"

	"powchain/mempool"
	"powchain/wire"
)

// checkTip runs after every tip change of n: the tip is a stored, valid
// block on n's best chain, and its work never falls (the simulation has no
// invalid blocks to back out of, so a node only ever moves to more work).
func (s *Sim) checkTip(n *Node) {
	tip := n.chain.Tip()
	switch {
	case tip.Invalid || !tip.Valid || !tip.HaveData || !tip.MainChain:
		s.fail(n.index, "tip %s at height %d: invalid %v, valid %v, data %v, main %v",
			tip.Hash, tip.Height, tip.Invalid, tip.Valid, tip.HaveData, tip.MainChain)
		return
	case tip.ChainWork.Cmp(n.tipWork) < 0:
		s.fail(n.index, "tip %s at height %d has less work (%v) than the tip before (%v)",
			tip.Hash, tip.Height, tip.ChainWork, n.tipWork)
		return
	}
	n.tipWork.Set(tip.ChainWork)
	if tip.ChainWork.Cmp(s.maxWork) > 0 {
		s.maxWork.Set(tip.ChainWork)
	}
	s.stats.MaxTipHeight = max(s.stats.MaxTipHeight, tip.Height)
}

// CheckInvariants checks every node now (see the package documentation)
// and returns the first failure, which also stops the run.
func (s *Sim) CheckInvariants() error {
	for _, n := range s.nodes {
		if s.err != nil {
			break
		}
		if err := s.checkNode(n); err != nil {
			s.fail(n.index, "%v", err)
		}
	}
	return s.Err()
}

func (s *Sim) checkNode(n *Node) error {
	tip := n.chain.Tip()
	blk, err := n.chain.BlockByHash(tip.Hash)
	if err != nil || blk == nil || blk.BlockHash() != tip.Hash {
		return fmt.Errorf("tip %s: the node cannot produce its block (%v)", tip.Hash, err)
	}
	if h, ok := n.chain.HashByHeight(tip.Height); !ok || h != tip.Hash {
		return fmt.Errorf("tip %s is not the best chain's block at height %d", tip.Hash, tip.Height)
	}
	if err := s.checkPeers(n); err != nil {
		return err
	}
	return s.checkPool(n)
}

// checkPeers: the Core holds no more peers than allowed, inbound ones
// within their share, and exactly the connections the Sim has open for it.
func (s *Sim) checkPeers(n *Node) error {
	peers := n.core.Peers()
	inbound := 0
	for _, p := range peers {
		if n.conns[p.ID] == nil {
			return fmt.Errorf("core has peer %d (%s), which has no open connection", p.ID, p.Addr)
		}
		if p.Inbound {
			inbound++
		}
	}
	if len(peers) > s.cfg.MaxPeers || inbound > s.cfg.MaxPeers-s.cfg.TargetOutbound {
		return fmt.Errorf("%d peers (%d inbound), limits %d and %d", len(peers), inbound,
			s.cfg.MaxPeers, s.cfg.MaxPeers-s.cfg.TargetOutbound)
	}
	return nil
}

// checkPool: no two pool transactions spend the same output; every input
// is an unspent chain output (a mature one, if a coinbase's) or an output
// of another pool transaction; no pool transaction is already confirmed.
func (s *Sim) checkPool(n *Node) error {
	descs := n.pool.Entries()
	slices.SortFunc(descs, func(a, b *mempool.TxDesc) int { return bytes.Compare(a.TxID[:], b.TxID[:]) })
	inPool := make(map[wire.Hash]*wire.Tx, len(descs))
	for _, d := range descs {
		inPool[d.TxID] = d.Tx
	}
	next := n.chain.Tip().Height + 1
	spent := make(map[wire.OutPoint]wire.Hash)
	for _, d := range descs {
		for _, in := range d.Tx.Inputs {
			op := in.PrevOut
			if other, dup := spent[op]; dup {
				return fmt.Errorf("pool transactions %s and %s both spend %s:%d", other, d.TxID, op.TxID, op.Index)
			}
			spent[op] = d.TxID
			if err := s.checkPoolInput(n, d.TxID, op, inPool, next); err != nil {
				return err
			}
		}
		for j := range d.Tx.Outputs {
			if e, err := n.chain.FetchUtxo(wire.OutPoint{TxID: d.TxID, Index: uint32(j)}); err != nil || e != nil {
				return fmt.Errorf("pool transaction %s is confirmed (err %v)", d.TxID, err)
			}
		}
	}
	return nil
}

func (s *Sim) checkPoolInput(n *Node, txid wire.Hash, op wire.OutPoint, inPool map[wire.Hash]*wire.Tx, next uint64) error {
	if parent := inPool[op.TxID]; parent != nil {
		if int(op.Index) >= len(parent.Outputs) {
			return fmt.Errorf("pool transaction %s spends %s:%d, which its pool parent lacks", txid, op.TxID, op.Index)
		}
		return nil
	}
	e, err := n.chain.FetchUtxo(op)
	switch {
	case err != nil:
		return err
	case e == nil:
		return fmt.Errorf("pool transaction %s spends %s:%d, which the chain lacks or spent", txid, op.TxID, op.Index)
	case e.Coinbase && next-e.Height < s.params.CoinbaseMaturity:
		return fmt.Errorf("pool transaction %s spends immature coinbase %s at height %d (next block %d)",
			txid, op.TxID, e.Height, next)
	}
	return nil
}

// Converged reports whether every node has the same tip and no node knows
// a header with more work. (A header with equal work may differ: the chain
// breaks ties between headers without data differently from blocks.)
func (s *Sim) Converged() bool {
	ref := s.nodes[0].chain.Tip()
	for _, n := range s.nodes {
		if n.chain.Tip().Hash != ref.Hash || n.chain.BestHeader().ChainWork.Cmp(ref.ChainWork) > 0 {
			return false
		}
	}
	return true
}

// CheckConverged checks that every node is on the same tip, that it has
// the most work any node's tip ever had, that no download is left hanging,
// and that every node's UTXO set hashes the same; then every other
// invariant.
func (s *Sim) CheckConverged() error {
	if s.err != nil {
		return s.err
	}
	ref := s.nodes[0].chain.Tip()
	if ref.ChainWork.Cmp(s.maxWork) < 0 {
		s.fail(0, "common tip %s has work %v, below the most any node reached (%v)", ref.Hash, ref.ChainWork, s.maxWork)
		return s.err
	}
	refInfo, err := s.nodes[0].chain.UTXOSetInfo()
	if err != nil {
		s.fail(0, "utxo set info: %v", err)
		return s.err
	}
	for _, n := range s.nodes {
		tip, best := n.chain.Tip(), n.chain.BestHeader()
		if tip.Hash != ref.Hash || best.ChainWork.Cmp(ref.ChainWork) > 0 {
			s.fail(n.index, "not converged: tip %s (height %d), best header %s (height %d, work %v); node 0 at %s (height %d, work %v)",
				tip.Hash, tip.Height, best.Hash, best.Height, best.ChainWork, ref.Hash, ref.Height, ref.ChainWork)
			return s.err
		}
		if inFlight := n.core.SyncInfo().BlocksInFlight; inFlight != 0 {
			s.fail(n.index, "%d blocks still requested after convergence", inFlight)
			return s.err
		}
		info, err := n.chain.UTXOSetInfo()
		if err != nil || info != refInfo {
			s.fail(n.index, "utxo set %+v differs from node 0's %+v (err %v)", info, refInfo, err)
			return s.err
		}
	}
	return s.CheckInvariants()
}
