package chain

import (
	"bytes"
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
