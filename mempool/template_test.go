package mempool

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"powchain/chain/chaintest"
	"powchain/wire"
)

func txids(descs []*TxDesc) []wire.Hash {
	ids := make([]wire.Hash, len(descs))
	for i, d := range descs {
		ids[i] = d.TxID
	}
	return ids
}

func txsOf(descs []*TxDesc) []*wire.Tx {
	txs := make([]*wire.Tx, len(descs))
	for i, d := range descs {
		txs[i] = d.Tx
	}
	return txs
}

// TestTemplateChildPaysForParent: a parent at the minimum fee rate with a
// generous child outranks a transaction that pays more than the parent
// alone but less than the pair per byte.
func TestTemplateChildPaysForParent(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	parent := h.spend(200, 2, h.cb(1))            // 1000 per 1000 bytes
	child := h.spend(20_000, 2, h.out(parent, 0)) // the pair: 50500
	medium := h.spend(4000, 2, h.cb(2))           // 20000
	for _, tx := range []*wire.Tx{medium, parent, child} {
		h.accept(tx)
	}
	for _, tc := range []struct {
		maxBytes int
		want     []wire.Hash
	}{
		{400, []wire.Hash{parent.TxID(), child.TxID()}},
		{600, []wire.Hash{parent.TxID(), child.TxID(), medium.TxID()}},
		{399, []wire.Hash{medium.TxID()}}, // the pair does not fit; the parent alone is worth less
		{0, nil},
	} {
		got := txids(h.pool.Template(tc.maxBytes))
		if len(got) != len(tc.want) {
			t.Fatalf("Template(%d) = %v, want %v", tc.maxBytes, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Fatalf("Template(%d) = %v, want %v", tc.maxBytes, got, tc.want)
			}
		}
	}
}

// TestTemplateOrderAndSize: over a random forest of dependent
// transactions, templates list parents before children, respect the size
// limit, and a block built from one connects and empties the pool of what
// it took.
func TestTemplateOrderAndSize(t *testing.T) {
	h := newHarness(t, harnessConfig{blocks: 12})
	rng := rand.New(rand.NewPCG(1, 2))
	var spendable []chaintest.SpendableOut
	for i := 1; i <= 12; i++ {
		spendable = append(spendable, h.cb(i))
	}
	for range 60 {
		k := rng.IntN(len(spendable))
		in := spendable[k]
		spendable = removeAt(spendable, k)
		tx := h.spend(uint64(200+rng.IntN(20_000)), 2, in)
		h.accept(tx)
		spendable = append(spendable, h.out(tx, 0), h.out(tx, 1))
	}
	checkInvariants(t, h.pool)
	for _, maxBytes := range []int{0, 250, 1000, 5000, 1 << 20} {
		tmpl := h.pool.Template(maxBytes)
		seen := make(map[wire.Hash]bool)
		size := 0
		for _, d := range tmpl {
			for _, in := range d.Tx.Inputs {
				if h.pool.Has(in.PrevOut.TxID) && !seen[in.PrevOut.TxID] {
					t.Fatalf("Template(%d): %s before its parent", maxBytes, d.TxID)
				}
			}
			seen[d.TxID] = true
			size += d.Size
		}
		if size > maxBytes || (maxBytes == 1<<20 && len(tmpl) != 60) {
			t.Fatalf("Template(%d): %d txs, %d bytes", maxBytes, len(tmpl), size)
		}
	}

	tmpl := h.pool.Template(5000)
	h.mine(txsOf(tmpl)...) // the generator knows their fees: the coinbase claims them
	for _, d := range tmpl {
		if h.pool.Has(d.TxID) {
			t.Fatalf("%s still in the pool after its block", d.TxID)
		}
	}
	if n := h.pool.Info().Size; n != 60-len(tmpl) {
		t.Fatalf("pool has %d, want %d", n, 60-len(tmpl))
	}
	checkInvariants(t, h.pool)
}

func removeAt(s []chaintest.SpendableOut, i int) []chaintest.SpendableOut {
	s[i] = s[len(s)-1]
	return s[:len(s)-1]
}

// TestSigCache: admission records the txid in the cache the chain uses;
// connecting the block uses it (and the chain then forgets the txid).
func TestSigCache(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	tx := h.spend(1000, 2, h.cb(1))
	h.accept(tx)
	if !h.cache.Contains(tx.TxID()) {
		t.Fatal("admitted tx not in the signature cache")
	}
	h.mine(tx)
	if h.cache.Contains(tx.TxID()) {
		t.Fatal("the chain did not use the cache entry when connecting the block")
	}
	bad := h.spend(1000, 2, h.cb(2))
	bad.Inputs[0].Signature[0] ^= 1
	if _, _, err := h.pool.ProcessTransaction(bad, false, 0); err == nil || h.cache.Contains(bad.TxID()) {
		t.Fatalf("bad signature: %v, cached %v", err, h.cache.Contains(bad.TxID()))
	}
}

// TestSaveLoad: a saved pool comes back revalidated, keeping admission
// times; a transaction that became invalid while saved is dropped with its
// descendants; a missing file is empty; a corrupt one is an error.
func TestSaveLoad(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	a := h.spend(1000, 2, h.cb(1))
	ac := h.spend(1000, 2, h.out(a, 0))
	b := h.spend(1000, 2, h.cb(2))
	bc := h.spend(1000, 2, h.out(b, 0))
	for _, tx := range []*wire.Tx{a, ac, b, bc} {
		h.accept(tx)
	}
	addedA, _ := h.pool.Get(a.TxID())
	path, _ := h.save()

	h.mine(h.spend(3000, 1, h.cb(2))) // b conflicts now
	fresh := h.newPool()
	n, err := fresh.Load(path)
	if err != nil || n != 2 {
		t.Fatalf("Load = %d, %v; want 2", n, err)
	}
	h.pool = fresh
	if got := h.ids(); !got[a.TxID()] || !got[ac.TxID()] || got[b.TxID()] || got[bc.TxID()] {
		t.Fatalf("loaded %v", got)
	}
	if d, _ := fresh.Get(a.TxID()); !d.Added.Equal(addedA.Added) {
		t.Fatalf("admission time %v, saved %v", d.Added, addedA.Added)
	}
	checkInvariants(t, fresh)
	h.checkCacheIsPool(b, bc) // verified when loaded, then refused

	if n, err := fresh.Load(filepath.Join(t.TempDir(), "none")); n != 0 || err != nil {
		t.Fatalf("missing file: %d, %v", n, err)
	}
	if err := os.WriteFile(path, []byte("this is not a mempool"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.Load(path); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("corrupt file: %v", err)
	}
}

// TestLoadDropsBadSignatures: a tampered file does not get invalid
// transactions in.
func TestLoadDropsBadSignatures(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	a := h.spend(1000, 2, h.cb(1))
	b := h.spend(1000, 2, h.cb(2))
	h.accept(a)
	h.accept(b)
	path, data := h.save()
	saved, err := decodeMempoolFile(data)
	if err != nil || len(saved) != 2 {
		t.Fatalf("decode: %d, %v", len(saved), err)
	}
	sig := saved[0].tx.Inputs[0].Signature
	i := strings.Index(string(data), string(sig[:]))
	data[i+3] ^= 1
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := h.newPool().Load(path); n != 1 || err != nil {
		t.Fatalf("Load = %d, %v; want 1", n, err)
	}
}
