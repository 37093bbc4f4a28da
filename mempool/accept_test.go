package mempool

import (
	"testing"

	"powchain/chain/chaintest"
	"powchain/wire"
)

// TestRejectReasons has one case per reject reason, after Bitcoin Core's
// mempool_accept tests: each builds a chain (and pool state), submits the
// offending transaction, and checks the reason, whether it is a consensus
// failure, that TestAccept gives the same verdict, and that the pool is
// unchanged afterwards.
func TestRejectReasons(t *testing.T) {
	tests := []struct {
		name      string
		cfg       harnessConfig
		build     func(h *harness) *wire.Tx
		code      RejectCode
		reason    string
		consensus bool
	}{
		{
			name: "already in pool",
			build: func(h *harness) *wire.Tx {
				tx := h.spend(1000, 2, h.cb(1))
				h.accept(tx)
				return tx
			},
			code: RejectAlreadyInPool, reason: "txn-already-in-mempool",
		},
		{
			name: "already confirmed",
			build: func(h *harness) *wire.Tx {
				tx := h.spend(1000, 2, h.cb(1))
				h.mine(tx)
				return tx
			},
			code: RejectAlreadyKnown, reason: "txn-already-known",
		},
		{
			name: "conflict with a pool transaction",
			build: func(h *harness) *wire.Tx {
				h.accept(h.spend(1000, 2, h.cb(1)))
				return h.spend(5000, 1, h.cb(1))
			},
			code: RejectConflict, reason: "txn-mempool-conflict",
		},
		{
			name:  "missing inputs",
			build: func(h *harness) *wire.Tx { return h.spend(1000, 1, fakeOut(1)) },
			code:  RejectMissingInputs, reason: "bad-txns-inputs-missingorspent",
		},
		{
			name: "input spent in the chain",
			build: func(h *harness) *wire.Tx {
				h.mine(h.spend(1000, 2, h.cb(1)))
				return h.spend(2000, 1, h.cb(1))
			},
			code: RejectMissingInputs, reason: "bad-txns-inputs-missingorspent",
		},
		{
			name: "no outputs",
			build: func(h *harness) *wire.Tx {
				tx := h.spend(1000, 1, h.cb(1))
				tx.Outputs = nil
				h.resign(tx)
				return tx
			},
			code: RejectNoOutputs, reason: "bad-txns-vout-empty", consensus: true,
		},
		{
			name: "no inputs",
			build: func(h *harness) *wire.Tx {
				return &wire.Tx{Version: 1, Outputs: []wire.TxOut{{Amount: 1_000_000, KeyHash: h.g.KeyHash()}}}
			},
			code: RejectNoInputs, reason: "bad-txns-vin-empty", consensus: true,
		},
		{
			name: "oversize",
			cfg:  harnessConfig{policy: func(p *Policy) { p.MaxTxSize = 1000 }},
			build: func(h *harness) *wire.Tx {
				return h.spend(10_000, 40, h.cb(1)) // 12 + 132 + 40*28 = 1264 bytes
			},
			code: RejectTxSize, reason: "tx-size",
		},
		{
			name: "output above MaxMoney",
			build: func(h *harness) *wire.Tx {
				tx := h.spend(1000, 1, h.cb(1))
				tx.Outputs[0].Amount = wire.MaxMoney + 1
				h.resign(tx)
				return tx
			},
			code: RejectBadAmount, reason: "bad-txns-vout-toolarge", consensus: true,
		},
		{
			name: "outputs sum above MaxMoney",
			build: func(h *harness) *wire.Tx {
				tx := h.spend(1000, 2, h.cb(1))
				tx.Outputs[0].Amount, tx.Outputs[1].Amount = wire.MaxMoney, wire.MaxMoney
				h.resign(tx)
				return tx
			},
			code: RejectBadAmount, reason: "bad-txns-vout-toolarge", consensus: true,
		},
		{
			name:  "duplicate inputs",
			build: func(h *harness) *wire.Tx { return h.spend(1000, 1, h.cb(1), h.cb(1)) },
			code:  RejectDuplicateInputs, reason: "bad-txns-inputs-duplicate", consensus: true,
		},
		{
			name: "coinbase",
			build: func(h *harness) *wire.Tx {
				return wire.NewCoinbaseTx(wire.CoinbaseData{Height: 9}, []wire.TxOut{{Amount: 1_000_000, KeyHash: h.g.KeyHash()}})
			},
			code: RejectCoinbase, reason: "coinbase", consensus: true,
		},
		{
			name: "null outpoint",
			build: func(h *harness) *wire.Tx {
				tx := h.spend(1000, 1, h.cb(1))
				tx.Inputs = append(tx.Inputs, wire.TxIn{PrevOut: wire.NullOutPoint})
				h.resign(tx)
				return tx
			},
			code: RejectNullOutPoint, reason: "bad-txns-nulloutpoint", consensus: true,
		},
		{
			name: "dust",
			build: func(h *harness) *wire.Tx {
				tx := h.spend(1000, 2, h.cb(1))
				tx.Outputs[0].Amount += tx.Outputs[1].Amount - 479
				tx.Outputs[1].Amount = 479 // 479 * 1000 < 3 * 1000 * 160
				h.resign(tx)
				return tx
			},
			code: RejectDust, reason: "dust",
		},
		{
			name:  "immature coinbase spend",
			cfg:   harnessConfig{maturity: 3},
			build: func(h *harness) *wire.Tx { return h.spend(1000, 1, h.cb(4)) }, // height 4, next block 6
			code:  RejectPrematureSpend, reason: "bad-txns-premature-spend-of-coinbase",
		},
		{
			name:  "no fee",
			build: func(h *harness) *wire.Tx { return h.spend(0, 2, h.cb(1)) },
			code:  RejectMinRelayFee, reason: "min relay fee not met",
		},
		{
			name:  "fee a unit below the minimum",
			build: func(h *harness) *wire.Tx { return h.spend(199, 2, h.cb(1)) }, // 200 bytes need 200
			code:  RejectMinRelayFee, reason: "min relay fee not met",
		},
		{
			name: "key hash mismatch",
			build: func(h *harness) *wire.Tx {
				tx := h.spend(1000, 1, h.cb(1))
				h.g.Sign(tx, chaintest.Key(7))
				return tx
			},
			code: RejectKeyHashMismatch, reason: "bad-txns-keyhash-mismatch", consensus: true,
		},
		{
			name: "bad signature",
			build: func(h *harness) *wire.Tx {
				tx := h.spend(1000, 1, h.cb(1))
				tx.Inputs[0].Signature[5] ^= 1
				return tx
			},
			code: RejectBadSignature, reason: "bad-signature", consensus: true,
		},
		{
			name: "inputs below outputs",
			build: func(h *harness) *wire.Tx {
				tx := h.spend(0, 1, h.cb(1))
				tx.Outputs[0].Amount++
				h.resign(tx)
				return tx
			},
			code: RejectInBelowOut, reason: "bad-txns-in-belowout", consensus: true,
		},
		{
			name: "mempool full",
			cfg:  harnessConfig{policy: func(p *Policy) { p.MaxPoolBytes = 400 }},
			build: func(h *harness) *wire.Tx {
				h.accept(h.spend(10_000, 2, h.cb(1)))
				h.accept(h.spend(10_000, 2, h.cb(2)))
				return h.spend(9_000, 2, h.cb(3))
			},
			code: RejectMempoolFull, reason: "mempool full",
		},
		{
			name: "below the floor raised by an eviction",
			cfg:  harnessConfig{policy: func(p *Policy) { p.MaxPoolBytes = 400 }},
			build: func(h *harness) *wire.Tx {
				h.accept(h.spend(1000, 2, h.cb(1))) // 5000 per 1000 bytes: evicted next
				h.accept(h.spend(5000, 2, h.cb(2)))
				h.accept(h.spend(10_000, 2, h.cb(3)))
				if got := h.pool.Info().MinFeeRate; got != 6000 {
					h.t.Fatalf("floor after eviction %d, want 5000 + 1000", got)
				}
				return h.spend(1100, 2, h.cb(4))
			},
			code: RejectMempoolMinFee, reason: "mempool min fee not met",
		},
		{
			name: "too long a chain",
			cfg:  harnessConfig{policy: func(p *Policy) { p.MaxAncestors = 2 }},
			build: func(h *harness) *wire.Tx {
				a := h.spend(1000, 2, h.cb(1))
				b := h.spend(1000, 2, h.out(a, 0))
				h.accept(a)
				h.accept(b)
				return h.spend(1000, 2, h.out(b, 0))
			},
			code: RejectTooLongChain, reason: "too-long-mempool-chain",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.cfg)
			tx := tc.build(h)
			before := snap(h.pool)

			_, terr := h.pool.TestAccept(tx)
			acc, missing, err := h.pool.ProcessTransaction(tx, false, 0)
			if acc != nil || missing != nil {
				t.Fatalf("accepted %d, missing %v", len(acc), missing)
			}
			re := rejectCode(t, err)
			if re.Code != tc.code || re.Reason != tc.reason || re.Consensus() != tc.consensus {
				t.Fatalf("got %v (code %d, consensus %v), want %q (code %d, consensus %v)",
					err, re.Code, re.Consensus(), tc.reason, tc.code, tc.consensus)
			}
			if tre := rejectCode(t, terr); tre.Code != re.Code {
				t.Fatalf("TestAccept says %v, ProcessTransaction %v", terr, err)
			}
			if after := snap(h.pool); !after.equal(before) {
				t.Fatalf("pool changed:\nbefore %+v\nafter  %+v", before, after)
			}
			checkInvariants(t, h.pool)
		})
	}
}

