package server

import (
	"encoding/hex"
	"fmt"
	"math/big"
	"time"

	"powchain/chain"
	"powchain/mempool"
	"powchain/rpc"
	"powchain/wire"
)

// The results below are shared by the JSON-RPC methods and the node's REST
// interface (package explorer), so both describe chain and mempool data
// field for field alike.

// ibdAge: a node whose tip is older than this considers itself in initial
// block download, as Bitcoin Core does; so does a node that knows of
// headers or peers ahead of its tip.
const ibdAge = 24 * time.Hour

// ChainInfo is getblockchaininfo's result as of now, given the best height
// any peer has shown.
func ChainInfo(c *chain.Chain, now time.Time, peersBestHeight uint64) *rpc.BlockchainInfo {
	tip := c.Tip()
	params := c.Params()
	headers := c.BestHeader().Height
	return &rpc.BlockchainInfo{
		Network:              params.Name,
		Blocks:               tip.Height,
		Headers:              headers,
		BestBlockHash:        tip.Hash.String(),
		ChainWork:            fmt.Sprintf("%064x", tip.ChainWork),
		Bits:                 fmt.Sprintf("%08x", tip.Header.Bits),
		Difficulty:           Difficulty(tip.Header.Bits, params),
		MedianTime:           tip.MedianTime,
		InitialBlockDownload: now.Sub(tip.Header.Time()) > ibdAge || headers > tip.Height || peersBestHeight > tip.Height,
	}
}

// MempoolInfo is getmempoolinfo's result for pool as it is now.
func MempoolInfo(pool *mempool.Pool) rpc.MempoolInfo {
	info := pool.Info()
	return rpc.MempoolInfo{Size: info.Size, Bytes: info.Bytes, MaxBytes: info.MaxBytes,
		MinFeeRate: rpc.Amount(info.MinFeeRate), UnbroadcastCount: info.Unbroadcast}
}

// HeaderResult describes a block header of c's index (getblockheader),
// nTx included: from the index, 0 while the block's data is not stored,
// as Bitcoin Core's.
func HeaderResult(c *chain.Chain, info chain.BlockInfo) rpc.BlockHeaderResult {
	h := info.Header
	r := rpc.BlockHeaderResult{
		Hash:          info.Hash.String(),
		Confirmations: -1,
		Height:        info.Height,
		Version:       h.Version,
		MerkleRoot:    h.MerkleRoot.String(),
		Time:          h.Timestamp,
		MedianTime:    info.MedianTime,
		Nonce:         h.Nonce,
		Bits:          fmt.Sprintf("%08x", h.Bits),
		Difficulty:    Difficulty(h.Bits, c.Params()),
		ChainWork:     fmt.Sprintf("%064x", info.ChainWork),
		NTx:           info.TxCount,
	}
	if info.Height > 0 {
		r.PreviousBlockHash = h.PrevBlock.String()
	}
	if info.MainChain {
		r.Confirmations = blockConfirmations(c.Tip().Height, info.Height)
		if next, ok := c.HashByHeight(info.Height + 1); ok {
			r.NextBlockHash = next.String()
		}
	}
	return r
}

// Difficulty is how many times harder than the proof-of-work limit a
// target is, as a float for display (never used in consensus).
func Difficulty(bits uint32, params *chain.Params) float64 {
	target := chain.CompactToBig(bits)
	if target.Sign() <= 0 {
		return 0
	}
	d, _ := new(big.Float).Quo(new(big.Float).SetInt(params.PowLimit), new(big.Float).SetInt(target)).Float64()
	return d
}

// Target is the target bits encode, as 64 hex digits: getmininginfo's
// target, written as getblocktemplate's (miner.Template.RPC).
func Target(bits uint32) string {
	return fmt.Sprintf("%064x", chain.CompactToBig(bits))
}

