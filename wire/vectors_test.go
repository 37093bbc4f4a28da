package wire

import (
	"bytes"
	"encoding/hex"
	"math/big"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

// Fixed test vectors. They were computed once and are published as the
// worked examples of docs/PROTOCOL.md; any change to the encoding, the ids,
// the sighash, the key hash or the address format breaks this test. Do not
// regenerate them to make the test pass: a mismatch is a consensus change.
//
// Keys: secret key 1 (public key G.x) and secret key 2 (public key (2G).x).
// The coinbase pays 50 coins to key 1 at height 1; the spend moves them to
// key 2 (30 coins) and back to key 1 (19.9999 coins), 10,000 base units of
// fee, and is signed by key 1. The block holds both and was ground to meet
// bits 0x1f00ffff.
const (
	vecPubKey1  = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
	vecPubKey2  = "c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"
	vecKeyHash1 = "4cb1bf55f25eac6375c0bf3748bc73d7e1b98256"
	vecKeyHash2 = "9454f270bb0d9f3640455f63ad762b0180c4d80f"
	vecAddress1 = "pc1qfjcm740jt6kxxawqhum530rn6lsmnqjkvmnmp8" // example prefix "pc"
	vecAddress2 = "pc1qj320yu9mpk0nvsz9ta366a3tqxqvfkq0lhcdrp"

	vecCoinbaseTag = "powchain worked example"
	vecCoinbaseHex = "" +
		"01000000" + // version 1
		"01000000" + // 1 input
		"0000000000000000000000000000000000000000000000000000000000000000" + // null outpoint txid
		"ffffffff" + // null outpoint index
		"0100000000000000" + // coinbase data: height 1
		"0807060504030201" + // extra nonce 0x0102030405060708
		"706f77636861696e20776f726b6564206578616d706c6500000000000000000000000000000000000000000000000000" + // tag, 48 bytes
		"0000000000000000000000000000000000000000000000000000000000000000" + // public key: zero
		"01000000" + // 1 output
		"00f2052a01000000" + // 5,000,000,000 base units
		"4cb1bf55f25eac6375c0bf3748bc73d7e1b98256" // key hash of key 1
	vecCoinbaseTxID    = "a54186678c7181c049718a901dc0028ffedae496b485aa0f7009a0f1d6c04e56"
	vecCoinbaseSigHash = "036d30eebc1262260944701ca53bda097cca06c92b649e369cf341470f3102a3"

	vecSpendHex = "" +
		"01000000" + // version 1
		"01000000" + // 1 input
		"a54186678c7181c049718a901dc0028ffedae496b485aa0f7009a0f1d6c04e56" + // spends the coinbase
		"00000000" + // output 0
		"51c9db0235e983b5889f05e91aa1f53092bdb20a0cf81979f0121ef51797db39" + // signature R
		"edfa27e295c56c7917d21ca830e34878163d808c60f376954810172ffb790232" + // signature s
		"79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" + // public key 1
		"02000000" + // 2 outputs
		"005ed0b200000000" + // 3,000,000,000
		"9454f270bb0d9f3640455f63ad762b0180c4d80f" + // key hash of key 2
		"f06c357700000000" + // 1,999,990,000
		"4cb1bf55f25eac6375c0bf3748bc73d7e1b98256" // key hash of key 1
	vecSpendTxID    = "6b182044fd2f5bbd63e8e05f751a7c89710cb98520ad6a21d81fe9987fc1171a"
	vecSpendSigHash = "003fad1f82504147f685877d0dafd430fb5b654af474126b6350c0c1f1cb3079"

	vecMerkleRoot = "66ba0b9ea00ce798ad2e3f7030f47196f4a58425745188a5883e4955bfa04b96"
	vecPrevBlock  = "0b49c2b0f229588c23f54dcf5ef1998ac3513e4d840e28033d3a667d77406a6d"
	vecHeaderHex  = "" +
		"01000000" + // version 1
		vecPrevBlock +
		vecMerkleRoot +
		"00f1536500000000" + // timestamp 1,700,000,000
		"ffff001f" + // bits 0x1f00ffff
		"80d20200" // nonce 184,960
	vecBlockHash = "0000c2c36e7ff99ade38f8b29bfa471c41f5586c5864900095e087368ec96978"
	vecBlockSize = 460
)

func TestFixedVectors(t *testing.T) {
	// Keys and key hashes.
	pub1, pub2 := XOnlyPubKey(testKey(1)), XOnlyPubKey(testKey(2))
	if hex.EncodeToString(pub1[:]) != vecPubKey1 || hex.EncodeToString(pub2[:]) != vecPubKey2 {
		t.Fatalf("public keys %x %x", pub1, pub2)
	}
	kh1, kh2 := HashPubKey(pub1), HashPubKey(pub2)
	if hex.EncodeToString(kh1[:]) != vecKeyHash1 || hex.EncodeToString(kh2[:]) != vecKeyHash2 {
		t.Fatalf("key hashes %x %x", kh1, kh2)
	}
	for addr, kh := range map[string]KeyHash{vecAddress1: kh1, vecAddress2: kh2} {
		if got, _ := EncodeAddress("pc", kh); got != addr {
			t.Errorf("address of %x = %s, want %s", kh, got, addr)
		}
		if got, err := DecodeAddress("pc", addr); err != nil || got != kh {
			t.Errorf("DecodeAddress(%s) = %x, %v", addr, got, err)
		}
	}

	// The coinbase, built with the API, encodes to the published bytes.
	var tag [CoinbaseTagSize]byte
	copy(tag[:], vecCoinbaseTag)
	cb := NewCoinbaseTx(CoinbaseData{Height: 1, ExtraNonce: 0x0102030405060708, Tag: tag},
		[]TxOut{{Amount: 50 * CoinValue, KeyHash: kh1}})
	cbHex := mustHex(t, vecCoinbaseHex)
	if !bytes.Equal(cb.Bytes(), cbHex) {
		t.Fatalf("coinbase encoding\n got %x\nwant %s", cb.Bytes(), vecCoinbaseHex)
	}
	if cb.TxID().String() != vecCoinbaseTxID {
		t.Errorf("coinbase txid %s, want %s", cb.TxID(), vecCoinbaseTxID)
	}
	if cb.SigHash().String() != vecCoinbaseSigHash {
		t.Errorf("coinbase sighash %s, want %s", cb.SigHash(), vecCoinbaseSigHash)
	}

	// The spend decodes from the published bytes, its signature verifies,
	// and the API rebuilds the same signed bytes.
	spHex := mustHex(t, vecSpendHex)
	sp, err := DecodeTx(spHex)
	if err != nil {
		t.Fatal(err)
	}
	if sp.TxID().String() != vecSpendTxID {
		t.Errorf("spend txid %s, want %s", sp.TxID(), vecSpendTxID)
	}
	if sp.SigHash().String() != vecSpendSigHash {
		t.Errorf("spend sighash %s, want %s", sp.SigHash(), vecSpendSigHash)
	}
	if !VerifySchnorr(sp.Inputs[0].PubKey, sp.SigHash(), sp.Inputs[0].Signature) {
		t.Error("spend signature does not verify")
	}
	if sp.Inputs[0].PrevOut != (OutPoint{TxID: cb.TxID(), Index: 0}) {
		t.Error("spend does not spend the coinbase")
	}
	rebuilt := &Tx{Version: 1,
		Inputs:  []TxIn{{PrevOut: OutPoint{TxID: cb.TxID()}}},
		Outputs: []TxOut{{Amount: 3_000_000_000, KeyHash: kh2}, {Amount: 1_999_990_000, KeyHash: kh1}}}
	if err := SignInputs(rebuilt, []*btcec.PrivateKey{testKey(1)}); err != nil {
		t.Fatal(err)
	}
	if rebuilt.SigHash() != sp.SigHash() {
		t.Error("rebuilt spend has another sighash")
	}
	// Signatures are deterministic in btcec (RFC6979 nonces), but BIP340
	// allows any nonce; only the verification above is consensus.
	if !bytes.Equal(rebuilt.Bytes(), spHex) {
		t.Logf("note: btcec produced another (valid) signature: %x", rebuilt.Inputs[0].Signature)
	}

	// Merkle root, header, block id and proof of work.
	root, mutated := MerkleRoot([]Hash{cb.TxID(), sp.TxID()})
	if root.String() != vecMerkleRoot || mutated {
		t.Errorf("merkle root %s (mutated %v), want %s", root, mutated, vecMerkleRoot)
	}
	if root != Hash(sha256d(append(mustHex(t, vecCoinbaseTxID), mustHex(t, vecSpendTxID)...))) {
		t.Error("merkle root is not SHA-256d(txid0 || txid1)")
	}
	hdrHex := mustHex(t, vecHeaderHex)
	hdr, err := DecodeBlockHeader(hdrHex)
	if err != nil {
		t.Fatal(err)
	}
	want := BlockHeader{Version: 1, PrevBlock: mustHash(t, vecPrevBlock), MerkleRoot: root,
		Timestamp: 1_700_000_000, Bits: 0x1f00ffff, Nonce: 184_960}
	if *hdr != want {
		t.Fatalf("header decodes as %+v, want %+v", *hdr, want)
	}
	if want.PrevBlock != DoubleSHA256([]byte("powchain worked example parent")) {
		t.Error("prev block of the example is not what the docs say")
	}
	if hdr.BlockHash().String() != vecBlockHash {
		t.Errorf("block hash %s, want %s", hdr.BlockHash(), vecBlockHash)
	}
	// Compact bits 0x1f00ffff: exponent 0x1f, mantissa 0x00ffff, target =
	// 0xffff * 256^(0x1f-3). The hash, read big-endian, must not exceed it.
	target := new(big.Int).Lsh(big.NewInt(0xffff), 8*(0x1f-3))
	bh := hdr.BlockHash()
	if new(big.Int).SetBytes(bh[:]).Cmp(target) > 0 {
		t.Error("example block does not meet its target")
	}
	// And the nonce before it does not (the example is the first nonce
	// from 0 that works, which the docs claim).
	for n := uint32(0); n < hdr.Nonce; n++ {
		h := *hdr
		h.Nonce = n
		x := h.BlockHash()
		if new(big.Int).SetBytes(x[:]).Cmp(target) <= 0 {
			t.Fatalf("nonce %d already meets the target", n)
		}
	}

	blk := &Block{Header: *hdr, Transactions: []*Tx{cb, sp}}
	blkBytes := blk.Bytes()
	if len(blkBytes) != vecBlockSize {
		t.Errorf("block size %d, want %d", len(blkBytes), vecBlockSize)
	}
	wantBlk := append(append(append(cloneBytes(hdrHex), 2, 0, 0, 0), cbHex...), spHex...)
	if !bytes.Equal(blkBytes, wantBlk) {
		t.Error("block encoding is not header || count || txs")
	}
	if dec, err := DecodeBlock(wantBlk); err != nil || dec.BlockHash().String() != vecBlockHash {
		t.Errorf("block decode: %v", err)
	}
}
