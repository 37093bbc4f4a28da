package wire

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"powchain/proto/pb"
)

// Fuzz targets for every decoder of package wire. Properties:
//   - no decoder panics, whatever the input;
//   - canonical decoders: whatever decodes re-encodes to the same bytes;
//   - protobuf path: whatever converts, converted back to protobuf (directly
//     and through proto.Marshal) and to the domain type again, is equal and
//     has the same canonical bytes, which the canonical decoder accepts;
//   - addresses: decode then encode gives the input in lower case.
//
// Run one with e.g. go test -run=^$ -fuzz=FuzzDecodeTx -fuzztime=20s ./wire/

// fuzzTxs are the seed transactions of every tx-shaped target.
func fuzzTxs() []*Tx {
	var out []*Tx
	for _, tx := range roundTripTxs() {
		if len(tx.Outputs) <= 10 {
			out = append(out, tx)
		}
	}
	return out
}

func FuzzDecodeTx(f *testing.F) {
	for _, tx := range fuzzTxs() {
		enc := tx.Bytes()
		f.Add(enc)
		f.Add(enc[:len(enc)-1])
		f.Add(append(cloneBytes(enc), 0))
	}
	f.Add([]byte{})
	f.Add(txWithCounts(^uint32(0), []byte{0, 0, 0, 0}))
	f.Add(txWithCounts(MaxTxInputs, []byte{0, 0, 0, 0}))
	f.Add(mustHex(f, vecSpendHex))
	f.Fuzz(func(t *testing.T, b []byte) {
		tx, err := DecodeTx(b)
		if err != nil {
			if tx != nil {
				t.Fatal("non-nil tx with an error")
			}
			return
		}
		enc := tx.Bytes()
		if !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding differs\n in %x\nout %x", b, enc)
		}
		if tx.SerializeSize() != len(b) {
			t.Fatalf("SerializeSize %d, len %d", tx.SerializeSize(), len(b))
		}
		if len(tx.Inputs) > MaxTxInputs || len(tx.Outputs) > MaxTxOutputs {
			t.Fatal("decoded counts above the limits")
		}
		// Everything computed from a decoded tx works.
		_ = tx.TxID()
		_ = tx.SigHash()
		_, _ = tx.Coinbase()
		if len(tx.Inputs) > 0 {
			_ = VerifySchnorr(tx.Inputs[0].PubKey, tx.SigHash(), tx.Inputs[0].Signature)
		}
	})
}

func FuzzDecodeBlockHeader(f *testing.F) {
	for _, h := range []BlockHeader{{}, sampleHeader(1), {Timestamp: -1}} {
		f.Add(h.Bytes())
	}
	f.Add(mustHex(f, vecHeaderHex))
	f.Add(make([]byte, HeaderSize-1))
	f.Add(make([]byte, HeaderSize+1))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := DecodeBlockHeader(b)
		if err != nil {
			if len(b) == HeaderSize {
				t.Fatalf("84-byte input rejected: %v", err)
			}
			return
		}
		if !bytes.Equal(h.Bytes(), b) {
			t.Fatalf("re-encoding differs")
		}
		if h.BlockHash() != DoubleSHA256(b) {
			t.Fatal("block id is not SHA-256d of the input")
		}
		c := cloneBytes(b)
		PutNonce(c, h.Nonce+1)
		if binary.LittleEndian.Uint32(c[HeaderNonceOffset:]) != h.Nonce+1 {
			t.Fatal("PutNonce")
		}
	})
}

func FuzzDecodeBlock(f *testing.F) {
	for _, n := range []int{0, 1, 2, 3} {
		enc := sampleBlock(n).Bytes()
		f.Add(enc)
		f.Add(enc[:len(enc)-3])
	}
	hdr := sampleHeader(1)
	f.Add(binary.LittleEndian.AppendUint32(hdr.Bytes(), MaxTxPerBlock))
	f.Add(binary.LittleEndian.AppendUint32(hdr.Bytes(), ^uint32(0)))
	vec := append(append(append(mustHex(f, vecHeaderHex), 2, 0, 0, 0), mustHex(f, vecCoinbaseHex)...), mustHex(f, vecSpendHex)...)
	f.Add(vec)
	f.Fuzz(func(t *testing.T, b []byte) {
		blk, err := DecodeBlock(b)
		if err != nil {
			return
		}
		if !bytes.Equal(blk.Bytes(), b) {
			t.Fatalf("re-encoding differs")
		}
		if blk.SerializeSize() != len(b) || len(b) > MaxBlockSize {
			t.Fatalf("size %d, len %d", blk.SerializeSize(), len(b))
		}
		_ = blk.BlockHash()
		ids := blk.TxIDs() // one buffer for every transaction: each id as TxID gives it
		for i, tx := range blk.Transactions {
			if ids[i] != tx.TxID() {
				t.Fatalf("TxIDs()[%d] = %s, TxID() = %s", i, ids[i], tx.TxID())
			}
		}
		_, _ = MerkleRoot(ids)
		// The protobuf envelope carries it unchanged.
		if enc, err := proto.Marshal(BlockToProto(blk)); err != nil || !bytes.Equal(MarshalBlock(blk), enc) {
			t.Fatalf("MarshalBlock differs from proto.Marshal of BlockToProto (%v)", err)
		}
		back, err := BlockFromProto(BlockToProto(blk))
		if err != nil {
			t.Fatalf("canonically decoded block refused by BlockFromProto: %v", err)
		}
		if !bytes.Equal(back.Bytes(), b) {
			t.Fatal("protobuf round trip changed the block")
		}
	})
}

