package chaintest

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"slices"

	"powchain/chain"
	"powchain/wire"
)

// UTXOSet is a reference model of the UTXO set: a plain map, rebuilt from
// scratch, to check the Chain's incrementally maintained set against.
type UTXOSet map[wire.OutPoint]chain.UtxoEntry

// ReplayUTXOSet applies blocks (genesis first, each the parent of the next)
// to an empty set without validating them.
func ReplayUTXOSet(blocks []*wire.Block) UTXOSet {
	set := make(UTXOSet)
	for height, b := range blocks {
		for _, tx := range b.Transactions {
			if !tx.IsCoinbase() {
				for _, in := range tx.Inputs {
					delete(set, in.PrevOut)
				}
			}
			txid := tx.TxID()
			for i, out := range tx.Outputs {
				set[wire.OutPoint{TxID: txid, Index: uint32(i)}] = chain.UtxoEntry{
					Amount: out.Amount, KeyHash: out.KeyHash, Height: uint64(height), Coinbase: tx.IsCoinbase(),
				}
			}
		}
	}
	return set
}

// Info computes what chain.UTXOSetInfo reports for this set, following the
// serialisation documented there, independently of the chain's code.
func (s UTXOSet) Info() (txouts, total uint64, hash wire.Hash) {
	ops := make([]wire.OutPoint, 0, len(s))
	for op := range s {
		ops = append(ops, op)
	}
	slices.SortFunc(ops, func(a, b wire.OutPoint) int {
		if c := bytes.Compare(a.TxID[:], b.TxID[:]); c != 0 {
			return c
		}
		return int(int64(a.Index) - int64(b.Index))
	})
	h := sha256.New()
	for _, op := range ops {
		e := s[op]
		var rec []byte
		rec = append(rec, op.TxID[:]...)
		rec = binary.LittleEndian.AppendUint32(rec, op.Index)
		rec = binary.LittleEndian.AppendUint64(rec, e.Amount)
		rec = append(rec, e.KeyHash[:]...)
		rec = binary.LittleEndian.AppendUint64(rec, e.Height)
		if e.Coinbase {
			rec = append(rec, 1)
		} else {
			rec = append(rec, 0)
		}
		h.Write(rec)
		total += e.Amount
	}
	h.Sum(hash[:0])
	return uint64(len(ops)), total, hash
}

// BestChainBlocks returns the blocks of c's best chain, genesis first.
func BestChainBlocks(c *chain.Chain) ([]*wire.Block, error) {
	tip := c.Tip()
	blocks := make([]*wire.Block, 0, tip.Height+1)
	for h := uint64(0); h <= tip.Height; h++ {
		hash, _ := c.HashByHeight(h)
		b, err := c.BlockByHash(hash)
		if err != nil {
			return nil, err
		}
		blocks = append(blocks, b)
	}
	return blocks, nil
}
