package miner

import (
	"time"

	"powchain/chain"
	"powchain/wire"
)

// BlockVersion is the header version of blocks this node builds.
const BlockVersion = 1

// Template is everything needed to build the next block.
type Template struct {
	Version       uint32
	PrevBlock     wire.Hash
	Height        uint64
	Bits          uint32
	MinTime       int64 // the timestamp must be at least this (median time past + 1)
	CurTime       int64 // the node's time, raised to MinTime
	CoinbaseValue uint64
	Txs           []*wire.Tx // in block order, without the coinbase
	Fees          []uint64   // fee of each of Txs
}

// MaxTxBytes is how many bytes of transactions fit beside the header, the
// transaction count and a one-output coinbase.
const MaxTxBytes = wire.MaxBlockSize - wire.HeaderSize - 4 - wire.MinTxSize

// NewTemplate builds the template for a child of tip: the target from
// aserti3-2d, a timestamp no earlier than the median time past allows, and a
// coinbase worth the subsidy plus the fees of txs.
func NewTemplate(params *chain.Params, tip chain.BlockInfo, txs []*wire.Tx, fees []uint64, now time.Time) *Template {
	t := &Template{
		Version:   BlockVersion,
		PrevBlock: tip.Hash,
		Height:    tip.Height + 1,
		Bits:      params.NextBits(tip.Height, tip.Header.Timestamp, tip.AnchorTime),
		MinTime:   tip.MedianTime + 1,
		CurTime:   max(now.Unix(), tip.MedianTime+1),
		Txs:       txs,
		Fees:      fees,
	}
	t.CoinbaseValue = params.CalcBlockSubsidy(t.Height)
	for _, f := range fees {
		t.CoinbaseValue += f
	}
	return t
}

// NewBlock assembles the block of template t: a coinbase paying the whole
// coinbase value to payTo and carrying the height and extraNonce, then the
// template's transactions, the merkle root and the given timestamp. The
// nonce is left zero for Solve.
func NewBlock(t *Template, payTo wire.KeyHash, extraNonce uint64, timestamp int64) *wire.Block {
	cb := wire.NewCoinbaseTx(wire.CoinbaseData{Height: t.Height, ExtraNonce: extraNonce},
		[]wire.TxOut{{Amount: t.CoinbaseValue, KeyHash: payTo}})
	txs := append([]*wire.Tx{cb}, t.Txs...)
	blk := &wire.Block{
		Header: wire.BlockHeader{
			Version:   t.Version,
			PrevBlock: t.PrevBlock,
			Timestamp: max(timestamp, t.MinTime),
			Bits:      t.Bits,
		},
		Transactions: txs,
	}
	blk.Header.MerkleRoot, _ = wire.MerkleRoot(blk.TxIDs())
	return blk
}
