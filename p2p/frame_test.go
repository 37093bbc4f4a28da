package p2p

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"powchain/wire"
)

// emptyElements is field num repeated as empty messages (2 bytes each)
// for as many bytes as room allows.
func emptyElements(num protowire.Number, room int) []byte {
	var b []byte
	for len(b)+2 <= room {
		b = protowire.AppendTag(b, num, protowire.BytesType)
		b = protowire.AppendVarint(b, 0)
	}
	return b
}

// nest wraps body as field num of a message, as many times as fits in
// room (one time if once).
func nest(num protowire.Number, body []byte, room int, once bool) []byte {
	var b []byte
	for {
		next := protowire.AppendTag(b, num, protowire.BytesType)
		next = protowire.AppendBytes(next, body)
		if len(next) > room && len(b) > 0 || once && len(b) > 0 {
			return b
		}
		b = next
	}
}

func rawFrame(magic [4]byte, t MsgType, payload []byte) []byte {
	f := make([]byte, FrameHeaderSize, FrameHeaderSize+len(payload))
	copy(f, magic[:])
	f[4] = byte(t)
	binary.LittleEndian.PutUint32(f[5:], uint32(len(payload)))
	return append(f, payload...)
}

// A payload whose lists hold more elements than its type allows is refused
// before protobuf builds them: an empty element takes 2 bytes on the wire
// and about a hundred in memory, so an inv frame of empty items made the
// node allocate 121 MB (950,000 objects) before the cap refused it, and
// every connection's reader can do that at once. A block whose every list
// is within its own cap (82 transactions of 7,573 empty inputs) holds too
// many elements in all.
func TestListsCountedBeforeDecoding(t *testing.T) {
	magic := testParams().Magic
	const wrap = 16 // room for the envelope's and messages' tags and lengths
	txOfEmptyInputs := emptyElements(2, 7573*2)
	cases := []struct {
		typ  MsgType
		body func(room int) []byte // the message inside the envelope
	}{
		{TypeInv, func(room int) []byte { return emptyElements(1, room) }},
		{TypeGetData, func(room int) []byte { return emptyElements(1, room) }},
		{TypeNotFound, func(room int) []byte { return emptyElements(1, room) }},
		{TypeHeaders, func(room int) []byte { return emptyElements(1, room) }},
		{TypeAnnounce, func(room int) []byte { return emptyElements(1, room) }},
		{TypeAddr, func(room int) []byte { return emptyElements(1, room) }},
		{TypeTx, func(room int) []byte { return emptyElements(2, room) }},
		{TypeBlockTxn, func(room int) []byte { return emptyElements(2, room) }},
		{TypeCmpctBlock, func(room int) []byte { return emptyElements(4, room) }},
		{TypeBlock, func(room int) []byte { // a header first, as a canonical block has
			return append([]byte{1<<3 | byte(protowire.BytesType), 0}, nest(2, txOfEmptyInputs, room, false)...)
		}},
	}
	for _, c := range cases {
		room := MaxPayload(c.typ) - wrap
		payload := nest(protowire.Number(c.typ), c.body(room), MaxPayload(c.typ), true)
		if len(payload) > MaxPayload(c.typ) {
			t.Fatalf("%s: test payload of %d bytes exceeds %d", c.typ, len(payload), MaxPayload(c.typ))
		}
		f := rawFrame(magic, c.typ, payload)
		var err error
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		allocs := testing.AllocsPerRun(1, func() { _, err = DecodeFrame(f, magic) })
		runtime.ReadMemStats(&after)
		var perr *ProtocolError
		if !errors.As(err, &perr) || !perr.Ban {
			t.Fatalf("%s of %d bytes: got %v, want a violation that bans", c.typ, len(payload), err)
		}
		// AllocsPerRun decodes twice (a warm-up, then the run it counts).
		if bytes := (after.TotalAlloc - before.TotalAlloc) / 2; allocs > 20 || bytes > 64<<10 {
			t.Errorf("%s of %d bytes: %.0f allocations, %d bytes before it was refused (%v)",
				c.typ, len(payload), allocs, bytes, err)
		}
	}
}