// TestMinimumFeeBoundary: exactly the minimum fee rate is enough.
func TestMinimumFeeBoundary(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	tx := h.spend(200, 2, h.cb(1)) // 200 bytes at 1000 per 1000 bytes
	if tx.SerializeSize() != 200 {
		t.Fatalf("size %d", tx.SerializeSize())
	}
	if d := h.accept(tx); d.Fee != 200 || d.Size != 200 {
		t.Fatalf("desc %+v", d)
	}
}

// TestUnconfirmedChains: transactions may spend pool outputs; family
// statistics, FetchUtxo, Spender and TestAccept see the pool.
func TestUnconfirmedChains(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	a := h.spend(1000, 2, h.cb(1))
	b := h.spend(2000, 2, h.out(a, 0))
	c := h.spend(3000, 2, h.out(b, 0), h.out(a, 1))
	for _, tx := range []*wire.Tx{a, b, c} {
		h.accept(tx)
	}
	checkInvariants(t, h.pool)

	ai, _ := h.pool.EntryInfo(a.TxID())
	ci, _ := h.pool.EntryInfo(c.TxID())
	if ai.DescendantCount != 3 || ai.DescendantFees != 6000 || ai.AncestorCount != 1 || len(ai.SpentBy) != 2 || len(ai.Depends) != 0 {
		t.Errorf("a: %+v", ai)
	}
	if ci.AncestorCount != 3 || ci.AncestorSize != a.SerializeSize()+b.SerializeSize()+c.SerializeSize() ||
		ci.AncestorFees != 6000 || len(ci.Depends) != 2 || ci.DescendantCount != 1 {
		t.Errorf("c: %+v", ci)
	}

	if e, err := h.pool.FetchUtxo(h.out(a, 0).OutPoint); err != nil || e != nil {
		t.Errorf("a:0 is spent by b, FetchUtxo = %+v, %v", e, err)
	}
	tip := h.c.Tip().Height
	if e, err := h.pool.FetchUtxo(h.out(c, 1).OutPoint); err != nil || e == nil || e.Height != tip+1 || e.Coinbase ||
		e.Amount != c.Outputs[1].Amount {
		t.Errorf("c:1 = %+v, %v", e, err)
	}
	if e, err := h.pool.FetchUtxo(h.cb(2).OutPoint); err != nil || e == nil || !e.Coinbase {
		t.Errorf("confirmed coinbase output = %+v, %v", e, err)
	}
	if e, _ := h.pool.FetchUtxo(h.cb(1).OutPoint); e != nil {
		t.Errorf("cb1 is spent by a pool tx, FetchUtxo = %+v", e)
	}
	if id, ok := h.pool.Spender(h.out(a, 1).OutPoint); !ok || id != c.TxID() {
		t.Errorf("spender of a:1 = %s, %v", id, ok)
	}

	d := h.spend(4000, 1, h.out(c, 0))
	before := snap(h.pool)
	if fee, err := h.pool.TestAccept(d); err != nil || fee != 4000 {
		t.Fatalf("TestAccept = %d, %v", fee, err)
	}
	if !snap(h.pool).equal(before) || h.cache.Contains(d.TxID()) {
		t.Fatal("TestAccept changed the pool or the signature cache")
	}
	h.accept(d)
	checkInvariants(t, h.pool)
}
