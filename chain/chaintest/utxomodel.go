package chaintest

import (
	"bytes"
	"cmp"
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

// History is a reference model of the address history index: for every key
// hash, the outputs ever paid to it, oldest first (height, txid, index).
type History map[wire.KeyHash][]chain.AddressHistoryEntry

// ReplayHistory builds the address history of blocks (genesis first, each
// the parent of the next) without validating them.
func ReplayHistory(blocks []*wire.Block) History {
	type located struct {
		kh  wire.KeyHash
		idx int
	}
	hist := make(History)
	where := make(map[wire.OutPoint]located)
	for height, b := range blocks {
		for _, tx := range b.Transactions {
			txid := tx.TxID()
			if !tx.IsCoinbase() {
				for j, in := range tx.Inputs {
					l := where[in.PrevOut]
					e := &hist[l.kh][l.idx]
					e.Spent, e.SpentBy, e.SpentInput, e.SpentHeight = true, txid, uint32(j), uint64(height)
				}
			}
			for i, out := range tx.Outputs {
				op := wire.OutPoint{TxID: txid, Index: uint32(i)}
				where[op] = located{out.KeyHash, len(hist[out.KeyHash])}
				hist[out.KeyHash] = append(hist[out.KeyHash], chain.AddressHistoryEntry{
					OutPoint: op, Height: uint64(height), Amount: out.Amount, Coinbase: tx.IsCoinbase(),
				})
			}
		}
	}
	for kh, entries := range hist {
		// Sort a copy: where holds indexes into the unsorted slices.
		sorted := slices.Clone(entries)
		slices.SortFunc(sorted, func(a, b chain.AddressHistoryEntry) int {
			if a.Height != b.Height {
				return cmp.Compare(a.Height, b.Height)
			}
			if c := bytes.Compare(a.OutPoint.TxID[:], b.OutPoint.TxID[:]); c != 0 {
				return c
			}
			return cmp.Compare(a.OutPoint.Index, b.OutPoint.Index)
		})
		hist[kh] = sorted
	}
	return hist
}
