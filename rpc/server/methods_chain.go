package server

import (
	"context"
	"encoding/hex"
	"encoding/json"

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
