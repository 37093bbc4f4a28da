package server

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"powchain/chain"
	"powchain/rpc"
	"powchain/wire"
)

// getBlockStats is Bitcoin Core's getblockstats: statistics of one block,
// computed from its body and its undo record (what its inputs spent), so
// only for a block of the best chain, the only blocks whose undo records
// the node keeps. With stats (an array of field names) only those fields
// are answered; an unknown name is Core's -8, checked before any block is
// read.
func (b *Backend) getBlockStats(_ context.Context, params []json.RawMessage) (any, error) {
	hash, err := b.hashOrHeight(params, 0, "hash_or_height")
	if err != nil {
		return nil, err
	}
	var selected []string
	if err := optional(params, 1, "stats", &selected); err != nil {
		return nil, err
	}
	names := blockStatsFields(&rpc.BlockStats{})
	for _, name := range selected {
		if _, ok := names[name]; !ok {
			return nil, rpc.NewError(rpc.CodeInvalidParameter, "Invalid selected statistic '%s'", name)
		}
	}
	info, blk, err := b.blockWithInfo(hash)
	if err != nil {
		return nil, err
	}
	spent, ok, err := b.Chain.SpentOutputs(hash)
	if err != nil {
		return nil, rpc.NewError(rpc.CodeDatabaseError, "read the block's undo record: %v", err)
	}
	if !ok {
		return nil, rpc.NewError(rpc.CodeMiscError, "Undo data not available (the node keeps it for best-chain blocks only)")
	}
	stats, err := blockStats(blk, info, spent, b.Chain.Params())
	if err != nil {
		return nil, rpc.NewError(rpc.CodeDatabaseError, "%v", err)
	}
	if len(selected) == 0 {
		return stats, nil
	}
	all := blockStatsFields(stats)
	out := make(map[string]json.RawMessage, len(selected)) // encoded in key order, as Core's
	for _, name := range selected {
		out[name] = all[name]
	}
	return out, nil
}

// blockStatsFields is s by field name, each field's JSON.
func blockStatsFields(s *rpc.BlockStats) map[string]json.RawMessage {
	raw, _ := json.Marshal(s) // numbers, strings and an array: cannot fail
	var fields map[string]json.RawMessage
	json.Unmarshal(raw, &fields)
	return fields
}

// hashOrHeight decodes parameter i, a block hash (of any block the node
// knows of) or the height of a best-chain block, with Bitcoin Core's
// errors for a height below 0 or above the tip.
func (b *Backend) hashOrHeight(params []json.RawMessage, i int, name string) (wire.Hash, error) {
	var raw json.RawMessage
	if err := required(params, i, name, &raw); err != nil {
		return wire.Hash{}, err
	}
	switch kind := rawKind(raw); kind {
	case "string":
		return hashParam(params, i, name)
	case "number":
	default:
		return wire.Hash{}, rpc.NewError(rpc.CodeTypeError, "Expected type string or number for %s, got %s", name, kind)
	}
	var height int64
	if err := json.Unmarshal(raw, &height); err != nil {
		return wire.Hash{}, rpc.NewError(rpc.CodeInvalidParameter, "%s out of range: must be a whole number from 0 to %d", name, b.Chain.TipHeight())
	}
	if height < 0 {
		return wire.Hash{}, rpc.NewError(rpc.CodeInvalidParameter, "Target block height %d is negative", height)
	}
	hash, ok := b.Chain.HashByHeight(uint64(height))
	if !ok {
		return hash, rpc.NewError(rpc.CodeInvalidParameter, "Target block height %d after current tip %d", height, b.Chain.TipHeight())
	}
	return hash, nil
}

