package chain

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"powchain/proto/pb"
)

// FuzzDecodeUtxoFields: decodeUtxoFields reads any bytes exactly as
// proto.Unmarshal into a pb.UtxoEntry does: both fail, or both succeed
// with the same fields.
func FuzzDecodeUtxoFields(f *testing.F) {
	kh := bytes.Repeat([]byte{7}, 20)
	entry := func(m *pb.UtxoEntry) []byte { b, _ := proto.Marshal(m); return b }
	f.Add(entry(&pb.UtxoEntry{Amount: 5_000_000_000, KeyHash: kh, Height: 1234, Coinbase: true}))
	f.Add(entry(&pb.UtxoEntry{KeyHash: kh}))
	f.Add([]byte{})
	tail := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 9) // amount again: the last wins
	f.Add(append(entry(&pb.UtxoEntry{Amount: 3, KeyHash: kh}), tail...))
	f.Add(protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), kh))  // amount as bytes: skipped
	f.Add(protowire.AppendVarint(protowire.AppendTag(nil, 9, protowire.VarintType), 1)) // unknown field
	f.Add(protowire.AppendTag(nil, 5, protowire.StartGroupType))                        // unterminated group
	f.Add(protowire.AppendTag(nil, 4, protowire.EndGroupType))
	f.Add(protowire.AppendVarint(nil, 1<<40)) // a tag beyond the largest field number
	f.Add(protowire.AppendTag(nil, 3, protowire.Fixed64Type))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var m pb.UtxoEntry
		want := proto.Unmarshal(raw, &m)
		got, err := decodeUtxoFields(raw)
		if (err == nil) != (want == nil) {
			t.Fatalf("%x: decodeUtxoFields: %v; proto.Unmarshal: %v", raw, err, want)
		}
		if err != nil {
			return
		}
		if got.amount != m.GetAmount() || !bytes.Equal(got.keyHash, m.GetKeyHash()) ||
			got.height != m.GetHeight() || got.coinbase != m.GetCoinbase() {
			t.Fatalf("%x: decodeUtxoFields read %+v; proto.Unmarshal %v", raw, got, &m)
		}
	})
}

// TestUtxoEncodingMatchesProto: the hand-written encodings of UTXO entries
// and undo records are byte for byte what proto.Marshal writes for the same
// messages (the on-disk format), zero fields and extreme values included.
func TestUtxoEncodingMatchesProto(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	values := []uint64{0, 1, 127, 128, 1<<32 - 1, 1<<63 + 5, math.MaxUint64}
	var entries []UtxoEntry
	for i := 0; i < 500; i++ {
		e := UtxoEntry{Coinbase: i%2 == 1}
		if i < len(values)*len(values) {
			e.Amount, e.Height = values[i%len(values)], values[i/len(values)]
		} else {
			e.Amount, e.Height = rng.Uint64()>>rng.IntN(64), rng.Uint64()>>rng.IntN(64)
		}
		for j := range e.KeyHash {
			e.KeyHash[j] = byte(rng.IntN(256))
		}
		entries = append(entries, e)
	}
	protoEntry := func(e *UtxoEntry) *pb.UtxoEntry {
		return &pb.UtxoEntry{Amount: e.Amount, KeyHash: e.KeyHash[:], Height: e.Height, Coinbase: e.Coinbase}
	}
	for i := range entries {
		want, err := proto.Marshal(protoEntry(&entries[i]))
		if err != nil {
			t.Fatal(err)
		}
		if got := appendUtxoEntry(nil, &entries[i]); !bytes.Equal(got, want) {
			t.Fatalf("entry %+v: encoded %x, proto.Marshal %x", entries[i], got, want)
		}
	}
	for _, n := range []int{0, 1, 2, 17, len(entries)} {
		rec := &pb.UndoRecord{}
		for i := range entries[:n] {
			rec.Spent = append(rec.Spent, protoEntry(&entries[i]))
		}
		want, err := proto.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		if got := encodeUndo(entries[:n]); !bytes.Equal(got, want) {
			t.Fatalf("undo record of %d entries: encoded %x, proto.Marshal %x", n, got, want)
		}
	}
}
