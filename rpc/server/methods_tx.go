package server

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"powchain/chain"
	"powchain/mempool"
	"powchain/rpc"
	"powchain/wire"
)

func (s *Server) registerTxMethods(b *Backend) {
	s.register("getrawtransaction", b.getRawTransaction)
	s.register("decoderawtransaction", b.decodeRawTransaction)
	s.register("sendrawtransaction", b.sendRawTransaction)
	s.register("testmempoolaccept", b.testMempoolAccept)
	s.register("getmempoolinfo", b.getMempoolInfo)
	s.register("getrawmempool", b.getRawMempool)
	s.register("getmempoolentry", b.getMempoolEntry)
	s.register("gettxout", b.getTxOut)
	s.register("getaddressutxos", b.getAddressUtxos)
}

// txParam decodes parameter i, a transaction in hex called name; failed
// begins the message of one that does not decode ("TX decode failed").
func txParam(params []json.RawMessage, i int, name, failed string) (*wire.Tx, error) {
	raw, err := hexParam(params, i, name, failed)
	if err != nil {
		return nil, err
	}
	tx, err := wire.DecodeTx(raw)
	if err != nil {
		return nil, rpc.NewError(rpc.CodeDeserialization, "%s: %v", failed, err)
	}
	return tx, nil
}

// hexTxParam is txParam for the single hexstring parameter of a method.
func hexTxParam(params []json.RawMessage) (*wire.Tx, error) {
	return txParam(params, 0, "hexstring", "TX decode failed")
}

func (b *Backend) getRawTransaction(_ context.Context, params []json.RawMessage) (any, error) {
	txid, err := hashParam(params, 0, "txid")
	if err != nil {
		return nil, err
	}
	verbosity, err := verbosityParam(params, 1, "verbosity", 0, 2)
	if err != nil {
		return nil, err
	}
	spends := verbosity == 2 // fee and prevouts, where the node knows what the inputs spent
	var tx *wire.Tx
	var res rpc.TxResult
	if given(params, 2) {
		blockHash, err := hashParam(params, 2, "blockhash")
		if err != nil {
			return nil, err
		}
		if tx, res, err = b.txInBlock(txid, blockHash, spends); err != nil {
			return nil, err
		}
	} else if desc, ok := b.Mempool.Get(txid); ok {
		tx = desc.Tx
		res = TxResult(tx, b.Chain.Params().AddressPrefix)
		res.Time = desc.Added.Unix()
		if spends {
			if err := AddMempoolSpent(&res, b.Chain, b.Mempool, desc, b.Chain.Params().AddressPrefix); err != nil {
				return nil, rpc.NewError(rpc.CodeDatabaseError, "read the UTXO set: %v", err)
			}
		}
	} else if tx, res, err = b.indexedTx(txid, spends); err != nil {
		return nil, err
	}
	if verbosity == 0 {
		return hex.EncodeToString(tx.Bytes()), nil
	}
	res.Hex = hex.EncodeToString(tx.Bytes())
	return res, nil
}

// txInBlock finds txid in the block blockHash; with spends, it adds its
// fee and its inputs' prevouts from the block's undo record, which only a
// best-chain block has (as Bitcoin Core without undo data, a block off
// the best chain gets neither).
func (b *Backend) txInBlock(txid, blockHash wire.Hash, spends bool) (*wire.Tx, rpc.TxResult, error) {
	info, blk, err := b.blockWithInfo(blockHash)
	if err != nil {
		return nil, rpc.TxResult{}, err
	}
	var spent []chain.UtxoEntry
	if spends {
		if spent, _, err = b.Chain.SpentOutputs(blockHash); err != nil {
			return nil, rpc.TxResult{}, rpc.NewError(rpc.CodeDatabaseError, "read the block's undo record: %v", err)
		}
	}
	tx, prev, found := BlockTxSpent(blk, spent, txid)
	if !found {
		return nil, rpc.TxResult{}, rpc.NewError(rpc.CodeInvalidAddress, "No such transaction found in the provided block")
	}
	prefix := b.Chain.Params().AddressPrefix
	res := ConfirmedTxResult(tx, info, b.Chain.Tip().Height, prefix)
	if spends {
		AddSpent(&res, tx, prev, prefix, true)
	}
	return tx, res, nil
}

// indexedTx finds a best-chain transaction with the transaction index;
// with spends, in its block as txInBlock does.
func (b *Backend) indexedTx(txid wire.Hash, spends bool) (*wire.Tx, rpc.TxResult, error) {
	tx, info, found, err := b.Chain.FindTransaction(txid)
	switch {
	case errors.Is(err, chain.ErrNoTxIndex):
		return nil, rpc.TxResult{}, rpc.NewError(rpc.CodeInvalidAddress, "No such mempool transaction. The node keeps no transaction index: restart it with --txindex, or give the block hash")
	case err != nil:
		return nil, rpc.TxResult{}, rpc.NewError(rpc.CodeDatabaseError, "%v", err)
	case !found:
		return nil, rpc.TxResult{}, rpc.NewError(rpc.CodeInvalidAddress, "No such mempool or blockchain transaction")
	case spends:
		return b.txInBlock(txid, info.Hash, true)
	}
	return tx, ConfirmedTxResult(tx, info, b.Chain.Tip().Height, b.Chain.Params().AddressPrefix), nil
}

