package server

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"

	"powchain/chain"
	"powchain/rpc"
	"powchain/wire"
)

func (s *Server) registerChainMethods(b *Backend) {
	s.register("getblockchaininfo", b.getBlockchainInfo)
	s.register("getblockcount", b.getBlockCount)
	s.register("getbestblockhash", b.getBestBlockHash)
	s.register("getblockhash", b.getBlockHash)
	s.register("getblock", b.getBlock)
	s.register("getblockheader", b.getBlockHeader)
	s.register("gettxoutsetinfo", b.getTxOutSetInfo)
	s.register("getchaintips", b.getChainTips)
	s.register("invalidateblock", b.invalidateBlock)
	s.register("reconsiderblock", b.reconsiderBlock)
	s.register("getdifficulty", b.getDifficulty)
	s.register("getchaintxstats", b.getChainTxStats)
	s.register("getblockstats", b.getBlockStats)
}

func (b *Backend) getBlockchainInfo(context.Context, []json.RawMessage) (any, error) {
	return ChainInfo(b.Chain, b.Clock.Now(), peersBestHeight(b.Net)), nil
}

// getDifficulty is the tip's difficulty, as getblockchaininfo's.
func (b *Backend) getDifficulty(context.Context, []json.RawMessage) (any, error) {
	return Difficulty(b.Chain.Tip().Header.Bits, b.Chain.Params()), nil
}

func (b *Backend) getBlockCount(context.Context, []json.RawMessage) (any, error) {
	return b.Chain.Tip().Height, nil
}

func (b *Backend) getBestBlockHash(context.Context, []json.RawMessage) (any, error) {
	return b.Chain.Tip().Hash.String(), nil
}

func (b *Backend) getBlockHash(_ context.Context, params []json.RawMessage) (any, error) {
	var height uint64
	if err := required(params, 0, "height", &height); err != nil {
		return nil, err
	}
	hash, ok := b.Chain.HashByHeight(height)
	if !ok {
		return nil, rpc.NewError(rpc.CodeInvalidParameter, "Block height out of range")
	}
	return hash.String(), nil
}

func (b *Backend) getBlock(_ context.Context, params []json.RawMessage) (any, error) {
	hash, err := hashParam(params, 0, "blockhash")
	if err != nil {
		return nil, err
	}
	verbosity, err := verbosityParam(params, 1, "verbosity", 1, 3)
	if err != nil {
		return nil, err
	}
	info, blk, err := b.blockWithInfo(hash)
	if err != nil {
		return nil, err
	}
	if verbosity == 0 {
		return hex.EncodeToString(blk.Bytes()), nil
	}
	res := &rpc.BlockResult{BlockHeaderResult: HeaderResult(b.Chain, info), Size: blk.SerializeSize()}
	if verbosity == 1 {
		ids := make([]string, len(blk.Transactions))
		for i, id := range blk.TxIDs() {
			ids[i] = id.String()
		}
		res.Tx = ids
		return res, nil
	}
	if res.Tx, err = b.blockTxs(blk, verbosity == 3); err != nil {
		return nil, err
	}
	return res, nil
}

// blockTxs decodes blk's transactions as getblock verbosity 2 does (3 with
// prevouts): each with its hex and, where the block's undo record is
// there (a best-chain block), its fee and its inputs' previous outputs,
// as Bitcoin Core gives them only where it has the undo data.
func (b *Backend) blockTxs(blk *wire.Block, prevouts bool) ([]rpc.TxResult, error) {
	spent, _, err := b.Chain.SpentOutputs(blk.BlockHash()) // none off the best chain
	if err != nil {
		return nil, rpc.NewError(rpc.CodeDatabaseError, "read the block's undo record: %v", err)
	}
	prefix := b.Chain.Params().AddressPrefix
	txs := make([]rpc.TxResult, len(blk.Transactions))
	for i, tx := range blk.Transactions {
		txs[i] = TxResult(tx, prefix)
		txs[i].Hex = hex.EncodeToString(tx.Bytes()) // as Bitcoin Core's verbosity 2
		AddSpent(&txs[i], tx, TakeSpent(tx, &spent), prefix, prevouts)
	}
	return txs, nil
}

// blockWithInfo returns a block that the node has the body of.
func (b *Backend) blockWithInfo(hash wire.Hash) (chain.BlockInfo, *wire.Block, error) {
	info, ok := b.Chain.BlockInfoByHash(hash)
	if !ok {
		return info, nil, rpc.NewError(rpc.CodeInvalidAddress, "Block not found")
	}
	blk, err := b.Chain.BlockByHash(hash)
	if err != nil {
		return info, nil, rpc.NewError(rpc.CodeDatabaseError, "read block: %v", err)
	}
	if blk == nil {
		return info, nil, rpc.NewError(rpc.CodeMiscError, "Block not available (header only)")
	}
	return info, blk, nil
}

func (b *Backend) getBlockHeader(_ context.Context, params []json.RawMessage) (any, error) {
	hash, err := hashParam(params, 0, "blockhash")
	if err != nil {
		return nil, err
	}
	verbose := true
	if err := optional(params, 1, "verbose", &verbose); err != nil {
		return nil, err
	}
	info, ok := b.Chain.BlockInfoByHash(hash)
	if !ok {
		return nil, rpc.NewError(rpc.CodeInvalidAddress, "Block not found")
	}
	if !verbose {
		return hex.EncodeToString(info.Header.Bytes()), nil
	}
	return HeaderResult(b.Chain, info), nil
}

