package chain

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"pgregory.net/rapid"

	"powchain/proto/pb"
	"powchain/wire"
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

// TestPropertyStoreMatchesMap: the store, driven by random batches of puts
// and deletes (a key may be written several times in one batch, as a
// block's batch puts an output's history record and rewrites it when a
// later transaction spends it), reads, by point and by iterating, as a
// plain map that applies the same writes in order. The store is
// openStore's with a write buffer of 16–256 bytes, so most batches are
// larger than it: with goleveldb's large-batch transactions
// (DisableLargeBatchTransaction false) a key deleted and put again in one
// batch reads as deleted, and this fails at once.
func TestPropertyStoreMatchesMap(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		s, err := openStore(Config{Params: LocalParams(), InMemory: true, WriteBufferSize: rapid.IntRange(16, 256).Draw(rt, "writeBuffer")})
		if err != nil {
			rt.Fatal(err)
		}
		defer s.close()
		var keys []string
		for i := range 6 {
			keys = append(keys, fmt.Sprintf("u%d", i), fmt.Sprintf("o%d", i))
		}
		model := map[string]string{}
		for step := range rapid.IntRange(1, 40).Draw(rt, "steps") {
			b := new(leveldb.Batch)
			for range rapid.IntRange(1, 8).Draw(rt, "writes") {
				key := rapid.SampledFrom(keys).Draw(rt, "key")
				if rapid.Bool().Draw(rt, "put") {
					val := fmt.Sprintf("%s@%d", key, step)
					b.Put([]byte(key), []byte(val))
					model[key] = val
				} else {
					b.Delete([]byte(key))
					delete(model, key)
				}
			}
			if err := s.write(b); err != nil {
				rt.Fatal(err)
			}
			for _, key := range keys {
				raw, found, err := s.getRaw([]byte(key))
				want, present := model[key]
				if err != nil || found != present || !bytes.Equal(raw, []byte(want)) {
					rt.Fatalf("step %d: %s reads %q %v %v, model %q %v", step, key, raw, found, err, want, present)
				}
			}
		}
		got := map[string]string{}
		for _, prefix := range []string{"u", "o"} {
			it := s.iterator([]byte(prefix))
			for it.Next() {
				got[string(it.Key())] = string(it.Value())
			}
			it.Release()
			if err := it.Error(); err != nil {
				rt.Fatal(err)
			}
		}
		if !maps.Equal(got, model) {
			rt.Fatalf("iterating reads %v, model %v", got, model)
		}
	})
}

// TestUtxoRecordSize: UtxoRecordSize is the size of the record putUtxo
// writes, key and value, for small and large amounts and heights, with and
// without the coinbase flag.
func TestUtxoRecordSize(t *testing.T) {
	s := &store{format: formatVersion}
	for _, e := range []UtxoEntry{
		{},
		{Amount: 1, Height: 1},
		{Amount: 5_000_000_000, Height: 300_000, Coinbase: true, KeyHash: wire.KeyHash{1, 2, 3}},
		{Amount: math.MaxUint64, Height: math.MaxUint64, Coinbase: true},
	} {
		b := new(leveldb.Batch)
		s.putUtxo(b, wire.OutPoint{TxID: wire.Hash{9}, Index: 7}, &e)
		var sizes recordSizes
		if err := b.Replay(&sizes); err != nil {
			t.Fatal(err)
		}
		if len(sizes) != 1 || sizes[0] != UtxoRecordSize(e) {
			t.Errorf("entry %+v: putUtxo wrote records of %v bytes, UtxoRecordSize says %d", e, sizes, UtxoRecordSize(e))
		}
	}
}

// recordSizes collects the size (key and value) of every record a batch puts.
type recordSizes []int

func (r *recordSizes) Put(key, value []byte) { *r = append(*r, len(key)+len(value)) }
func (r *recordSizes) Delete([]byte)         {}
