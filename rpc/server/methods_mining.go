package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	"powchain/chain"
	"powchain/rpc"
	"powchain/wire"
)

func (s *Server) registerMiningMethods(b *Backend) {
	if b.Template != nil {
		s.register("getblocktemplate", b.getBlockTemplate)
	}
	s.register("submitblock", b.submitBlock)
	s.register("getnetworkhashps", b.getNetworkHashPS)
	s.register("getmininginfo", b.getMiningInfo)
}

func (b *Backend) getBlockTemplate(ctx context.Context, params []json.RawMessage) (any, error) {
	var req rpc.BlockTemplateRequest
	if err := optional(params, 0, "template_request", &req); err != nil {
		return nil, err
	}
	switch req.Mode {
	case "", "template":
		return b.Template(ctx, req.LongPollID)
	case "proposal":
		return b.checkProposal(req.Data)
	}
	return nil, rpc.NewError(rpc.CodeInvalidParameter, `getblocktemplate: mode %q is not supported ("template" or "proposal")`, req.Mode)
}

// checkProposal answers a BIP 23 proposal: null if the block would be a
// valid next block (proof of work aside), else a BIP 22 reason.
func (b *Backend) checkProposal(data string) (any, error) {
	if data == "" {
		return nil, rpc.NewError(rpc.CodeTypeError, "Missing data String key for proposal")
	}
	blk, err := decodeBlock([]json.RawMessage{mustJSON(data)}, 0, "data")
	if err != nil {
		return nil, err
	}
	err = b.Chain.CheckBlockProposal(blk)
	if errors.Is(err, chain.ErrProposalNotOnTip) {
		return "inconclusive-not-best-prevblk", nil
	}
	return blockVerdict(err)
}

// decodeBlock decodes parameter i, a block's canonical encoding in hex.
func decodeBlock(params []json.RawMessage, i int, name string) (*wire.Block, error) {
	raw, err := hexParam(params, i, name, "Block decode failed")
	if err != nil {
		return nil, err
	}
	blk, err := wire.DecodeBlock(raw)
	if err != nil {
		return nil, rpc.NewError(rpc.CodeDeserialization, "Block decode failed: %v", err)
	}
	return blk, nil
}

// blockVerdict turns the chain's answer about a block into submitblock's
// and proposals' result: null, or the BIP 22 reason of the rule broken.
func blockVerdict(err error) (any, error) {
	if err == nil {
		return nil, nil
	}
	code, ok := chain.ErrorCodeOf(err)
	if !ok {
		// A local failure says nothing about the block.
		return nil, rpc.NewError(rpc.CodeDatabaseError, "checking the block failed: %v", err)
	}
	return code.Reason(), nil
}

func (b *Backend) submitBlock(_ context.Context, params []json.RawMessage) (any, error) {
	blk, err := decodeBlock(params, 0, "hexdata")
	if err != nil {
		return nil, err
	}
	res, err := b.Chain.ProcessBlock(blk)
	if err == nil && res.Orphan {
		return "inconclusive", nil
	}
	return blockVerdict(err)
}

// defaultHashRateBlocks is how many blocks getnetworkhashps averages over
// by default, and getmininginfo always: Bitcoin Core's 120.
const defaultHashRateBlocks = 120

func (b *Backend) getNetworkHashPS(_ context.Context, params []json.RawMessage) (any, error) {
	nblocks, err := nblocksParam(params, 0)
	if err != nil {
		return nil, err
	}
	end, err := b.hashRateEnd(params, 1)
	if err != nil {
		return nil, err
	}
	return b.networkHashPS(end, nblocks)
}