// fuzzProtoSeeds adds the marshalled form of each message, and a truncated
// copy of it.
func fuzzProtoSeeds(f *testing.F, msgs ...proto.Message) {
	for _, m := range msgs {
		b, err := proto.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		if len(b) > 1 {
			f.Add(b[:len(b)/2])
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x00})
}

func FuzzTxFromProto(f *testing.F) {
	var msgs []proto.Message
	for _, tx := range fuzzTxs() {
		msgs = append(msgs, TxToProto(tx))
	}
	bad := TxToProto(sampleTx(1, 1, 1))
	bad.Inputs[0].Signature = bad.Inputs[0].Signature[:10]
	msgs = append(msgs, bad, &pb.Tx{Inputs: []*pb.TxIn{{}}})
	fuzzProtoSeeds(f, msgs...)
	f.Fuzz(func(t *testing.T, b []byte) {
		var m pb.Tx
		if err := proto.Unmarshal(b, &m); err != nil {
			return
		}
		tx, err := TxFromProto(&m)
		if err != nil {
			return
		}
		checkTxProtoRoundTrip(t, tx)
	})
}

func checkTxProtoRoundTrip(t *testing.T, tx *Tx) {
	t.Helper()
	enc := tx.Bytes()
	again, err := TxFromProto(TxToProto(tx))
	if err != nil {
		t.Fatalf("converted tx does not convert back: %v", err)
	}
	if !txEqual(again, tx) || !bytes.Equal(again.Bytes(), enc) {
		t.Fatal("direct protobuf round trip differs")
	}
	wire, err := proto.Marshal(TxToProto(tx))
	if err != nil {
		t.Fatal(err)
	}
	var m pb.Tx
	if err := proto.Unmarshal(wire, &m); err != nil {
		t.Fatal(err)
	}
	again, err = TxFromProto(&m)
	if err != nil || !txEqual(again, tx) || !bytes.Equal(again.Bytes(), enc) {
		t.Fatalf("marshalled protobuf round trip differs: %v", err)
	}
	dec, err := DecodeTx(enc)
	if err != nil || !txEqual(dec, tx) {
		t.Fatalf("canonical bytes of a converted tx do not decode: %v", err)
	}
}

func FuzzHeaderFromProto(f *testing.F) {
	h := sampleHeader(1)
	bad := HeaderToProto(&h)
	bad.MerkleRoot = nil
	fuzzProtoSeeds(f, HeaderToProto(&h), &pb.BlockHeader{}, bad, &pb.BlockHeader{Timestamp: -1, PrevBlock: make([]byte, 32), MerkleRoot: make([]byte, 32)})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m pb.BlockHeader
		if err := proto.Unmarshal(b, &m); err != nil {
			return
		}
		h, err := HeaderFromProto(&m)
		if err != nil {
			return
		}
		again, err := HeaderFromProto(HeaderToProto(&h))
		if err != nil || again != h {
			t.Fatalf("round trip: %+v vs %+v, %v", again, h, err)
		}
		wire, err := proto.Marshal(HeaderToProto(&h))
		if err != nil {
			t.Fatal(err)
		}
		var m2 pb.BlockHeader
		if err := proto.Unmarshal(wire, &m2); err != nil {
			t.Fatal(err)
		}
		if again, err := HeaderFromProto(&m2); err != nil || again != h {
			t.Fatalf("marshalled round trip: %v", err)
		}
		dec, err := DecodeBlockHeader(h.Bytes())
		if err != nil || *dec != h {
			t.Fatalf("canonical round trip: %v", err)
		}
	})
}

