package p2p

import (
	"testing"
	"time"

	"powchain/wire"
)

// TestRejectInvalidBlock follows the block submission flow of
// docs/PROTOCOL.md (headers in answer to getheaders, the block in answer
// to getdata) with a block that breaks a consensus rule: the node answers
// with one reject (message "block", code 16, the rule's BIP 22 reason, the
// block id) and bans the sender.
func TestRejectInvalidBlock(t *testing.T) {
	target, _, g := defenceSetup(t)
	r := dialRaw(t, target)
	r.handshake()
	r.expect(TypeGetHeaders)
	bad := g.NextBlock("greedy", nil, func(b *wire.Block) { b.Transactions[0].Outputs[0].Amount++ })
	r.send(&MsgHeaders{Headers: []wire.BlockHeader{bad.Header}})
	r.expect(TypeGetData)
	r.send(&MsgBlock{Block: bad})
	rej, _ := r.expect(TypeReject).(*MsgReject)
	if rej == nil || rej.Message != "block" || rej.Code != RejectInvalid || rej.Reason != "bad-cb-amount" || rej.Hash != bad.BlockHash() {
		t.Fatalf("reject %+v", rej)
	}
	r.expectDropped(15 * time.Second)
	if !isBanned(target) {
		t.Fatal("the sender of an invalid block is not banned")
	}
}