func (b *Backend) decodeRawTransaction(_ context.Context, params []json.RawMessage) (any, error) {
	tx, err := hexTxParam(params)
	if err != nil {
		return nil, err
	}
	return TxResult(tx, b.Chain.Params().AddressPrefix), nil
}

func (b *Backend) sendRawTransaction(_ context.Context, params []json.RawMessage) (any, error) {
	tx, err := hexTxParam(params)
	if err != nil {
		return nil, err
	}
	accepted, _, err := b.Mempool.ProcessTransaction(tx, false, 0)
	if err != nil {
		return nil, rejectError(err)
	}
	txids := make([]wire.Hash, len(accepted))
	for i, d := range accepted {
		txids[i] = d.TxID
	}
	if err := b.Net.RelayTransactions(txids); err != nil {
		return nil, rpc.NewError(rpc.CodeMiscError, "accepted, but not relayed: %v", err)
	}
	return quoted(txids[0].String()), nil // tx itself comes first
}

// rejectError turns a mempool verdict into Bitcoin Core's error codes.
func rejectError(err error) error {
	var re *mempool.RejectError
	if !errors.As(err, &re) {
		return rpc.NewError(rpc.CodeMiscError, "%v", err)
	}
	switch re.Reason {
	case "txn-already-known":
		return rpc.NewError(rpc.CodeVerifyAlreadyInChain, "Transaction already in block chain")
	case "bad-txns-inputs-missingorspent":
		return rpc.NewError(rpc.CodeVerifyError, "%s", rejectMessage(re))
	}
	return rpc.NewError(rpc.CodeVerifyRejected, "%s", rejectMessage(re))
}

// rejectMessage is Bitcoin Core's form of a rejection: the reason, then
// ", " and what exactly was wrong when there is more to say
// ("min relay fee not met, fee 100 is below 226 for 226 bytes").
func rejectMessage(re *mempool.RejectError) string {
	detail := re.Detail
	if re.Err != nil {
		detail = re.Err.Error()
	}
	if detail == "" {
		return re.Reason
	}
	return re.Reason + ", " + detail
}

// MaxTestAcceptTxs is the most transactions one testmempoolaccept call
// takes, Bitcoin Core's limit (MAX_PACKAGE_COUNT).
const MaxTestAcceptTxs = 25

func (b *Backend) testMempoolAccept(_ context.Context, params []json.RawMessage) (any, error) {
	var hexes []json.RawMessage
	if err := required(params, 0, "rawtxs", &hexes); err != nil {
		return nil, err
	}
	if len(hexes) < 1 || len(hexes) > MaxTestAcceptTxs {
		return nil, rpc.NewError(rpc.CodeInvalidParameter, "Array must contain between 1 and %d transactions.", MaxTestAcceptTxs)
	}
	txs := make([]*wire.Tx, len(hexes))
	for i := range hexes {
		name := fmt.Sprintf("rawtxs[%d]", i)
		if err := decodeParam(hexes[i], name, new(string)); err != nil {
			return nil, err // null too: an element is not a parameter left out
		}
		tx, err := txParam(hexes, i, name, fmt.Sprintf("TX decode failed for tx %d", i))
		if err != nil {
			return nil, err
		}
		txs[i] = tx
	}
	out := make([]rpc.MempoolAcceptResult, len(txs))
	for i, tx := range txs {
		out[i].TxID = tx.TxID().String()
		fee, err := b.Mempool.TestAccept(tx)
		if err != nil {
			var re *mempool.RejectError
			if errors.As(err, &re) {
				out[i].RejectReason = re.Reason
			} else {
				out[i].RejectReason = err.Error()
			}
			continue
		}
		out[i].Allowed = true
		a := rpc.Amount(fee)
		out[i].Fee = &a
	}
	return out, nil
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func (b *Backend) getMempoolInfo(context.Context, []json.RawMessage) (any, error) {
	info := MempoolInfo(b.Mempool)
	return &info, nil
}

func (b *Backend) getRawMempool(_ context.Context, params []json.RawMessage) (any, error) {
	verbose := false
	if err := optional(params, 0, "verbose", &verbose); err != nil {
		return nil, err
	}
	entries := b.Mempool.Entries()
	if !verbose {
		ids := make([]string, len(entries))
		for i, e := range entries {
			ids[i] = e.TxID.String()
		}
		return ids, nil
	}
	out := make(map[string]rpc.MempoolEntry, len(entries))
	for _, e := range entries {
		if entry, ok := b.mempoolEntry(e.TxID); ok {
			out[e.TxID.String()] = entry
		}
	}
	return out, nil
}

func (b *Backend) getMempoolEntry(_ context.Context, params []json.RawMessage) (any, error) {
	txid, err := hashParam(params, 0, "txid")
	if err != nil {
		return nil, err
	}
	entry, ok := b.mempoolEntry(txid)
	if !ok {
		return nil, rpc.NewError(rpc.CodeInvalidAddress, "Transaction not in mempool")
	}
	return entry, nil
}

func (b *Backend) mempoolEntry(txid wire.Hash) (rpc.MempoolEntry, bool) {
	desc, ok := b.Mempool.Get(txid)
	if !ok {
		return rpc.MempoolEntry{}, false
	}
	info, ok := b.Mempool.EntryInfo(txid)
	if !ok {
		return rpc.MempoolEntry{}, false
	}
	return rpc.MempoolEntry{
		Size:            desc.Size,
		Fee:             rpc.Amount(desc.Fee),
		FeeRate:         rpc.Amount(desc.Fee * 1000 / uint64(max(desc.Size, 1))),
		Time:            desc.Added.Unix(),
		Height:          desc.Height,
		AncestorCount:   info.AncestorCount,
		AncestorSize:    info.AncestorSize,
		AncestorFees:    rpc.Amount(info.AncestorFees),
		DescendantCount: info.DescendantCount,
		DescendantSize:  info.DescendantSize,
		DescendantFees:  rpc.Amount(info.DescendantFees),
		Depends:         hashStrings(info.Depends),
		SpentBy:         hashStrings(info.SpentBy),
		Unbroadcast:     info.Unbroadcast,
	}, true
}

func hashStrings(hs []wire.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.String()
	}
	return out
}