func FuzzBlockFromProto(f *testing.F) {
	var msgs []proto.Message
	for _, n := range []int{0, 1, 3} {
		msgs = append(msgs, BlockToProto(sampleBlock(n)))
	}
	msgs = append(msgs, &pb.Block{Header: &pb.BlockHeader{}}, &pb.Block{Transactions: []*pb.Tx{{}}})
	fuzzProtoSeeds(f, msgs...)
	f.Fuzz(func(t *testing.T, b []byte) {
		var m pb.Block
		if err := proto.Unmarshal(b, &m); err != nil {
			return
		}
		blk, err := BlockFromProto(&m)
		if err != nil {
			return
		}
		enc := blk.Bytes()
		if len(enc) > MaxBlockSize || blk.SerializeSize() != len(enc) {
			t.Fatalf("converted block is %d bytes", len(enc))
		}
		again, err := BlockFromProto(BlockToProto(blk))
		if err != nil || !blockEqual(again, blk) || !bytes.Equal(again.Bytes(), enc) {
			t.Fatalf("direct round trip: %v", err)
		}
		wire, err := proto.Marshal(BlockToProto(blk))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(MarshalBlock(blk), wire) {
			t.Fatal("MarshalBlock differs from proto.Marshal of BlockToProto")
		}
		var m2 pb.Block
		if err := proto.Unmarshal(wire, &m2); err != nil {
			t.Fatal(err)
		}
		again, err = BlockFromProto(&m2)
		if err != nil || !blockEqual(again, blk) || !bytes.Equal(again.Bytes(), enc) {
			t.Fatalf("marshalled round trip: %v", err)
		}
		for _, tx := range blk.Transactions {
			checkTxProtoRoundTrip(t, tx)
		}
		// DecodeBlock bounds the tx count assuming every tx has at least
		// one input and one output (MinTxSize bytes); for blocks of such
		// transactions it must accept the canonical bytes.
		shaped := true
		for _, tx := range blk.Transactions {
			if len(tx.Inputs) == 0 || len(tx.Outputs) == 0 {
				shaped = false
			}
		}
		if shaped {
			dec, err := DecodeBlock(enc)
			if err != nil || !blockEqual(dec, blk) {
				t.Fatalf("canonical bytes of a converted block do not decode: %v", err)
			}
		}
	})
}

func FuzzDecodeAddress(f *testing.F) {
	for _, kh := range sampleKeyHashes() {
		for _, hrp := range []string{"pc", "tpc"} {
			a, err := EncodeAddress(hrp, kh)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(hrp, a)
			f.Add(hrp, strings.ToUpper(a))
			f.Add("pc", a[:len(a)-1]+"q")
		}
	}
	f.Add("pc", vecAddress1)
	f.Add("pc", "")
	f.Add("", "1qqqqqqq")
	f.Fuzz(func(t *testing.T, hrp, addr string) {
		kh, err := DecodeAddress(hrp, addr)
		if err != nil {
			return
		}
		again, err := EncodeAddress(hrp, kh)
		if err != nil {
			t.Fatalf("decoded address does not encode: %v", err)
		}
		if again != strings.ToLower(addr) {
			t.Fatalf("decode then encode: %q -> %q", addr, again)
		}
	})
}

func FuzzParseHash(f *testing.F) {
	f.Add(vecBlockHash)
	f.Add(strings.ToUpper(vecSpendTxID))
	f.Add(vecBlockHash[:63])
	f.Add(vecBlockHash + "0")
	f.Add("zz" + vecBlockHash[2:])
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHash(s)
		if err != nil {
			return
		}
		if h.String() != strings.ToLower(s) {
			t.Fatalf("%q parses to %s", s, h)
		}
		back, err := ParseHash(h.String())
		if err != nil || back != h {
			t.Fatal("String does not parse back")
		}
	})
}

// FuzzMerkleRoot checks MerkleRoot against the recursive reference and the
// mutation rule: a list that reports no mutation has no shorter list with
// the same root obtainable by duplicating its tail.
func FuzzMerkleRoot(f *testing.F) {
	f.Add([]byte{1, 2, 3})
	f.Add([]byte{1, 2, 3, 3})
	f.Add([]byte{1, 2, 3, 4, 5, 6, 5, 6})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 200 {
			return
		}
		ids := make([]Hash, len(b))
		for i, x := range b {
			ids[i] = Hash{x}
		}
		root, mutated := MerkleRoot(ids)
		if len(ids) == 0 {
			if root != ZeroHash || mutated {
				t.Fatal("empty list")
			}
			return
		}
		if root != refMerkle(ids) {
			t.Fatal("root differs from the reference")
		}
		// Core's rule: mutated iff some level pairs two equal nodes.
		if want := refMutated(ids); mutated != want {
			t.Fatalf("mutated = %v, reference %v", mutated, want)
		}
	})
}

func refMutated(level []Hash) bool {
	mut := false
	for len(level) > 1 {
		for i := 0; i+1 < len(level); i += 2 {
			if level[i] == level[i+1] {
				mut = true
			}
		}
		if len(level)%2 == 1 {
			level = append(level[:len(level):len(level)], level[len(level)-1])
		}
		next := make([]Hash, len(level)/2)
		for i := range next {
			next[i] = node(level[2*i], level[2*i+1])
		}
		level = next
	}
	return mut
}
