package mempool

import (
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"

	"powchain/chain/chaintest"
	"powchain/wire"
)

// FuzzAdmission drives a fresh pool over a chain with mature coinbases
// through an arbitrary sequence of admissions: transactions built from
// spendable outputs (coinbases and the outputs of admitted transactions)
// with arbitrary fees, shapes and corruptions, and raw bytes decoded as
// transactions, with and without orphans allowed. After every step an
// admitted transaction is in the pool (or was evicted by a later rule),
// a refusal is a *RejectError with a reason and leaves the transaction out,
// and at the end the pool's invariants hold (checkInvariants).
func FuzzAdmission(f *testing.F) {
	h := newHarness(f, harnessConfig{blocks: 8})
	var coinbases []chaintest.SpendableOut
	for i := 1; i < 8; i++ { // b8's coinbase is not mature
		coinbases = append(coinbases, h.cb(i))
	}
	f.Add([]byte{1, 0, 0, 2, 10, 0, 0, 1, 1, 7, 1, 3, 0})
	f.Add([]byte{1, 0, 0, 200, 10, 1, 0, 1, 1, 0, 7, 200, 10, 0, 0, 1, 1, 0, 8, 200, 10, 0, 6, 3, 1}) // a parent, its child, a bad signature
	f.Add([]byte{0, 40, 1, 0, 0, 0, 1})
	f.Add([]byte{1, 2, 0, 0, 0, 0, 3, 1, 5, 1, 6, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		pool, err := New(Config{Chain: h.c, Clock: h.clock, Policy: h.policy})
		if err != nil {
			t.Fatal(err)
		}
		r := &fuzzReader{data: data}
		spendable := append([]chaintest.SpendableOut(nil), coinbases...)
		for steps := 0; r.more() && steps < 32; steps++ {
			var tx *wire.Tx
			if r.byte()%4 == 0 {
				if tx, err = wire.DecodeTx(r.bytes(int(r.byte()))); err != nil {
					continue
				}
			} else {
				tx = buildFuzzTx(r, spendable, h.g.KeyHash())
			}
			accepted, _, err := pool.ProcessTransaction(tx, r.byte()%2 == 0, 1)
			if err != nil {
				var re *RejectError
				if !errors.As(err, &re) || re.Reason == "" {
					t.Fatalf("refusal is not a RejectError with a reason: %v", err)
				}
				if re.Code != RejectAlreadyInPool && pool.Has(tx.TxID()) {
					t.Fatalf("refused tx %s is in the pool: %v", tx.TxID(), err)
				}
				continue
			}
			for _, d := range accepted {
				for i := range d.Tx.Outputs {
					spendable = append(spendable, chaintest.SpendableOut{
						OutPoint: wire.OutPoint{TxID: d.TxID, Index: uint32(i)}, Amount: d.Tx.Outputs[i].Amount, Key: chaintest.Key(0)})
				}
			}
		}
		checkInvariants(t, pool)
	})
}

// buildFuzzTx builds a signed transaction from spendable outputs as r
// dictates, then perhaps corrupts it.
func buildFuzzTx(r *fuzzReader, spendable []chaintest.SpendableOut, payTo wire.KeyHash) *wire.Tx {
	tx := &wire.Tx{Version: 1}
	var total uint64
	var keys []*btcec.PrivateKey
	for range 1 + int(r.byte()%3) {
		o := spendable[int(r.byte())%len(spendable)]
		tx.Inputs = append(tx.Inputs, wire.TxIn{PrevOut: o.OutPoint})
		keys = append(keys, o.Key)
		total += o.Amount
	}
	fee := min(uint64(r.byte())<<uint(r.byte()%40), total)
	nOut := 1 + int(r.byte()%4)
	for range nOut {
		tx.Outputs = append(tx.Outputs, wire.TxOut{Amount: (total - fee) / uint64(nOut), KeyHash: payTo})
	}
	corruption := r.byte() % 8
	switch corruption {
	case 1:
		tx.Outputs[0].Amount = 0 // dust
	case 2:
		tx.Inputs = append(tx.Inputs, wire.TxIn{PrevOut: wire.OutPoint{Index: uint32(r.byte())}}) // missing input
		keys = append(keys, keys[0])
	case 3:
		tx.Outputs[0].Amount = total + 1 // pays more than it has
	case 4:
		tx.Inputs = append(tx.Inputs, tx.Inputs[0]) // spends an output twice
		keys = append(keys, keys[0])
	case 5:
		tx.Outputs[0].Amount = ^uint64(0) // overflows
	}
	if err := wire.SignInputs(tx, keys); err != nil {
		panic(err)
	}
	if corruption == 6 {
		tx.Inputs[0].Signature[int(r.byte())%len(tx.Inputs[0].Signature)] ^= 1 << (r.byte() % 8)
	}
	return tx
}

// fuzzReader hands out the fuzz input a byte at a time, zeros once spent.
type fuzzReader struct{ data []byte }

func (r *fuzzReader) more() bool { return len(r.data) > 0 }

func (r *fuzzReader) byte() byte {
	if len(r.data) == 0 {
		return 0
	}
	b := r.data[0]
	r.data = r.data[1:]
	return b
}

func (r *fuzzReader) bytes(n int) []byte {
	n = min(n, len(r.data))
	b := r.data[:n]
	r.data = r.data[n:]
	return b
}
