package p2p

import (
	"bytes"
	"reflect"
	"slices"
	"testing"
	"time"

	"powchain/chain/chaintest"
	"powchain/wire"
)

// seedMessages is one message of every type, for the fuzz corpora.
func seedMessages(t testing.TB) []Message {
	params := testParams()
	g := chaintest.NewGenerator(t, params)
	b1 := g.NextBlock("b1", nil)
	tx := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 1000, 2)
	b2 := g.NextBlock("b2", []*wire.Tx{tx})
	h := b2.BlockHash()
	return []Message{
		&MsgVersion{Network: params.Name, Genesis: params.GenesisHash, ProtocolVersion: 1, BestHeight: 5,
			UserAgent: "/x/", ListenAddr: "127.0.0.1:1", Nonce: 9, Timestamp: 1},
		&MsgVerAck{}, &MsgPing{Nonce: 1}, &MsgPong{Nonce: 1},
		&MsgInv{Items: []InvVect{{InvBlock, h}, {InvTx, tx.TxID()}}},
		&MsgGetData{Items: []InvVect{{InvBlock, h}}},
		&MsgNotFound{Items: []InvVect{{InvTx, h}}},
		&MsgTx{Tx: tx}, &MsgBlock{Block: b2},
		&MsgGetHeaders{Locator: []wire.Hash{b1.BlockHash(), params.GenesisHash}, Stop: h},
		&MsgHeaders{Headers: []wire.BlockHeader{b1.Header, b2.Header}},
		&MsgGetAddr{}, &MsgAddr{Addrs: []NetAddress{{"10.0.0.1:9444", 5}}},
		&MsgReject{Message: "tx", Code: RejectInvalid, Reason: "bad", Hash: h},
		&MsgSendHeaders{}, &MsgAnnounce{Headers: []wire.BlockHeader{b1.Header, b2.Header}},
		&MsgSendCmpct{HighBandwidth: true, Version: CompactVersion},
		&MsgCmpctBlock{Header: b2.Header, Nonce: 5, ShortIDs: []uint64{1<<48 - 1},
			Prefilled: []PrefilledTx{{Index: 0, Tx: b2.Transactions[0]}}},
		&MsgGetData{Items: []InvVect{{InvCmpctBlock, h}}},
		&MsgGetBlockTxn{Block: h, Indexes: []int{1, 5, 6}},
		&MsgBlockTxn{Block: h, Txs: []*wire.Tx{tx}},
	}
}

func TestFrameRoundTrip(t *testing.T) {
	magic := testParams().Magic
	for _, m := range seedMessages(t) {
		f, got := frameTrip(t, magic, m)
		f2, _ := EncodeFrame(magic, got)
		if !bytes.Equal(f, f2) {
			t.Fatalf("%s does not round-trip", m.Type())
		}
		r, n, err := ReadMessage(bytes.NewReader(f), magic)
		if err != nil || n != len(f) || r.Type() != m.Type() {
			t.Fatalf("%s: ReadMessage %v, %d bytes, %v", m.Type(), r, n, err)
		}
	}
}

// A block of the largest valid size fits its frame: the caps are never
// stricter than consensus.
func TestMaxBlockFits(t *testing.T) {
	params := testParams()
	g := chaintest.NewGenerator(t, params)
	g.NextBlock("b1", nil)
	b := g.NextBlock("big", nil, func(b *wire.Block) {
		// Fill the block with outputs (the encoding with the most protobuf
		// overhead per byte) up to MaxBlockSize.
		cb := b.Transactions[0]
		for b.SerializeSize()+wire.TxOutSize <= wire.MaxBlockSize {
			cb.Outputs = append(cb.Outputs, wire.TxOut{Amount: 1<<63 + 1, KeyHash: wire.KeyHash{0xff}})
		}
	})
	bf, err := EncodeFrame(params.Magic, &MsgBlock{Block: b})
	if err != nil {
		t.Fatalf("largest block does not fit a frame: %v", err)
	}
	if _, err := DecodeFrame(bf, params.Magic); err != nil {
		t.Fatalf("largest block refused: %v", err)
	}
	// Its transactions fit a blocktxn and, all prefilled, a compact block
	// that also carries the most short ids a block can need.
	if _, err := EncodeFrame(params.Magic, &MsgBlockTxn{Block: b.BlockHash(), Txs: b.Transactions}); err != nil {
		t.Fatalf("largest blocktxn does not fit a frame: %v", err)
	}
	big := *b.Transactions[0]
	big.Outputs = big.Outputs[:wire.MaxTxOutputs] // the largest a decoder takes
	cb := &MsgCmpctBlock{Header: b.Header, Nonce: 1<<64 - 1, ShortIDs: make([]uint64, wire.MaxTxPerBlock-1),
		Prefilled: []PrefilledTx{{Index: wire.MaxTxPerBlock - 1, Tx: &big}}}
	for i := range cb.ShortIDs {
		cb.ShortIDs[i] = shortIDMask
	}
	f, err := EncodeFrame(params.Magic, cb)
	if err != nil {
		t.Fatalf("largest compact block does not fit a frame: %v", err)
	}
	if _, err := DecodeFrame(f, params.Magic); err != nil {
		t.Fatalf("largest compact block refused: %v", err)
	}
	idx := make([]int, wire.MaxTxPerBlock)
	for i := range idx {
		idx[i] = i
	}
	if _, err := EncodeFrame(params.Magic, &MsgGetBlockTxn{Block: b.BlockHash(), Indexes: idx}); err != nil {
		t.Fatalf("largest getblocktxn does not fit a frame: %v", err)
	}
}

