package server

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"time"

	"powchain/rpc"
	"powchain/wire"
)

// maxGenerate bounds one generatetoaddress call.
const maxGenerate = 10_000

func (s *Server) registerUtilMethods(b *Backend) {
	s.register("validateaddress", b.validateAddress)
	s.register("uptime", b.uptime)
	if b.Generate != nil {
		s.register("generatetoaddress", b.generateToAddress)
	}
	if b.Stop != nil {
		s.register("stop", b.stop)
	}
}

func (b *Backend) validateAddress(_ context.Context, params []json.RawMessage) (any, error) {
	var addr string
	if err := required(params, 0, "address", &addr); err != nil {
		return nil, err
	}
	kh, err := wire.DecodeAddress(b.Chain.Params().AddressPrefix, addr)
	if err != nil {
		return &rpc.ValidateAddressResult{IsValid: false, Error: err.Error()}, nil
	}
	return &rpc.ValidateAddressResult{IsValid: true, Address: addr, KeyHash: hex.EncodeToString(kh[:])}, nil
}

func (b *Backend) generateToAddress(ctx context.Context, params []json.RawMessage) (any, error) {
	var n int64
	var addr string
	if err := wholeNumber(params, 0, "nblocks", true, 0, maxGenerate, &n); err != nil {
		return nil, err
	}
	if err := required(params, 1, "address", &addr); err != nil {
		return nil, err
	}
	kh, err := wire.DecodeAddress(b.Chain.Params().AddressPrefix, addr)
	if err != nil {
		return nil, rpc.NewError(rpc.CodeInvalidAddress, "%v", err)
	}
	hashes, err := b.Generate(ctx, int(n), kh)
	if err != nil {
		return nil, rpc.NewError(rpc.CodeMiscError, "generate: %v", err)
	}
	return hashStrings(hashes), nil
}

func (b *Backend) stop(context.Context, []json.RawMessage) (any, error) {
	b.Stop()
	return "powchain stopping", nil
}

// uptime is the whole seconds since the node started (Backend.Started), as
// Bitcoin Core's; never negative.
func (b *Backend) uptime(context.Context, []json.RawMessage) (any, error) {
	return max(0, int64(b.Clock.Now().Sub(b.Started)/time.Second)), nil
}
