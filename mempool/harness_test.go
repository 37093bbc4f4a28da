package mempool

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// genesisTime is when test chains start; the clock starts a day later so
// generated block timestamps are never in the future.
var genesisTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// harness is a real chain in a temporary directory, built by a
// chaintest.Generator, with a pool subscribed to it.
type harness struct {
	t      testing.TB
	g      *chaintest.Generator
	c      *chain.Chain
	clock  *chaintest.Clock
	cache  *chain.SigCache
	pool   *Pool
	policy Policy
	nBlock int
}

type harnessConfig struct {
	blocks   int    // blocks mined before the pool starts (default 5)
	maturity uint64 // coinbase maturity (default 1)
	policy   func(*Policy)
	sigCache int // the SigCache's bound (default 100,000)
}

func newHarness(t testing.TB, cfg harnessConfig) *harness {
	t.Helper()
	params := chaintest.Params(genesisTime)
	params.CoinbaseMaturity = max(cfg.maturity, 1)
	clock := chaintest.NewClock(genesisTime.Add(24 * time.Hour))
	if cfg.sigCache == 0 {
		cfg.sigCache = 100_000
	}
	cache := chain.NewSigCache(cfg.sigCache)
	c, err := chain.Open(chain.Config{Params: params, Path: t.TempDir(), Clock: clock, SigCache: cache})
	if err != nil {
		t.Fatalf("open chain: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	h := &harness{t: t, g: chaintest.NewGenerator(t, params), c: c, clock: clock, cache: cache}
	if cfg.blocks == 0 {
		cfg.blocks = 5
	}
	for range cfg.blocks {
		h.mine()
	}
	h.policy = DefaultPolicy()
	if cfg.policy != nil {
		cfg.policy(&h.policy)
	}
	h.pool = h.newPool()
	return h
}

// newPool returns a fresh pool on the harness's chain, subscribed to it.
func (h *harness) newPool() *Pool {
	p, err := New(Config{Chain: h.c, Clock: h.clock, SigCache: h.cache, Policy: h.policy})
	if err != nil {
		h.t.Fatal(err)
	}
	h.c.Subscribe(p.HandleChainNotification)
	return p
}

// block builds the next block (named b1, b2, ...) with txs on the
// generator's tip without submitting it.
func (h *harness) block(txs ...*wire.Tx) *wire.Block {
	h.t.Helper()
	h.nBlock++
	return h.g.NextBlock(fmt.Sprintf("b%d", h.nBlock), txs)
}

// mine builds the next block with txs and makes it the tip.
func (h *harness) mine(txs ...*wire.Tx) *wire.Block {
	h.t.Helper()
	b := h.block(txs...)
	h.submit(b)
	return b
}

func (h *harness) submit(b *wire.Block) {
	h.t.Helper()
	res, err := h.c.ProcessBlock(b)
	if err != nil || !res.MainChain {
		h.t.Fatalf("block %s: %+v, %v", b.BlockHash(), res, err)
	}
}

// cb is the coinbase output of block b<i>.
func (h *harness) cb(i int) chaintest.SpendableOut {
	return h.g.CoinbaseOut(fmt.Sprintf("b%d", i))
}

// spend builds a signed tx spending outs, paying fee, in nOut outputs.
func (h *harness) spend(fee uint64, nOut int, outs ...chaintest.SpendableOut) *wire.Tx {
	h.t.Helper()
	return h.g.SpendTx(outs, fee, nOut)
}

func (h *harness) out(tx *wire.Tx, i uint32) chaintest.SpendableOut { return h.g.TxOut(tx, i) }

// resign signs tx again with the generator's key after a change.
func (h *harness) resign(tx *wire.Tx) { h.g.Sign(tx, chaintest.Key(0)) }

// accept submits tx, which must enter the pool alone.
func (h *harness) accept(tx *wire.Tx) *TxDesc {
	h.t.Helper()
	acc, missing, err := h.pool.ProcessTransaction(tx, false, 0)
	if err != nil || len(acc) != 1 || missing != nil {
		h.t.Fatalf("tx %s: accepted %d, missing %v, err %v", tx.TxID(), len(acc), missing, err)
	}
	return acc[0]
}

// rejectCode returns the RejectError of err, failing on anything else.
func rejectCode(t testing.TB, err error) *RejectError {
	t.Helper()
	var re *RejectError
	if !errors.As(err, &re) {
		t.Fatalf("want a *RejectError, got %v", err)
	}
	return re
}

// fakeOut is an output of a transaction nobody has seen.
func fakeOut(i int) chaintest.SpendableOut {
	return chaintest.SpendableOut{
		OutPoint: wire.OutPoint{TxID: wire.DoubleSHA256([]byte(fmt.Sprint("unknown parent ", i)))},
		Amount:   1_000_000,
		Key:      chaintest.Key(0),
	}
}

// snapshot is what "the pool is unchanged" compares.
type snapshot struct {
	Info Info
	IDs  []wire.Hash
}

func snap(p *Pool) snapshot {
	var ids []wire.Hash
	for _, d := range p.Entries() {
		ids = append(ids, d.TxID)
	}
	slices.SortFunc(ids, func(a, b wire.Hash) int { return bytes.Compare(a[:], b[:]) })
	return snapshot{Info: p.Info(), IDs: ids}
}

func (s snapshot) equal(o snapshot) bool {
	return s.Info == o.Info && slices.Equal(s.IDs, o.IDs)
}

// checkCacheIsPool fails unless the SigCache holds exactly the pool's
// transactions (doc.go: the pool adds a txid when its transaction enters
// and removes it when it leaves, whatever the reason; the chain removes a
// block's txids when it connects, and a test that pre-verifies a block
// calls this once the block has connected) and none of gone, which left
// the pool or were refused.
func (h *harness) checkCacheIsPool(gone ...*wire.Tx) {
	h.t.Helper()
	ids := h.ids()
	for id := range ids {
		if !h.cache.Contains(id) {
			h.t.Errorf("pool transaction %s not in the signature cache", id)
		}
	}
	for _, tx := range gone {
		if h.cache.Contains(tx.TxID()) {
			h.t.Errorf("transaction %s left the pool but not the signature cache", tx.TxID())
		}
	}
	if h.cache.Len() != len(ids) {
		h.t.Errorf("signature cache holds %d transactions, the pool %d", h.cache.Len(), len(ids))
	}
}

func (h *harness) ids() map[wire.Hash]bool {
	m := make(map[wire.Hash]bool)
	for _, d := range h.pool.Entries() {
		m[d.TxID] = true
	}
	return m
}

// checkInvariants verifies the invariants of doc.go against the pool's
// internals and the chain: spent index, links, package statistics, the
// eviction heap, byte count and limit, the unbroadcast set within the
// pool, that every input is available, and
// that every entry is in the SigCache (each test gives the pool's entries
// room in it).
func checkInvariants(t testing.TB, p *Pool) {
	t.Helper()
	p.rlock()
	var chainInputs []wire.OutPoint
	nSpent, nBytes := 0, 0
	for txid, e := range p.entries {
		d := e.desc
		if d.TxID != txid || d.Tx.TxID() != txid || d.Size != d.Tx.SerializeSize() {
			t.Errorf("entry %s: bad descriptor", txid)
		}
		if !e.cached {
			t.Errorf("entry %s: in the pool but never put in the signature cache", txid)
		}
		nBytes += d.Size
		for _, in := range d.Tx.Inputs {
			nSpent++
			if p.spent[in.PrevOut] != e {
				t.Errorf("entry %s: spent index does not map %v to it", txid, in.PrevOut)
			}
			if parent, ok := p.entries[in.PrevOut.TxID]; ok {
				if _, linked := e.parents[parent]; !linked || int(in.PrevOut.Index) >= len(parent.desc.Tx.Outputs) {
					t.Errorf("entry %s: parent %s not linked or no such output", txid, parent.desc.TxID)
				}
				if parent.seq >= e.seq {
					t.Errorf("entry %s: parent %s has a later sequence", txid, parent.desc.TxID)
				}
			} else {
				chainInputs = append(chainInputs, in.PrevOut)
			}
		}
		for c := range e.children {
			if _, ok := c.parents[e]; !ok || p.entries[c.desc.TxID] != c {
				t.Errorf("entry %s: child link not symmetric or child gone", txid)
			}
		}
		checkStats(t, e)
		if p.sigCache != nil && !p.sigCache.Contains(txid) {
			t.Errorf("entry %s: not in the signature cache", txid)
		}
		if p.evict[e.evictIdx] != e {
			t.Errorf("entry %s: eviction index wrong", txid)
		}
	}
	if nSpent != len(p.spent) || nBytes != p.bytes || len(p.evict) != len(p.entries) {
		t.Errorf("spent %d/%d, bytes %d/%d, heap %d/%d", len(p.spent), nSpent, p.bytes, nBytes, len(p.evict), len(p.entries))
	}
	if p.bytes > p.policy.MaxPoolBytes {
		t.Errorf("pool holds %d bytes, limit %d", p.bytes, p.policy.MaxPoolBytes)
	}
	p.unbroadcastMu.Lock()
	for txid := range p.unbroadcast {
		if p.entries[txid] == nil {
			t.Errorf("unbroadcast %s is not in the pool", txid)
		}
	}
	p.unbroadcastMu.Unlock()
	p.mu.RUnlock()
	// No pool lock while reading the chain, as in the package itself.
	for _, op := range chainInputs {
		if e, err := p.chain.FetchUtxo(op); err != nil || e == nil {
			t.Errorf("pool spends %v, which the chain does not have (%v)", op, err)
		}
	}
}

func checkStats(t testing.TB, e *entry) {
	t.Helper()
	sum := func(es []*entry) (int, int, uint64) {
		n, size, fee := 1, e.desc.Size, e.desc.Fee
		for _, x := range es {
			n, size, fee = n+1, size+x.desc.Size, fee+x.desc.Fee
		}
		return n, size, fee
	}
	if n, size, fee := sum(e.ancestors()); n != e.ancCount || size != e.ancSize || fee != e.ancFee {
		t.Errorf("entry %s: ancestor stats %d/%d/%d, want %d/%d/%d", e.desc.TxID, e.ancCount, e.ancSize, e.ancFee, n, size, fee)
	}
	if n, size, fee := sum(e.descendants()); n != e.descCount || size != e.descSize || fee != e.descFee {
		t.Errorf("entry %s: descendant stats %d/%d/%d, want %d/%d/%d", e.desc.TxID, e.descCount, e.descSize, e.descFee, n, size, fee)
	}
}