// nblocksParam decodes getnetworkhashps' nblocks: a positive whole
// number, default 120. Bitcoin Core's -1, the blocks since the last
// difficulty change, is refused: here the difficulty changes at every
// block (aserti3-2d), or never (regtest), so no window is the one since
// the last change.
func nblocksParam(params []json.RawMessage, i int) (uint64, error) {
	n := int64(defaultHashRateBlocks)
	err := optional(params, i, "nblocks", &n)
	var rpcErr *rpc.Error
	if errors.As(err, &rpcErr) && rpcErr.Code != rpc.CodeInvalidParameter {
		return 0, err // not a number
	}
	switch {
	case err == nil && n == -1:
		return 0, rpc.NewError(rpc.CodeInvalidParameter, "Invalid nblocks. -1 (the blocks since the last difficulty change) is not offered: the difficulty changes at every block (aserti3-2d), or never (regtest). Give a positive number of blocks.")
	case err != nil || n < 1:
		return 0, rpc.NewError(rpc.CodeInvalidParameter, "Invalid nblocks. Must be a positive whole number.")
	}
	return uint64(n), nil
}

// hashRateEnd decodes getnetworkhashps' height, the last block of the
// window: a best-chain height, or -1 (the default) for the tip.
func (b *Backend) hashRateEnd(params []json.RawMessage, i int) (chain.BlockInfo, error) {
	height := int64(-1)
	err := optional(params, i, "height", &height)
	var rpcErr *rpc.Error
	if errors.As(err, &rpcErr) && rpcErr.Code != rpc.CodeInvalidParameter {
		return chain.BlockInfo{}, err // not a number
	}
	notFound := rpc.NewError(rpc.CodeInvalidParameter, "Block does not exist at specified height")
	switch {
	case err != nil || height < -1:
		return chain.BlockInfo{}, notFound
	case height == -1:
		return b.Chain.Tip(), nil
	}
	hash, ok := b.Chain.HashByHeight(uint64(height))
	if !ok {
		return chain.BlockInfo{}, notFound
	}
	info, ok := b.Chain.BlockInfoByHash(hash)
	if !ok {
		return chain.BlockInfo{}, notFound
	}
	return info, nil
}

// networkHashPS is Bitcoin Core's GetNetworkHashPS: the work of the
// nblocks blocks ending at end (fewer when the chain below end is
// shorter; the genesis block's work is never counted) divided by the
// span between the earliest and the latest timestamp of those blocks and
// the block before them, in hashes per second; 0 at the genesis block and
// when the span is 0. It walks back from end by parent hashes, so a
// reorganisation meanwhile cannot mix two chains.
func (b *Backend) networkHashPS(end chain.BlockInfo, nblocks uint64) (float64, error) {
	if end.Height == 0 {
		return 0, nil
	}
	nblocks = min(nblocks, end.Height)
	first, earliest, latest := end, end.Header.Timestamp, end.Header.Timestamp
	for range nblocks {
		parent, ok := b.Chain.BlockInfoByHash(first.Header.PrevBlock)
		if !ok {
			return 0, rpc.NewError(rpc.CodeDatabaseError, "the block index lacks %s, parent of block %d", first.Header.PrevBlock, first.Height)
		}
		first = parent
		earliest, latest = min(earliest, first.Header.Timestamp), max(latest, first.Header.Timestamp)
	}
	if earliest == latest {
		return 0, nil
	}
	work := new(big.Int).Sub(end.ChainWork, first.ChainWork)
	w, _ := new(big.Float).SetInt(work).Float64()
	return w / float64(latest-earliest), nil
}

func (b *Backend) getMiningInfo(context.Context, []json.RawMessage) (any, error) {
	tip := b.Chain.Tip()
	params := b.Chain.Params()
	hashps, err := b.networkHashPS(tip, defaultHashRateBlocks)
	if err != nil {
		return nil, err
	}
	next := params.NextBits(tip.Height, tip.Header.Timestamp, tip.AnchorTime)
	return &rpc.MiningInfo{
		Blocks:        tip.Height,
		Bits:          fmt.Sprintf("%08x", tip.Header.Bits),
		Difficulty:    Difficulty(tip.Header.Bits, params),
		Target:        Target(tip.Header.Bits),
		NetworkHashPS: hashps,
		PooledTx:      b.Mempool.Info().Size,
		Chain:         params.Name,
		Next: rpc.NextBlockInfo{
			Height:     tip.Height + 1,
			Bits:       fmt.Sprintf("%08x", next),
			Difficulty: Difficulty(next, params),
			Target:     Target(next),
		},
	}, nil
}
