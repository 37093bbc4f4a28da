package p2p

import (
	"encoding/binary"
	"fmt"
	"testing"

	"powchain/wire"
)

// synthPool is a pool of synthetic transactions (never validated), for
// measuring what a compact block's rebuild costs with the pool's size.
type synthPool struct {
	TxPool
	txs map[wire.Hash]*wire.Tx
}

func (p synthPool) RangeTxs(f func(wire.Hash, *wire.Tx)) {
	for txid, tx := range p.txs {
		f(txid, tx)
	}
}

// BenchmarkCompactRebuild measures rebuilding a compact block of 2,000
// transactions, all in the pool, from pools of 2,000 (the block's own
// transactions), 5,000 and 50,000 synthetic transactions: every pool
// transaction's short id is computed and looked up. docs/BENCHMARKS.md
// compares it with connecting a block of the same shape (chain's
// BenchmarkConnectBlock/cached).
func BenchmarkCompactRebuild(b *testing.B) {
	const blockTxs = 2000
	for _, size := range []int{blockTxs, 5000, 50000} {
		b.Run(fmt.Sprintf("pool=%d", size), func(b *testing.B) {
			pool := synthPool{txs: make(map[wire.Hash]*wire.Tx, size)}
			h := newCoreHarness(b, func(c *Config) {
				pool.TxPool = c.TxPool
				c.TxPool = pool
			})
			tip := h.chain.Tip()
			blk := &wire.Block{Header: wire.BlockHeader{PrevBlock: tip.Hash}}
			blk.Transactions = append(blk.Transactions, &wire.Tx{Inputs: []wire.TxIn{{PrevOut: wire.OutPoint{Index: ^uint32(0)}}}})
			for i := range size {
				tx := &wire.Tx{Version: 1, Inputs: []wire.TxIn{{}}, Outputs: []wire.TxOut{{Amount: 1}, {Amount: 2}}}
				binary.LittleEndian.PutUint64(tx.Inputs[0].PrevOut.TxID[:], uint64(i)+1)
				pool.txs[tx.TxID()] = tx
				if i < blockTxs {
					blk.Transactions = append(blk.Transactions, tx)
				}
			}
			hash := blk.Header.BlockHash()
			m := h.core.compactFor(blk, hash, nil)
			b.ResetTimer()
			for range b.N {
				if pb := h.core.reconstruct(m, hash); pb == nil || len(pb.missing) != 0 {
					b.Fatal("not rebuilt from the pool")
				}
			}
		})
	}
}
