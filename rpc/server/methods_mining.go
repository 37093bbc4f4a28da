package server

import (
	"context"
	"encoding/json"

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
	if req.Mode != "" && req.Mode != "template" {
		return nil, rpc.NewError(rpc.CodeInvalidParameter, "getblocktemplate: mode %q is not supported (only \"template\")", req.Mode)
	}
	return b.Template(ctx, req.LongPollID)
}

func (b *Backend) submitBlock(_ context.Context, params []json.RawMessage) (any, error) {
	raw, err := hexParam(params, 0, "hexdata", "Block")
	if err != nil {
		return nil, err
	}
	blk, err := wire.DecodeBlock(raw)
	if err != nil {
		return nil, rpc.NewError(rpc.CodeDeserialization, "Block decode failed: %v", err)
	}
	res, err := b.Chain.ProcessBlock(blk)
	if err != nil {
		code, ok := chain.ErrorCodeOf(err)
		switch {
		case !ok:
			// A local failure says nothing about the block.
			return nil, rpc.NewError(rpc.CodeDatabaseError, "submitblock: %v", err)
		case code == chain.ErrDuplicateBlock:
			return "duplicate", nil
		}
		return code.Reason(), nil
	}
	if res.Orphan {
		return "inconclusive", nil
	}
	return nil, nil
}
