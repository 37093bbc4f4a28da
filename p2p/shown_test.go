package p2p

import (
	"testing"

	"powchain/wire"
)

// TestShownBlocks: the messages that show the peer has a block (a compact
// block, a block, a blocktxn answer, an announce, an inv of a block) are
// noted; those that do not (an inv of a transaction, a getdata, headers
// answering getheaders) are not; only the last shownKept blocks are kept
// (a repeat takes no second slot), and only a compact block of a shown block is a stale push.
func TestShownBlocks(t *testing.T) {
	hdr := func(n uint32) wire.BlockHeader { return wire.BlockHeader{Version: 1, Nonce: n} }
	id := func(n uint32) wire.Hash { h := hdr(n); return h.BlockHash() }
	var s ShownBlocks
	for _, m := range []Message{
		&MsgInv{Items: []InvVect{{Type: InvTx, Hash: id(90)}}},
		&MsgGetData{Items: []InvVect{{Type: InvBlock, Hash: id(91)}, {Type: InvCmpctBlock, Hash: id(92)}}},
		&MsgHeaders{Headers: []wire.BlockHeader{hdr(93)}},
	} {
		s.Note(m)
	}
	for n := uint32(90); n <= 93; n++ {
		if s.Has(id(n)) {
			t.Fatalf("block %d counts as shown after messages that do not show it", n)
		}
	}
	if s.Has(wire.Hash{}) {
		t.Fatal("the zero hash counts as shown")
	}
	s.Note(&MsgCmpctBlock{Header: hdr(1)})
	s.Note(&MsgBlock{Block: &wire.Block{Header: hdr(2)}})
	s.Note(&MsgBlockTxn{Block: id(3)})
	s.Note(&MsgAnnounce{Headers: []wire.BlockHeader{hdr(4), hdr(5)}})
	s.Note(&MsgInv{Items: []InvVect{{Type: InvTx, Hash: id(94)}, {Type: InvBlock, Hash: id(6)}}})
	for n := uint32(1); n <= 6; n++ {
		if !s.Has(id(n)) {
			t.Fatalf("block %d not shown", n)
		}
	}
	if !s.Stale(&MsgCmpctBlock{Header: hdr(1)}) || s.Stale(&MsgCmpctBlock{Header: hdr(7)}) || s.Stale(&MsgPing{}) {
		t.Fatal("stale: want a compact block of a shown block only")
	}
	s.Note(&MsgCmpctBlock{Header: hdr(1)}) // a repeat takes no slot
	s.Note(&MsgAnnounce{Headers: []wire.BlockHeader{hdr(7), hdr(8), hdr(9)}})
	if s.Has(id(1)) || !s.Has(id(2)) || !s.Has(id(9)) {
		t.Fatal("after 9 blocks: want the oldest gone, the others kept")
	}
}
