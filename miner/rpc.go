package miner

import (
	"encoding/hex"
	"fmt"
	"strconv"

	"powchain/chain"
	"powchain/rpc"
	"powchain/wire"
)

// RPC returns the getblocktemplate form of t, tagged with longPollID.
func (t *Template) RPC(longPollID string) *rpc.BlockTemplate {
	r := &rpc.BlockTemplate{
		Version:           t.Version,
		PreviousBlockHash: t.PrevBlock.String(),
		Bits:              fmt.Sprintf("%08x", t.Bits),
		CurTime:           t.CurTime,
		MinTime:           t.MinTime,
		Height:            t.Height,
		CoinbaseValue:     t.CoinbaseValue,
		Transactions:      make([]rpc.BlockTemplateTx, len(t.Txs)),
		Target:            fmt.Sprintf("%064x", chain.CompactToBig(t.Bits)),
		LongPollID:        longPollID,
	}
	for i, tx := range t.Txs {
		r.Transactions[i] = rpc.BlockTemplateTx{Hex: hex.EncodeToString(tx.Bytes()), TxID: tx.TxID().String(), Fee: t.Fees[i]}
	}
	return r
}

// TemplateFromRPC checks and decodes a template received from a node:
// hashes, bits (a usable target, equal to the target field when given),
// transactions (each must decode and match its txid) and the time bounds.
func TemplateFromRPC(r *rpc.BlockTemplate) (*Template, error) {
	prev, err := wire.ParseHash(r.PreviousBlockHash)
	if err != nil {
		return nil, fmt.Errorf("template previousblockhash: %w", err)
	}
	if len(r.Bits) != 8 {
		return nil, fmt.Errorf("template bits %q: want 8 hex digits", r.Bits)
	}
	bits, err := strconv.ParseUint(r.Bits, 16, 32)
	if err != nil {
		return nil, fmt.Errorf("template bits %q: %w", r.Bits, err)
	}
	target := chain.CompactToBig(uint32(bits))
	if target.Sign() <= 0 || target.BitLen() > 256 {
		return nil, fmt.Errorf("template bits %s are not a usable target", r.Bits)
	}
	if r.Target != "" && r.Target != fmt.Sprintf("%064x", target) {
		return nil, fmt.Errorf("template target %s does not match its bits %s", r.Target, r.Bits)
	}
	if r.CurTime < r.MinTime {
		return nil, fmt.Errorf("template curtime %d is below its mintime %d", r.CurTime, r.MinTime)
	}
	t := &Template{
		Version:       r.Version,
		PrevBlock:     prev,
		Height:        r.Height,
		Bits:          uint32(bits),
		MinTime:       r.MinTime,
		CurTime:       r.CurTime,
		CoinbaseValue: r.CoinbaseValue,
		Txs:           make([]*wire.Tx, len(r.Transactions)),
		Fees:          make([]uint64, len(r.Transactions)),
	}
	for i, rt := range r.Transactions {
		raw, err := hex.DecodeString(rt.Hex)
		if err != nil {
			return nil, fmt.Errorf("template transaction %d: %w", i, err)
		}
		tx, err := wire.DecodeTx(raw)
		if err != nil {
			return nil, fmt.Errorf("template transaction %d: %w", i, err)
		}
		if id := tx.TxID().String(); id != rt.TxID {
			return nil, fmt.Errorf("template transaction %d: txid %s, but it hashes to %s", i, rt.TxID, id)
		}
		t.Txs[i], t.Fees[i] = tx, rt.Fee
	}
	return t, nil
}