// TxResult decodes a transaction for display.
func TxResult(tx *wire.Tx, prefix string) rpc.TxResult {
	r := rpc.TxResult{TxID: tx.TxID().String(), Size: tx.SerializeSize(), Version: tx.Version,
		Vin: make([]rpc.TxInResult, len(tx.Inputs)), Vout: make([]rpc.TxOutResult, len(tx.Outputs))}
	if data, ok := tx.Coinbase(); ok {
		r.Vin[0] = rpc.TxInResult{Coinbase: hex.EncodeToString(tx.Inputs[0].Signature[:]), Height: data.Height, ExtraNonce: data.ExtraNonce}
	} else {
		for i, in := range tx.Inputs {
			r.Vin[i] = rpc.TxInResult{TxID: in.PrevOut.TxID.String(), Vout: in.PrevOut.Index,
				Signature: hex.EncodeToString(in.Signature[:]), PubKey: hex.EncodeToString(in.PubKey[:])}
		}
	}
	for i, o := range tx.Outputs {
		r.Vout[i] = rpc.TxOutResult{Value: rpc.Amount(o.Amount), N: uint32(i), Address: Address(prefix, o.KeyHash), KeyHash: hex.EncodeToString(o.KeyHash[:])}
	}
	return r
}

// ConfirmedTxResult describes tx of the block info, with the best chain
// ending at height tip (verbose getrawtransaction, the explorer's
// transactions): its block's hash and timestamp, and its confirmations,
// 0 when the block is off the best chain, as Bitcoin Core counts them,
// or above the tip (see Confirmations).
func ConfirmedTxResult(tx *wire.Tx, info chain.BlockInfo, tip uint64, prefix string) rpc.TxResult {
	r := TxResult(tx, prefix)
	r.BlockHash = info.Hash.String()
	r.Time = info.Header.Timestamp
	var n int64
	if info.MainChain {
		n = int64(Confirmations(tip, info.Height))
	}
	r.Confirmations = &n
	return r
}

// Address encodes a key hash as an address of the network with prefix.
func Address(prefix string, kh wire.KeyHash) string {
	a, _ := wire.EncodeAddress(prefix, kh)
	return a
}

// Confirmations is how many blocks of the best chain ending at height tip
// confirm a block at height: none for a block above the tip, which a block
// connected or a reorganisation that shortened the chain between reading
// the tip and reading the block (or an index) leaves, never a wrapped
// count. Every confirmation count and maturity of the RPC server and the
// explorer comes from here.
func Confirmations(tip, height uint64) uint64 {
	if height > tip {
		return 0
	}
	return tip - height + 1
}

// blockConfirmations is a best-chain block's confirmations as getblock
// answers them: -1, as for a block off the best chain, when the block is
// above the tip read after it (the chain shortened meanwhile).
func blockConfirmations(tip, height uint64) int64 {
	if height > tip {
		return -1
	}
	return int64(Confirmations(tip, height))
}

// AddressUtxo is the entry of getaddressutxos (and the explorer's address
// view) for u, an unspent output paying to addr, with the best chain
// ending at height tip.
func AddressUtxo(addr string, u chain.AddressUtxo, tip uint64, p *chain.Params) rpc.AddressUtxo {
	return rpc.AddressUtxo{Address: addr, TxID: u.OutPoint.TxID.String(), OutputIndex: u.OutPoint.Index,
		Amount: rpc.Amount(u.Entry.Amount), Height: u.Entry.Height, Coinbase: u.Entry.Coinbase,
		Confirmations: Confirmations(tip, u.Entry.Height), Mature: mature(p, tip, u.Entry.Height, u.Entry.Coinbase)}
}

// TakeSpent takes the previous outputs of tx's inputs from the front of
// spent, what remains of its block's undo record (chain's SpentOutputs,
// which lists them in block order), so that a caller walking the block's
// transactions in order gets each one's own: nil for a coinbase, or when
// the record is short (empty off the best chain).
func TakeSpent(tx *wire.Tx, spent *[]chain.UtxoEntry) []chain.UtxoEntry {
	n := len(tx.Inputs)
	if tx.IsCoinbase() || len(*spent) < n {
		return nil
	}
	prev := (*spent)[:n:n]
	*spent = (*spent)[n:]
	return prev
}

