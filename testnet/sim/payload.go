package sim

import (
	"powchain/p2p"
	"powchain/wire"
)

// The virtual payload. A network of 1,000 nodes exchanging 1 MB blocks of
// real transactions (about 5,000 each) would spend its whole budget
// signing, relaying and admitting transactions. Instead, with
// Config.BlockSize set, every mined block carries its real transactions
// (injected at a modest rate, relayed, admitted and confirmed like any
// other) plus a declared number of virtual ones that make it up to
// BlockSize bytes. Virtual transactions are taken to be in every node's
// pool already, as they would be in a network whose blocks confirm what
// was relayed before. They exist only as a count per block (Sim.virtual),
// which the models charge:
//
//   - bandwidth (virtualBytes): a full block costs its virtual bytes on top
//     of its real frame; a compact block costs 6 bytes (a short id) per
//     virtual transaction; a blocktxn costs nothing extra, because no node
//     ever misses a virtual transaction;
//   - validation (cpu.go): each virtual transaction costs ValidationPerTx,
//     like a real one.
//
// What this leaves out, plainly: the relay of the virtual transactions
// themselves before the block (their invs and bodies would take a share of
// every upload link all the time), any pool that misses some of them (so
// compact blocks never need a round trip for them), and their memory, disk
// and real CPU cost in the process.

// virtualTxSize is the size of one virtual transaction: one input and two
// outputs, like most of the Sim's real ones (200 bytes).
const virtualTxSize = 4 + 4 + 4 + wire.TxInSize + 2*wire.TxOutSize

// declareVirtual gives a newly mined block enough virtual transactions to
// make it Config.BlockSize bytes, if it is smaller.
func (s *Sim) declareVirtual(blk *wire.Block, hash wire.Hash) {
	if missing := s.cfg.BlockSize - blk.SerializeSize(); missing > 0 {
		s.virtual[hash] = missing / virtualTxSize
	}
}

// virtualBytes is what m costs the upload link beyond its real frame.
func (s *Sim) virtualBytes(m p2p.Message) int {
	if len(s.virtual) == 0 {
		return 0
	}
	switch m := m.(type) {
	case *p2p.MsgBlock:
		return s.virtual[m.Block.BlockHash()] * virtualTxSize
	case *p2p.MsgStoredBlock:
		return s.virtual[m.Hash] * virtualTxSize
	case *p2p.MsgCmpctBlock:
		return s.virtual[m.Header.BlockHash()] * p2p.ShortIDSize
	}
	return 0
}
