package server

import (
	"context"
	"encoding/json"
	"errors"

	"powchain/chain"
	"powchain/rpc"
	"powchain/wire"
)

func (s *Server) registerMiningMethods(b *Backend) {
	if b.Template != nil {
		s.register("getblocktemplate", b.getBlockTemplate)
	}
	s.register("submitblock", b.submitBlock)
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