// TxFee is the fee of tx, whose inputs spent prev; false when prev is
// unknown (nil) or the outputs exceed it (a record that does not belong
// to tx: no fee rather than a wrapped one).
func TxFee(tx *wire.Tx, prev []chain.UtxoEntry) (uint64, bool) {
	if prev == nil {
		return 0, false
	}
	var in, out uint64
	for _, e := range prev {
		in += e.Amount
	}
	for _, o := range tx.Outputs {
		out += o.Amount
	}
	return in - out, in >= out
}

// PrevOut describes e, an output an input spends, for the network with
// prefix.
func PrevOut(prefix string, e chain.UtxoEntry) *rpc.PrevOut {
	return &rpc.PrevOut{Value: rpc.Amount(e.Amount), Address: Address(prefix, e.KeyHash), Height: e.Height, Coinbase: e.Coinbase}
}

// AddSpent completes r, the result of tx, with what its inputs spent
// (prev, from TakeSpent): its fee, and each input's prevout when prevouts
// is set (getblock verbosity 3, the explorer). With prev unknown (nil) it
// adds neither, as Bitcoin Core without undo data.
func AddSpent(r *rpc.TxResult, tx *wire.Tx, prev []chain.UtxoEntry, prefix string, prevouts bool) {
	if fee, ok := TxFee(tx, prev); ok {
		a := rpc.Amount(fee)
		r.Fee = &a
	}
	if !prevouts {
		return
	}
	for i, e := range prev {
		r.Vin[i].Prevout = PrevOut(prefix, e)
	}
}

// BlockTxSpent finds txid among blk's transactions and takes the outputs
// its inputs spent from spent, blk's undo record (chain's SpentOutputs),
// walking the transactions before it as TakeSpent does: prev is nil for a
// coinbase or when the record is short (empty off the best chain); found
// is false when blk has no transaction txid. getrawtransaction and the
// explorer's transaction pages use it.
func BlockTxSpent(blk *wire.Block, spent []chain.UtxoEntry, txid wire.Hash) (tx *wire.Tx, prev []chain.UtxoEntry, found bool) {
	for i, id := range blk.TxIDs() {
		prev = TakeSpent(blk.Transactions[i], &spent)
		if id == txid {
			return blk.Transactions[i], prev, true
		}
	}
	return nil, nil, false
}

// MempoolPrevOut describes op, an output a mempool transaction spends,
// for the network with prefix: an output of a mempool parent (height 0,
// no coinbase), or one of the UTXO set. The mempool is asked first: a
// parent leaves it only once the block that confirms it is connected, so
// a parent confirmed meanwhile is found in the UTXO set instead. nil when
// neither has it (the transaction itself left the mempool meanwhile, or
// a parent was evicted); an error only when the UTXO set cannot be read.
func MempoolPrevOut(c *chain.Chain, pool *mempool.Pool, prefix string, op wire.OutPoint) (*rpc.PrevOut, error) {
	if parent, ok := pool.Get(op.TxID); ok {
		if int(op.Index) >= len(parent.Tx.Outputs) {
			return nil, nil
		}
		o := parent.Tx.Outputs[op.Index]
		return &rpc.PrevOut{Value: rpc.Amount(o.Amount), Address: Address(prefix, o.KeyHash)}, nil
	}
	e, err := c.FetchUtxo(op)
	if err != nil || e == nil {
		return nil, err
	}
	return PrevOut(prefix, *e), nil
}

// AddMempoolSpent completes r, the result of the mempool transaction desc,
// with its fee (the mempool's, what its inputs spent minus what its
// outputs pay) and each input's prevout where MempoolPrevOut knows it.
func AddMempoolSpent(r *rpc.TxResult, c *chain.Chain, pool *mempool.Pool, desc *mempool.TxDesc, prefix string) error {
	fee := rpc.Amount(desc.Fee)
	r.Fee = &fee
	for i, in := range desc.Tx.Inputs {
		prev, err := MempoolPrevOut(c, pool, prefix, in.PrevOut)
		if err != nil {
			return err
		}
		r.Vin[i].Prevout = prev
	}
	return nil
}
