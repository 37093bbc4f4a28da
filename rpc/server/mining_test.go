package server_test

import (
	"context"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"powchain/chain"
	"powchain/miner"
	"powchain/rpc"
	"powchain/wire"
)

// TestSubmitBlock: null for a block accepted as the tip or on a side
// chain; "duplicate", "inconclusive" (unknown parent) or the broken rule's
// BIP 22 reason otherwise; -22 for what does not decode.
func TestSubmitBlock(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tip := e.chain.Tip()
	solve := func(tmpl *miner.Template, payTo wire.KeyHash, munge func(*wire.Block)) string {
		t.Helper()
		blk := miner.NewBlock(tmpl, payTo, 0, tmpl.CurTime)
		if munge != nil {
			munge(blk)
			blk.Header.MerkleRoot, _ = wire.MerkleRoot(blk.TxIDs())
		}
		if !miner.Solve(ctx, &blk.Header, 1, nil) {
			t.Fatal("not solved")
		}
		return hex.EncodeToString(blk.Bytes())
	}
	tmpl := miner.NewTemplate(e.params, tip, nil, nil, tip.Header.Time().Add(time.Second))

	good := solve(tmpl, wire.KeyHash{1}, nil)
	if reason, err := e.client.SubmitBlock(ctx, good); err != nil || reason != "" {
		t.Fatalf("good block: %q %v", reason, err)
	}
	if e.chain.Tip().Height != 1 {
		t.Fatal("the tip did not move")
	}
	if reason, err := e.client.SubmitBlock(ctx, good); err != nil || reason != "duplicate" {
		t.Fatalf("again: %q %v", reason, err)
	}
	// A competing block at the same height: accepted on a side chain.
	side := solve(tmpl, wire.KeyHash{2}, nil)
	if reason, err := e.client.SubmitBlock(ctx, side); err != nil || reason != "" {
		t.Fatalf("side chain block: %q %v", reason, err)
	}
	// Unknown parent.
	orphanTmpl := *tmpl
	orphanTmpl.PrevBlock = wire.Hash{9}
	if reason, err := e.client.SubmitBlock(ctx, solve(&orphanTmpl, wire.KeyHash{1}, nil)); err != nil || reason != "inconclusive" {
		t.Fatalf("orphan: %q %v", reason, err)
	}
	// On the tip, a coinbase claiming more than the subsidy.
	tip = e.chain.Tip()
	next := miner.NewTemplate(e.params, tip, nil, nil, tip.Header.Time().Add(time.Second))
	greedy := solve(next, wire.KeyHash{3}, func(b *wire.Block) { b.Transactions[0].Outputs[0].Amount++ })
	reason, err := e.client.SubmitBlock(ctx, greedy)
	if err != nil || reason != "bad-cb-amount" || reason != chain.ErrBadCoinbaseValue.Reason() {
		t.Fatalf("greedy coinbase: %q %v", reason, err)
	}
	for _, bad := range []string{"zz", "00", strings.Repeat("00", 200)} {
		if rpcErr, ok := e.call("submitblock", nil, bad).(*rpc.Error); !ok || rpcErr.Code != rpc.CodeDeserialization {
			t.Errorf("submitblock %q: %v", bad, e.call("submitblock", nil, bad))
		}
	}
	// Without a template source the node offers no getblocktemplate.
	e.expectCode("getblocktemplate", rpc.CodeMethodNotFound)
}
