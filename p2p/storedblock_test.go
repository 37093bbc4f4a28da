package p2p

import (
	"bytes"
	"testing"

	"powchain/chain/chaintest"
	"powchain/wire"
)

// TestGetDataServesStoredBytes: a getdata for a block is answered with the
// block's encoding as the chain stored it, not decoded and encoded again;
// its frame is byte for byte the frame of the block message, and decodes
// to the same block. A block the node lacks is not found.
func TestGetDataServesStoredBytes(t *testing.T) {
	h := newCoreHarness(t, nil)
	h.connect(1, 0)
	g := chaintest.NewGenerator(t, h.params)
	blocks := buildChain(g, "b", 3)
	tx := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 1000, 2)
	blocks = append(blocks, g.NextBlock("spend", []*wire.Tx{tx})) // a block with more than its coinbase
	for _, b := range blocks {
		if _, err := h.chain.ProcessBlock(b); err != nil {
			t.Fatal(err)
		}
	}
	for _, blk := range blocks {
		hash := blk.BlockHash()
		m, ok := only[*MsgStoredBlock](t, sent(h.core.Receive(h.now, 1, &MsgGetData{Items: []InvVect{{Type: InvBlock, Hash: hash}}}), 1))
		if !ok {
			return
		}
		stored, err := h.chain.BlockBytes(hash)
		if err != nil {
			t.Fatal(err)
		}
		if m.Hash != hash || !bytes.Equal(m.Encoded, stored) {
			t.Fatalf("served block %s: hash %s and %d bytes, want the %d stored bytes", hash, m.Hash, len(m.Encoded), len(stored))
		}
		frame, got := frameTrip(t, h.params.Magic, m)
		want, err := EncodeFrame(h.params.Magic, &MsgBlock{Block: blk})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(frame, want) {
			t.Errorf("block %s: stored block's frame differs from the block message's (%d and %d bytes)", hash, len(frame), len(want))
		}
		if b, ok := got.(*MsgBlock); !ok || !bytes.Equal(b.Block.Bytes(), blk.Bytes()) {
			t.Errorf("block %s: the stored block's frame decodes to %T, not the block", hash, got)
		}
		if sizeHint(m) < len(frame) {
			t.Errorf("block %s: send budget counts %d bytes for a %d-byte frame", hash, sizeHint(m), len(frame))
		}
	}
	missing := wire.Hash{1}
	if _, ok := only[*MsgNotFound](t, sent(h.core.Receive(h.now, 1, &MsgGetData{Items: []InvVect{{Type: InvBlock, Hash: missing}}}), 1)); !ok {
		t.Error("a block the node lacks is not answered with notfound")
	}
}
