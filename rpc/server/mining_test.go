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
	// A competing block at the same height: accepted on a side chain. It
	// comes with BIP 22's second parameter, which Bitcoin Core takes and
	// ignores (its "dummy"), as some mining software sends it.
	side := solve(tmpl, wire.KeyHash{2}, nil)
	var reason *string
	if err := e.call("submitblock", &reason, side, map[string]any{"workid": "1"}); err != nil || reason != nil {
		t.Fatalf("side chain block with a BIP 22 parameters object: %v %v", reason, err)
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
	greedyReason, err := e.client.SubmitBlock(ctx, greedy)
	if err != nil || greedyReason != "bad-cb-amount" || greedyReason != chain.ErrBadCoinbaseValue.Reason() {
		t.Fatalf("greedy coinbase: %q %v", greedyReason, err)
	}
	for _, bad := range []string{"zz", "00", strings.Repeat("00", 200)} {
		if rpcErr, ok := e.call("submitblock", nil, bad).(*rpc.Error); !ok || rpcErr.Code != rpc.CodeDeserialization {
			t.Errorf("submitblock %q: %v", bad, e.call("submitblock", nil, bad))
		}
	}
	// Without a template source the node offers no getblocktemplate.
	e.expectCode("getblocktemplate", rpc.CodeMethodNotFound)
}

// TestBlockProposal: getblocktemplate in BIP 23 proposal mode checks a
// block against every rule but proof of work, answers null or a BIP 22
// reason, and changes nothing.
func TestBlockProposal(t *testing.T) {
	e := docEnv(t)
	tip := e.chain.Tip()
	tmpl := miner.NewTemplate(e.params, tip, nil, nil, tip.Header.Time().Add(time.Second))
	propose := func(blk *wire.Block) any {
		t.Helper()
		var result any
		e.must("getblocktemplate", &result, map[string]string{"mode": "proposal", "data": hex.EncodeToString(blk.Bytes())})
		return result
	}
	block := func(tmpl *miner.Template, munge func(*wire.Block)) *wire.Block {
		blk := miner.NewBlock(tmpl, wire.KeyHash{1}, 0, tmpl.CurTime)
		if munge != nil {
			munge(blk)
			blk.Header.MerkleRoot, _ = wire.MerkleRoot(blk.TxIDs())
		}
		return blk
	}
	good := block(tmpl, nil) // not solved: proposals need no work
	if got := propose(good); got != nil {
		t.Fatalf("good proposal: %v", got)
	}
	if e.chain.Tip().Hash != tip.Hash || e.chain.HaveBlock(good.BlockHash()) {
		t.Fatal("a proposal changed the chain")
	}
	wrongHeight := *tmpl
	wrongHeight.Height++
	badRoot := block(tmpl, nil)
	badRoot.Header.MerkleRoot = wire.Hash{1}
	otherParent := *tmpl
	otherParent.PrevBlock = wire.Hash{9}
	for want, blk := range map[string]*wire.Block{
		"bad-cb-amount":                 block(tmpl, func(b *wire.Block) { b.Transactions[0].Outputs[0].Amount++ }),
		"bad-cb-height":                 block(&wrongHeight, nil),
		"bad-txnmrklroot":               badRoot,
		"inconclusive-not-best-prevblk": block(&otherParent, nil),
	} {
		if got := propose(blk); got != want {
			t.Errorf("proposal: %v, want %q", got, want)
		}
	}
	solved := block(tmpl, nil)
	if !miner.Solve(context.Background(), &solved.Header, 1, nil) {
		t.Fatal("not solved")
	}
	if reason, err := e.client.SubmitBlock(context.Background(), hex.EncodeToString(solved.Bytes())); err != nil || reason != "" {
		t.Fatalf("submitblock: %q %v", reason, err)
	}
	if got := propose(solved); got != "duplicate" {
		t.Errorf("proposal of a stored block: %v", got)
	}
	e.expectCode("getblocktemplate", rpc.CodeTypeError, map[string]string{"mode": "proposal"})
	e.expectCode("getblocktemplate", rpc.CodeDeserialization, map[string]string{"mode": "proposal", "data": "zz"})
	e.expectCode("getblocktemplate", rpc.CodeInvalidParameter, map[string]string{"mode": "bogus"})
}
