package chain_test

import (
	"encoding/binary"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// orphanBenchBlocks is how many orphans BenchmarkOrphanPoolMemory sends:
// the pool's count limit.
const orphanBenchBlocks = 100

// BenchmarkOrphanPoolMemory measures what the orphan pool holds when a peer
// fills it with the largest orphans it can: orphanBenchBlocks blocks of
// nearly wire.MaxBlockSize, each of the most transactions a block holds
// (the smallest valid ones, one input and one output: the most decoded
// bytes per encoded byte), each transaction's lists allocated on their
// own as wire.BlockFromProto (a non-canonical encoding's path) allocates
// them. Their parents are unknown, so each passes the context-free checks
// and waits in the pool. Each block is built, submitted and forgotten by
// the benchmark in turn; the chain is closed (LevelDB's buffers go; the
// Chain, and so its pool, is kept alive) and the live heap after two
// collections is compared with the live heap right after Open.
// held_MB is that difference, orphans the blocks still in the pool,
// encoded_MB their encoded size, and heap/encoded the ratio of the two.
func BenchmarkOrphanPoolMemory(b *testing.B) {
	params := chaintest.Params(genesisTime)
	clock := chaintest.NewClock(genesisTime.Add(24 * time.Hour))
	var held, encoded, kept float64
	for b.Loop() {
		hashes := make([]wire.Hash, orphanBenchBlocks)
		sizes := make([]int, orphanBenchBlocks)
		c, gain := heapKept(b, chain.Config{Params: params, Clock: clock}, func(c *chain.Chain) {
			for i := range hashes {
				blk := smallTxOrphan(clock.Now(), uint32(i))
				hashes[i], sizes[i] = blk.BlockHash(), blk.SerializeSize()
				if res, err := c.ProcessBlock(blk); err != nil || !res.Orphan {
					b.Fatalf("orphan %d: %+v, %v", i, res, err)
				}
			}
		})
		for i, h := range hashes {
			if c.IsOrphan(h) {
				kept++
				encoded += float64(sizes[i])
			}
		}
		held += float64(gain.HeapAlloc)
	}
	n := float64(b.N)
	b.ReportMetric(held/n/1e6, "held_MB")
	b.ReportMetric(kept/n, "orphans")
	b.ReportMetric(encoded/n/1e6, "encoded_MB")
	b.ReportMetric(held/encoded, "heap/encoded")
}

// smallTxOrphan returns a block whose parent nobody knows, as large as a
// block of the smallest valid transactions can be (a coinbase and
// wire.MaxTxPerBlock-1 transactions of wire.MinTxSize bytes each, 999,924
// bytes), with the easiest proof of work, a timestamp of now and no valid
// signature: it passes every context-free check. seed makes it unique.
func smallTxOrphan(now time.Time, seed uint32) *wire.Block {
	txs := make([]*wire.Tx, wire.MaxTxPerBlock)
	txs[0] = wire.NewCoinbaseTx(wire.CoinbaseData{Height: 1, ExtraNonce: uint64(seed)}, []wire.TxOut{{Amount: 1}})
	for i := 1; i < len(txs); i++ {
		in := wire.TxIn{}
		binary.LittleEndian.PutUint32(in.PrevOut.TxID[:], seed)
		binary.LittleEndian.PutUint32(in.PrevOut.TxID[4:], uint32(i))
		txs[i] = &wire.Tx{Version: 1, Inputs: []wire.TxIn{in}, Outputs: []wire.TxOut{{Amount: 1}}}
	}
	return solvedOrphan(now, seed, txs)
}

// solvedOrphan returns a block of txs on a parent derived from seed that no
// chain knows, with the easiest proof of work, solved.
func solvedOrphan(now time.Time, seed uint32, txs []*wire.Tx) *wire.Block {
	blk := &wire.Block{Header: wire.BlockHeader{Version: 1, Timestamp: now.Unix(), Bits: chaintest.LimitBits}, Transactions: txs}
	blk.Header.PrevBlock[0] = 0xee // not a hash anything solved
	binary.LittleEndian.PutUint32(blk.Header.PrevBlock[1:], seed)
	blk.Header.MerkleRoot, _ = wire.MerkleRoot(blk.TxIDs())
	if !chaintest.Solve(&blk.Header) {
		panic("unsolvable header")
	}
	return blk
}