func (b *Backend) getTxOut(_ context.Context, params []json.RawMessage) (any, error) {
	txid, err := hashParam(params, 0, "txid")
	if err != nil {
		return nil, err
	}
	var n uint32
	if err := required(params, 1, "n", &n); err != nil {
		return nil, err
	}
	includeMempool := true
	if err := optional(params, 2, "include_mempool", &includeMempool); err != nil {
		return nil, err
	}
	op := wire.OutPoint{TxID: txid, Index: n}
	var e *chain.UtxoEntry
	if includeMempool {
		e, err = b.Mempool.FetchUtxo(op)
	} else {
		e, err = b.Chain.FetchUtxo(op)
	}
	if err != nil {
		return nil, rpc.NewError(rpc.CodeDatabaseError, "%v", err)
	}
	if e == nil {
		return nil, nil
	}
	tip := b.Chain.Tip()
	out := &rpc.TxOutInfo{BestBlock: tip.Hash.String(), Value: rpc.Amount(e.Amount), Coinbase: e.Coinbase,
		Address: Address(b.Chain.Params().AddressPrefix, e.KeyHash)}
	out.Confirmations = Confirmations(tip.Height, e.Height)
	return out, nil
}

func (b *Backend) getAddressUtxos(_ context.Context, params []json.RawMessage) (any, error) {
	var req rpc.AddressUtxosRequest
	if err := requiredObject(params, 0, "request", &req); err != nil {
		return nil, err
	}
	p := b.Chain.Params()
	khs, err := historyAddresses(p.AddressPrefix, req.Addresses)
	if err != nil {
		return nil, err
	}
	tip := b.Chain.Tip()
	out := []rpc.AddressUtxo{}
	seen := make(map[wire.KeyHash]bool, len(khs))
	for i, kh := range khs {
		addr := req.Addresses[i]
		if seen[kh] {
			continue // an address given twice is listed once
		}
		seen[kh] = true
		utxos, err := b.Chain.AddressUtxos(kh)
		if err != nil {
			return nil, rpc.NewError(rpc.CodeDatabaseError, "%v", err)
		}
		for _, u := range utxos {
			if _, spent := b.Mempool.Spender(u.OutPoint); req.Mempool && spent {
				continue
			}
			out = append(out, AddressUtxo(addr, u, tip.Height, p))
		}
		if req.Mempool {
			out = append(out, b.mempoolOutputsTo(addr, kh)...)
		}
	}
	return out, nil
}

// mempoolOutputsTo lists outputs of mempool transactions paying to kh that
// no other mempool transaction spends.
func (b *Backend) mempoolOutputsTo(addr string, kh wire.KeyHash) []rpc.AddressUtxo {
	var out []rpc.AddressUtxo
	for _, desc := range b.Mempool.Entries() {
		for i, o := range desc.Tx.Outputs {
			op := wire.OutPoint{TxID: desc.TxID, Index: uint32(i)}
			if _, spent := b.Mempool.Spender(op); o.KeyHash != kh || spent {
				continue
			}
			out = append(out, rpc.AddressUtxo{Address: addr, TxID: desc.TxID.String(), OutputIndex: uint32(i),
				Amount: rpc.Amount(o.Amount), Mature: true, Mempool: true})
		}
	}
	return out
}
