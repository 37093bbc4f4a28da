package miner_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/miner"
	"powchain/wire"
)

// TestSolveBlockIsAccepted: blocks built from templates and solved by the
// midstate loop are accepted by the chain, at the local network's real
// proof-of-work limit.
func TestSolveBlockIsAccepted(t *testing.T) {
	params := chain.LocalParams()
	clock := chaintest.NewClock(time.Unix(params.GenesisBlock.Header.Timestamp, 0).Add(time.Hour))
	c, err := chain.Open(chain.Config{Params: params, Path: t.TempDir(), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	payTo := wire.KeyHash{7}
	var hashes atomic.Uint64
	for range 3 {
		tmpl := miner.NewTemplate(params, c.Tip(), nil, nil, clock.Now())
		blk, err := miner.SolveBlock(context.Background(), tmpl, payTo, 2, &hashes)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := c.ProcessBlock(blk); err != nil || !res.MainChain {
			t.Fatalf("mined block: %+v %v", res, err)
		}
	}
	if c.Tip().Height != 3 || hashes.Load() == 0 {
		t.Fatalf("height %d after mining 3 blocks, %d hashes", c.Tip().Height, hashes.Load())
	}
	cb := c.Tip()
	blk, _ := c.BlockByHash(cb.Hash)
	if blk.Transactions[0].Outputs[0].KeyHash != payTo || blk.Transactions[0].Outputs[0].Amount != params.CalcBlockSubsidy(3) {
		t.Fatalf("coinbase %+v", blk.Transactions[0].Outputs[0])
	}
}

// TestSolveFindsTheFirstValidNonce: on a single worker the loop returns the
// smallest nonce that meets the target, the same as hashing naively.
func TestSolveFindsTheFirstValidNonce(t *testing.T) {
	h := wire.BlockHeader{Version: 1, Timestamp: 1_800_000_000, Bits: 0x1f00ffff, MerkleRoot: wire.Hash{9}}
	naive := h
	target := chain.CompactToBig(h.Bits)
	for chain.HashToBig(naive.BlockHash()).Cmp(target) > 0 {
		naive.Nonce++
	}
	if !miner.Solve(context.Background(), &h, 1, nil) {
		t.Fatal("no nonce found")
	}
	if h.Nonce != naive.Nonce {
		t.Fatalf("nonce %d, naive search finds %d", h.Nonce, naive.Nonce)
	}
}

// TestSolveStopsOnCancel: an impossible target keeps the workers busy until
// the context is cancelled; Solve then returns promptly.
func TestSolveStopsOnCancel(t *testing.T) {
	h := wire.BlockHeader{Bits: 0x03000001} // target 1: effectively unreachable
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan bool)
	go func() { done <- miner.Solve(ctx, &h, 2, nil) }()
	cancel()
	if <-done {
		t.Fatal("solved an impossible target")
	}
	if _, err := miner.SolveBlock(context.Background(), &miner.Template{Bits: 0}, wire.KeyHash{}, 1, nil); err == nil {
		t.Fatal("SolveBlock accepted a zero target")
	}
}