func FuzzDecodeFrame(f *testing.F) {
	magic := testParams().Magic
	for _, m := range seedMessages(f) {
		fr, _ := EncodeFrame(magic, m)
		f.Add(fr)
	}
	f.Add([]byte("POWL\x09\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeFrame(b, magic)
		if err != nil {
			return
		}
		// Whatever decodes encodes again within its limit and decodes to
		// the same message.
		f2, m2 := frameTrip(t, magic, m)
		f3, _ := EncodeFrame(magic, m2)
		if !bytes.Equal(f2, f3) {
			t.Fatalf("%s encoding not stable", m.Type())
		}
		if _, _, err := ReadMessage(bytes.NewReader(b), magic); err != nil {
			t.Fatalf("ReadMessage refuses what DecodeFrame accepts: %v", err)
		}
	})
}

// FuzzHandleMessage feeds every message handler (the first byte picks the
// type) with arbitrary payloads from a handshaken peer: nothing may panic,
// and whatever the Core answers must encode.
func FuzzHandleMessage(f *testing.F) {
	for _, m := range seedMessages(f) {
		fr, _ := EncodeFrame(testParams().Magic, m)
		f.Add(append([]byte{byte(m.Type())}, fr[FrameHeaderSize:]...))
	}
	h := newCoreHarness(f, nil)
	g := chaintest.NewGenerator(f, h.params)
	h.chain.ProcessBlock(g.NextBlock("b1", nil))
	id := PeerID(0)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 || len(b)-1 > MaxPayload(MsgType(b[0])) {
			return
		}
		m, err := decodePayload(MsgType(b[0]), b[1:])
		if err != nil {
			return
		}
		id++
		h.connect(id, 1)
		acts := h.core.Receive(h.now, id, m)
		if hasKind(acts, ActValidate, 0) {
			acts = append(acts, h.core.Validate(h.now)...)
		}
		for _, a := range acts {
			if a.Msg != nil {
				if _, err := EncodeFrame(h.params.Magic, a.Msg); err != nil {
					t.Fatalf("answer %s does not encode: %v", a.Msg.Type(), err)
				}
			}
		}
		h.core.Tick(h.now.Add(time.Hour))
	})
}

// FuzzDecodeCompact decodes arbitrary payloads as the compact block
// messages (the first byte picks one): what decodes meets the limits the
// Core relies on (a compact block's prefilled indexes increase inside the
// block, its short ids have 48 bits, its size fits a block; getblocktxn
// indexes increase inside a block) and encodes back to the same message.
func FuzzDecodeCompact(f *testing.F) {
	kinds := []MsgType{TypeSendCmpct, TypeCmpctBlock, TypeGetBlockTxn, TypeBlockTxn}
	for _, m := range seedMessages(f) {
		if i := slices.Index(kinds, m.Type()); i >= 0 {
			fr, _ := EncodeFrame(testParams().Magic, m)
			f.Add(append([]byte{byte(i)}, fr[FrameHeaderSize:]...))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		typ := kinds[int(b[0])%len(kinds)]
		m, err := decodePayload(typ, b[1:])
		if err != nil {
			return
		}
		switch m := m.(type) {
		case *MsgCmpctBlock:
			n := len(m.ShortIDs) + len(m.Prefilled)
			if n == 0 || n > wire.MaxTxPerBlock {
				t.Fatalf("%d transactions", n)
			}
			for i, pt := range m.Prefilled {
				if pt.Index >= n || (i > 0 && pt.Index <= m.Prefilled[i-1].Index) || pt.Tx == nil {
					t.Fatalf("prefilled %d at index %d of %d", i, pt.Index, n)
				}
			}
			for _, id := range m.ShortIDs {
				if id>>48 != 0 {
					t.Fatalf("short id %x over 48 bits", id)
				}
			}
		case *MsgGetBlockTxn:
			for i, idx := range m.Indexes {
				if idx >= wire.MaxTxPerBlock || (i > 0 && idx <= m.Indexes[i-1]) {
					t.Fatalf("index %d: %d", i, idx)
				}
			}
		}
		magic := testParams().Magic
		f1, err := EncodeFrame(magic, m)
		if err != nil {
			t.Fatalf("decoded %s does not encode: %v", typ, err)
		}
		m2, err := DecodeFrame(f1, magic)
		if err != nil {
			t.Fatalf("re-encoded %s does not decode: %v", typ, err)
		}
		if f2, _ := EncodeFrame(magic, m2); !bytes.Equal(f1, f2) {
			t.Fatalf("%s encoding not stable", typ)
		}
	})
}

// FuzzDecodeBlockPayload: a block payload decodes through
// decodeBlockPayload (wire.UnmarshalCanonicalBlock) to exactly what the general
// path (the Envelope through proto.Unmarshal, then wire.BlockFromProto)
// gives: the same block, or the same error. The seeds are the payloads
// frameParts writes, with an unknown Envelope field, a second block
// field, and cut short.
func FuzzDecodeBlockPayload(f *testing.F) {
	for _, m := range seedMessages(f) {
		if m, ok := m.(*MsgBlock); ok {
			enc := wire.MarshalBlock(m.Block)
			p := append(blockFieldPrefix(len(enc)), enc...)
			f.Add(p)
			f.Add(append(slices.Clone(p), 0x08, 0x01))
			f.Add(append(slices.Clone(p), p...))
			f.Add(p[:len(p)-1])
		}
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		got, err := decodePayload(TypeBlock, payload)
		want, wantErr := decodeEnvelope(TypeBlock, payload)
		if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
			t.Fatalf("error %v, general path %v", err, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decoded %+v, general path %+v", got, want)
		}
	})
}