// TestEnvelopeAsDocumented pins what docs/PROTOCOL.md ("Frames") tells a
// client writing envelopes by hand: a message with no field set is still
// present in its envelope (verack is 12 00), an empty payload is a
// violation, and unknown fields are ignored, in a cmpctblock as in a ping.
func TestEnvelopeAsDocumented(t *testing.T) {
	magic := testParams().Magic
	frame := func(typ MsgType, payload ...byte) []byte { return rawFrame(magic, typ, payload) }
	enc, err := EncodeFrame(magic, &MsgVerAck{})
	if err != nil || string(enc) != string(frame(TypeVerAck, 0x12, 0x00)) {
		t.Fatalf("verack encodes to %x (%v), want payload 12 00", enc, err)
	}
	var pe *ProtocolError
	if _, err := DecodeFrame(frame(TypeVerAck), magic); !errors.As(err, &pe) {
		t.Errorf("verack with an empty payload: %v, want a violation", err)
	}
	// ping{nonce 5} with field 99 = 7 inside it and field 30 = 1 beside it
	m, err := DecodeFrame(frame(TypePing, 0x1a, 0x05, 0x08, 0x05, 0x98, 0x06, 0x07, 0xf0, 0x01, 0x01), magic)
	if p, ok := m.(*MsgPing); err != nil || !ok || p.Nonce != 5 {
		t.Errorf("ping with unknown fields: %v %v, want ping 5", m, err)
	}
	// cmpctblock{header{version 1, 32-byte hashes}, short_ids 6 bytes, field 9 = 1}
	hdr := protowire.AppendTag(nil, 1, protowire.VarintType)
	hdr = protowire.AppendVarint(hdr, 1)
	for _, f := range []protowire.Number{2, 3} {
		hdr = protowire.AppendTag(hdr, f, protowire.BytesType)
		hdr = protowire.AppendBytes(hdr, make([]byte, 32))
	}
	cb := protowire.AppendTag(nil, 1, protowire.BytesType)
	cb = protowire.AppendBytes(cb, hdr)
	cb = protowire.AppendTag(cb, 3, protowire.BytesType)
	cb = protowire.AppendBytes(cb, make([]byte, 6))
	cb = protowire.AppendTag(cb, 9, protowire.VarintType)
	cb = protowire.AppendVarint(cb, 1)
	env := protowire.AppendTag(nil, protowire.Number(TypeCmpctBlock), protowire.BytesType)
	env = protowire.AppendBytes(env, cb)
	if m, err := DecodeFrame(frame(TypeCmpctBlock, env...), magic); err != nil {
		t.Errorf("cmpctblock with an unknown field: %v, want it decoded", err)
	} else if _, ok := m.(*MsgCmpctBlock); !ok {
		t.Errorf("cmpctblock decoded as %T", m)
	}
}

// TestInvTypesAsDocumented pins docs/PROTOCOL.md's inventory types:
// INV_TYPE_CMPCT_BLOCK (3) only in getdata and notfound, 0 and unknown
// values nowhere.
func TestInvTypesAsDocumented(t *testing.T) {
	magic := testParams().Magic
	for _, c := range []struct {
		typ     MsgType
		invType uint64
		ok      bool
	}{
		{TypeInv, 1, true}, {TypeInv, 2, true}, {TypeInv, 3, false}, {TypeInv, 0, false},
		{TypeGetData, 3, true}, {TypeNotFound, 3, true}, {TypeGetData, 4, false},
	} {
		item := protowire.AppendTag(nil, 1, protowire.VarintType)
		item = protowire.AppendVarint(item, c.invType)
		item = protowire.AppendTag(item, 2, protowire.BytesType)
		item = protowire.AppendBytes(item, make([]byte, 32))
		inv := protowire.AppendTag(nil, 1, protowire.BytesType)
		inv = protowire.AppendBytes(inv, item)
		env := protowire.AppendTag(nil, protowire.Number(c.typ), protowire.BytesType)
		env = protowire.AppendBytes(env, inv)
		_, err := DecodeFrame(rawFrame(magic, c.typ, env), magic)
		var pe *ProtocolError
		if c.ok && err != nil || !c.ok && !errors.As(err, &pe) {
			t.Errorf("%s with an item of type %d: %v, want ok=%v", c.typ, c.invType, err, c.ok)
		}
	}
}

// TestReadMessageCountsFrameCutShort: ReadMessage counts every byte it
// read of a frame that ends early, header or payload (a peer's bytesrecv
// and the server's Totals add them up), neither none nor the length the
// header announced.
func TestReadMessageCountsFrameCutShort(t *testing.T) {
	magic := testParams().Magic
	frame, err := EncodeFrame(magic, &MsgInv{Items: []InvVect{{Type: InvTx, Hash: wire.Hash{1}}, {Type: InvTx, Hash: wire.Hash{2}}}})
	if err != nil {
		t.Fatal(err)
	}
	for cut := 1; cut < len(frame); cut++ {
		m, n, err := ReadMessage(bytes.NewReader(frame[:cut]), magic)
		if err == nil || n != cut {
			t.Errorf("frame of %d bytes cut after %d: %v, %d bytes read, error %v; want %d bytes and an error", len(frame), cut, m, n, err, cut)
		}
	}
	if _, n, err := ReadMessage(bytes.NewReader(frame), magic); err != nil || n != len(frame) {
		t.Errorf("whole frame: %d bytes, %v", n, err)
	}
}