// blockStats computes getblockstats' fields of blk (described by info)
// from spent, its undo record, as Bitcoin Core computes them, with each
// transaction's size where Core has its weight (the node has no weight):
// fees come from TxFee; fee rates are fee × 1000 / size, in base units
// per 1000 bytes, rounded down; the coinbase counts in txs and outs only
// (and, as every output enters the UTXO set, in the UTXO figures).
// utxo_size_inc counts the bytes of the UTXO set's records
// (chain.UtxoRecordSize) the block adds less those it deletes; every
// output is spendable and enters the set, the genesis block's too, so the
// _actual figures, which Core gives without unspendable outputs, equal
// the others. An undo record that does not fit the block is an error.
func blockStats(blk *wire.Block, info chain.BlockInfo, spent []chain.UtxoEntry, params *chain.Params) (*rpc.BlockStats, error) {
	s := &rpc.BlockStats{BlockHash: info.Hash.String(), Height: info.Height, MedianTime: info.MedianTime,
		Time: info.Header.Timestamp, Subsidy: params.CalcBlockSubsidy(info.Height), Txs: uint64(len(blk.Transactions))}
	var fees, sizes []uint64
	var rates []sizedRate
	var utxoBytes int64
	for _, tx := range blk.Transactions {
		var out uint64
		for _, o := range tx.Outputs {
			out += o.Amount
			utxoBytes += int64(chain.UtxoRecordSize(chain.UtxoEntry{Amount: o.Amount, KeyHash: o.KeyHash, Height: info.Height, Coinbase: tx.IsCoinbase()}))
		}
		s.Outs += uint64(len(tx.Outputs))
		if tx.IsCoinbase() {
			continue
		}
		prev := TakeSpent(tx, &spent)
		fee, ok := TxFee(tx, prev)
		if !ok {
			return nil, fmt.Errorf("the undo record of block %s does not fit its transaction %s", info.Hash, tx.TxID())
		}
		for _, e := range prev {
			utxoBytes -= int64(chain.UtxoRecordSize(e))
		}
		size := uint64(tx.SerializeSize())
		s.Ins += uint64(len(tx.Inputs))
		s.TotalOut += out
		s.TotalSize += size
		s.TotalFee += fee
		fees, sizes = append(fees, fee), append(sizes, size)
		rates = append(rates, sizedRate{rate: fee * 1000 / size, size: size})
	}
	if len(spent) != 0 {
		return nil, fmt.Errorf("the undo record of block %s holds %d outputs more than its inputs spent", info.Hash, len(spent))
	}
	if n := uint64(len(fees)); n > 0 {
		s.AvgFee, s.AvgTxSize = s.TotalFee/n, s.TotalSize/n
		s.AvgFeeRate = s.TotalFee * 1000 / s.TotalSize
		s.MinFee, s.MaxFee = slices.Min(fees), slices.Max(fees)
		s.MinTxSize, s.MaxTxSize = slices.Min(sizes), slices.Max(sizes)
		s.MinFeeRate = slices.MinFunc(rates, compareRates).rate
		s.MaxFeeRate = slices.MaxFunc(rates, compareRates).rate
	}
	s.MedianFee, s.MedianTxSize = truncatedMedian(fees), truncatedMedian(sizes)
	s.FeeRatePercentiles = feeRatePercentiles(rates, s.TotalSize)
	s.UtxoIncrease = int64(s.Outs) - int64(s.Ins)
	s.UtxoSizeInc = utxoBytes
	s.UtxoIncreaseActual, s.UtxoSizeIncActual = s.UtxoIncrease, s.UtxoSizeInc
	return s, nil
}

// sizedRate is a transaction's fee rate and its size, its weight among a
// block's fee rates.
type sizedRate struct{ rate, size uint64 }

func compareRates(a, b sizedRate) int {
	switch {
	case a.rate < b.rate:
		return -1
	case a.rate > b.rate:
		return 1
	}
	return 0
}

// truncatedMedian is Bitcoin Core's: the middle value, or the mean of the
// two middle values rounded down; 0 for none. It sorts v.
func truncatedMedian(v []uint64) uint64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	mid := len(v) / 2
	if len(v)%2 == 0 {
		return (v[mid-1] + v[mid]) / 2
	}
	return v[mid]
}

// feeRatePercentiles is Bitcoin Core's CalculatePercentilesByWeight with
// sizes for weights: the rates, lowest first, at which the running total
// of sizes first reaches 10%, 25%, 50%, 75% and 90% of total (any not
// reached take the highest rate); all 0 for none. It sorts rates.
func feeRatePercentiles(rates []sizedRate, total uint64) [5]uint64 {
	var out [5]uint64
	if len(rates) == 0 {
		return out
	}
	slices.SortFunc(rates, compareRates)
	// The running total r reaches num/den of total when r*den >= total*num,
	// exact in whole numbers (Core compares with total/10.0 and the like).
	shares := [5][2]uint64{{1, 10}, {1, 4}, {1, 2}, {3, 4}, {9, 10}}
	next, running := 0, uint64(0)
	for _, r := range rates {
		running += r.size
		for next < len(shares) && running*shares[next][1] >= total*shares[next][0] {
			out[next] = r.rate
			next++
		}
	}
	for ; next < len(shares); next++ {
		out[next] = rates[len(rates)-1].rate
	}
	return out
}