func (b *Backend) getTxOutSetInfo(context.Context, []json.RawMessage) (any, error) {
	info, err := b.Chain.UTXOSetInfo()
	if err != nil {
		return nil, rpc.NewError(rpc.CodeDatabaseError, "%v", err)
	}
	return &rpc.TxOutSetInfo{
		Height:         info.Height,
		BestBlock:      info.BestBlock.String(),
		TxOuts:         info.TxOuts,
		TotalAmount:    rpc.Amount(info.TotalAmount),
		HashSerialized: info.HashSerialized.String(),
	}, nil
}

func (b *Backend) getChainTips(context.Context, []json.RawMessage) (any, error) {
	tips := b.Chain.ChainTips()
	out := make([]rpc.ChainTip, len(tips))
	for i, t := range tips {
		out[i] = rpc.ChainTip{Height: t.Height, Hash: t.Hash.String(), BranchLen: t.BranchLen, Status: tipStatusName(t.Status)}
	}
	return out, nil
}

// tipStatusName is getchaintips' name of a status, as Bitcoin Core's.
func tipStatusName(s chain.TipStatus) string {
	switch s {
	case chain.TipActive:
		return "active"
	case chain.TipValidFork:
		return "valid-fork"
	case chain.TipValidHeaders:
		return "valid-headers"
	case chain.TipHeadersOnly:
		return "headers-only"
	case chain.TipInvalid:
		return "invalid"
	}
	return "unknown"
}

func (b *Backend) invalidateBlock(_ context.Context, params []json.RawMessage) (any, error) {
	hash, err := hashParam(params, 0, "blockhash")
	if err != nil {
		return nil, err
	}
	if err := b.Chain.InvalidateBlock(hash); err != nil {
		return nil, rpc.NewError(rpc.CodeInvalidAddress, "%v", err)
	}
	return nil, nil
}

func (b *Backend) reconsiderBlock(_ context.Context, params []json.RawMessage) (any, error) {
	hash, err := hashParam(params, 0, "blockhash")
	if err != nil {
		return nil, err
	}
	if err := b.Chain.ReconsiderBlock(hash); err != nil {
		return nil, rpc.NewError(rpc.CodeInvalidAddress, "%v", err)
	}
	return nil, nil
}

// monthSeconds is getchaintxstats' default window, in seconds of blocks
// at the network's target spacing: one month, as Bitcoin Core's.
const monthSeconds = 30 * 24 * 60 * 60

// getChainTxStats is Bitcoin Core's getchaintxstats: the transactions of
// the best chain up to a block (the tip by default) and over the window
// of nblocks blocks ending there, read from the block index (each block's
// count of the chain's transactions) in one snapshot of the chain.
func (b *Backend) getChainTxStats(_ context.Context, params []json.RawMessage) (any, error) {
	badCount := rpc.NewError(rpc.CodeInvalidParameter, "Invalid block count: should be between 0 and the block's height - 1")
	nblocks, countGiven := int64(0), given(params, 0)
	err := optional(params, 0, "nblocks", &nblocks)
	var rpcErr *rpc.Error
	if errors.As(err, &rpcErr) && rpcErr.Code != rpc.CodeInvalidParameter {
		return nil, err // not a number
	}
	if err != nil {
		return nil, badCount // not a whole number, or beyond any height
	}
	var end *wire.Hash
	if given(params, 1) {
		hash, err := hashParam(params, 1, "blockhash")
		if err != nil {
			return nil, err
		}
		end = &hash
	}
	spacing := max(b.Chain.Params().TargetSpacing, 1)
	var window uint64
	last, first, ok, err := b.Chain.BlockAndAncestor(end, func(last chain.BlockInfo) (uint64, error) {
		if !last.MainChain {
			return 0, rpc.NewError(rpc.CodeInvalidParameter, "Block is not in main chain")
		}
		switch {
		case !countGiven:
			window = min(uint64(monthSeconds/spacing), max(last.Height, 1)-1)
		case nblocks < 0 || (nblocks > 0 && uint64(nblocks) >= last.Height):
			return 0, badCount
		default:
			window = uint64(nblocks)
		}
		return window, nil
	})
	switch {
	case !ok:
		return nil, rpc.NewError(rpc.CodeInvalidAddress, "Block not found")
	case err != nil:
		return nil, err
	}
	res := &rpc.ChainTxStats{
		Time:                   last.Header.Timestamp,
		TxCount:                last.ChainTxCount,
		WindowFinalBlockHash:   last.Hash.String(),
		WindowFinalBlockHeight: last.Height,
		WindowBlockCount:       window,
	}
	if window > 0 {
		interval, txs := last.MedianTime-first.MedianTime, last.ChainTxCount-first.ChainTxCount
		res.WindowInterval, res.WindowTxCount = &interval, &txs
		if interval > 0 {
			rate := float64(txs) / float64(interval)
			res.TxRate = &rate
		}
	}
	return res, nil
}

func hashParam(params []json.RawMessage, i int, name string) (wire.Hash, error) {
	var s string
	if err := required(params, i, name, &s); err != nil {
		return wire.Hash{}, err
	}
	h, err := wire.ParseHash(s)
	if err != nil {
		return h, rpc.NewError(rpc.CodeInvalidParameter, "%s: %v", name, err)
	}
	return h, nil
}

// peersBestHeight is the highest block a peer has shown; with the network
// layer stopped, no peer has shown any.
func peersBestHeight(n Network) uint64 {
	best, err := n.PeersBestHeight()
	if err != nil {
		return 0
	}
	return best
}
