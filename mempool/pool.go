package mempool

import (
	"bytes"
	"cmp"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"powchain/chain"
	"powchain/wire"
)

// Config configures a Pool.
type Config struct {
	// Chain is the validated chain whose UTXO set transactions spend
	// (required).
	Chain *chain.Chain
	// Clock tells the time for expiry and the decay of the fee floor
	// (required: the pool never reads the wall clock).
	Clock chain.Clock
	// SigCache, if set, holds the txid of every pool transaction (its
	// signatures verified), added when it enters the pool and removed when
	// it leaves, so connecting its block does not verify them again and
	// the cache keeps no transaction the pool dropped (a shared cache,
	// chain.NewSharedSigCache, keeps them until its bound evicts them).
	// Give the chain the same cache, with room for Policy.MaxTxs entries
	// besides the chain's (chain.SigCacheSize).
	SigCache *chain.SigCache
	// Policy is the admission policy; zero limits take their defaults (see
	// Policy).
	Policy Policy
}

// TxDesc describes a pool transaction. It is shared and must not be
// modified.
type TxDesc struct {
	Tx     *wire.Tx
	TxID   wire.Hash
	Fee    uint64    // inputs minus outputs, base units
	Size   int       // canonical encoding, bytes
	Added  time.Time // when it entered the pool
	Height uint64    // tip height when it entered
}

// EntryInfo describes a pool transaction with its in-pool family, as
// getmempoolentry reports it. Counts, sizes and fees of ancestors and
// descendants include the transaction itself.
type EntryInfo struct {
	TxDesc
	AncestorCount   int
	AncestorSize    int
	AncestorFees    uint64
	DescendantCount int
	DescendantSize  int
	DescendantFees  uint64
	Depends         []wire.Hash // in-pool parents, sorted
	SpentBy         []wire.Hash // in-pool children, sorted
	Unbroadcast     bool        // in the unbroadcast set (SetUnbroadcast)
}

// Info summarises the pool (getmempoolinfo).
type Info struct {
	Size       int    // transactions
	Bytes      int    // their total size
	MaxBytes   int    // Policy.MaxPoolBytes
	MinFeeRate uint64 // lowest fee rate admitted now, base units per 1000 bytes
	Orphans    int    // transactions waiting for parents
	// Unbroadcast counts the unbroadcast set (SetUnbroadcast).
	Unbroadcast int
}

// Pool is the memory pool. See the package documentation for its
// invariants and lock contract.
type Pool struct {
	chain    *chain.Chain
	params   *chain.Params
	clock    chain.Clock
	sigCache *chain.SigCache
	policy   Policy

	// gen counts chain notifications handled. It changes only under mu
	// (written) but is read without it, so that chain reads made outside
	// mu can be checked for staleness once mu is taken.
	gen atomic.Uint64
	// reorgPending: blocks were disconnected and the pool has not been
	// revalidated yet (see settle). Changes only under mu.
	reorgPending atomic.Bool

	mu      sync.RWMutex
	entries map[wire.Hash]*entry
	spent   map[wire.OutPoint]*entry // outpoint -> the pool tx spending it
	bytes   int
	nextSeq uint64
	// removed counts the entries that ever left the pool (recheck relies
	// on it to know that none did).
	removed    uint64
	evict      evictHeap
	nextExpiry time.Time // no entry expires before it (zero: no entries)
	rollingFee uint64    // raised fee floor after evictions, as of rollingAt
	rollingAt  time.Time
	// disconnected holds the non-coinbase transactions of disconnected
	// blocks, one slice per block in notification order (newest first),
	// until the pool is revalidated.
	disconnected [][]*wire.Tx
	orphans      orphanPool
	// minedParents: txids of transactions that connected blocks mined
	// while orphans waited for them, oldest first, at most MaxOrphans;
	// AdmitMinedOrphans admits those orphans and empties it.
	minedParents []wire.Hash

	// changesMu guards changes; it is taken under mu or alone, never
	// the other way round.
	changesMu sync.Mutex
	changes   changes

	// unbroadcastMu guards unbroadcast: the pool transactions submitted
	// to the node that no peer has asked for yet (relay.go), a subset of
	// entries whenever mu is not held. It is taken under mu or alone,
	// never the other way round.
	unbroadcastMu sync.Mutex
	unbroadcast   map[wire.Hash]struct{}
}

// entry is a pool transaction with its links to in-pool parents and
// children and the statistics of its ancestor and descendant packages
// (each including the entry), kept up to date on every insert and removal.
type entry struct {
	desc     *TxDesc
	seq      uint64 // admission order: parents always have lower seq than children
	parents  map[*entry]struct{}
	children map[*entry]struct{}

	ancCount, ancSize   int
	ancFee              uint64
	descCount, descSize int
	descFee             uint64

	evictIdx int // position in Pool.evict
	// cached: the pool put the txid in the SigCache (cacheSigs), so
	// removeEntry takes it out; an entry that left before it was cached
	// (a newcomer the trim evicted at once) leaves the cache alone.
	cached bool
}

// New returns an empty pool on cfg.Chain, or an error if the configuration
// lacks the Chain or the Clock.
func New(cfg Config) (*Pool, error) {
	if cfg.Chain == nil || cfg.Clock == nil {
		return nil, errors.New("mempool: Config needs Chain and Clock")
	}
	p := &Pool{
		chain:       cfg.Chain,
		params:      cfg.Chain.Params(),
		clock:       cfg.Clock,
		sigCache:    cfg.SigCache,
		policy:      cfg.Policy.withDefaults(),
		entries:     make(map[wire.Hash]*entry),
		spent:       make(map[wire.OutPoint]*entry),
		unbroadcast: make(map[wire.Hash]struct{}),
	}
	p.orphans.init()
	return p, nil
}

// rlock takes mu for reading once a pending revalidation after a reorg has
// run, so that readers never see the pool between a block disconnection
// and its revalidation. If revalidation fails (the chain's storage failed),
// readers see the pool as it was and the next admission reports the error.
func (p *Pool) rlock() {
	_ = p.settle() // on failure, see above
	p.mu.RLock()
}

// Has reports whether txid is in the pool (orphans are not).
func (p *Pool) Has(txid wire.Hash) bool {
	p.rlock()
	defer p.mu.RUnlock()
	_, ok := p.entries[txid]
	return ok
}

// IsOrphan reports whether txid waits in the orphan pool.
func (p *Pool) IsOrphan(txid wire.Hash) bool {
	p.rlock()
	defer p.mu.RUnlock()
	_, ok := p.orphans.byID[txid]
	return ok
}

// Get returns the pool transaction txid.
func (p *Pool) Get(txid wire.Hash) (*TxDesc, bool) {
	p.rlock()
	defer p.mu.RUnlock()
	if e, ok := p.entries[txid]; ok {
		return e.desc, true
	}
	return nil, false
}

// Entries returns every pool transaction, in no particular order.
func (p *Pool) Entries() []*TxDesc {
	p.rlock()
	defer p.mu.RUnlock()
	out := make([]*TxDesc, 0, len(p.entries))
	for _, e := range p.entries {
		out = append(out, e.desc)
	}
	return out
}

// EntryInfo describes the pool transaction txid with its family.
func (p *Pool) EntryInfo(txid wire.Hash) (EntryInfo, bool) {
	p.rlock()
	defer p.mu.RUnlock()
	e, ok := p.entries[txid]
	if !ok {
		return EntryInfo{}, false
	}
	p.unbroadcastMu.Lock()
	_, unbroadcast := p.unbroadcast[txid]
	p.unbroadcastMu.Unlock()
	return EntryInfo{
		TxDesc:          *e.desc,
		AncestorCount:   e.ancCount,
		AncestorSize:    e.ancSize,
		AncestorFees:    e.ancFee,
		DescendantCount: e.descCount,
		DescendantSize:  e.descSize,
		DescendantFees:  e.descFee,
		Depends:         sortedIDs(e.parents),
		SpentBy:         sortedIDs(e.children),
		Unbroadcast:     unbroadcast,
	}, true
}

func sortedIDs(set map[*entry]struct{}) []wire.Hash {
	ids := make([]wire.Hash, 0, len(set))
	for e := range set {
		ids = append(ids, e.desc.TxID)
	}
	slices.SortFunc(ids, func(a, b wire.Hash) int { return bytes.Compare(a[:], b[:]) })
	return ids
}

// Info summarises the pool.
func (p *Pool) Info() Info {
	now := p.clock.Now()
	p.rlock()
	defer p.mu.RUnlock()
	p.unbroadcastMu.Lock()
	unbroadcast := len(p.unbroadcast)
	p.unbroadcastMu.Unlock()
	return Info{
		Size:        len(p.entries),
		Bytes:       p.bytes,
		MaxBytes:    p.policy.MaxPoolBytes,
		MinFeeRate:  max(p.policy.MinRelayFeeRate, p.floorRate(now)),
		Orphans:     len(p.orphans.byID),
		Unbroadcast: unbroadcast,
	}
}

// floorRate is the raised minimum fee rate after evictions, decayed to
// now (zero when there is none); caller holds mu.
func (p *Pool) floorRate(now time.Time) uint64 {
	return decayRate(p.rollingFee, p.rollingAt, now, p.policy.MinRelayFeeRate)
}

// Spender returns the pool transaction that spends op, if any.
func (p *Pool) Spender(op wire.OutPoint) (wire.Hash, bool) {
	p.rlock()
	defer p.mu.RUnlock()
	if e, ok := p.spent[op]; ok {
		return e.desc.TxID, true
	}
	return wire.Hash{}, false
}

// FetchUtxo returns the output at op as a new transaction may spend it:
// the chain's UTXO set plus the outputs of pool transactions (Height = tip
// height + 1, Coinbase = false), minus the outputs pool transactions spend.
// It returns nil if op is missing or spent.
func (p *Pool) FetchUtxo(op wire.OutPoint) (*chain.UtxoEntry, error) {
	for {
		if err := p.settle(); err != nil {
			return nil, err
		}
		cv, err := p.readChain([]wire.OutPoint{op})
		if err != nil {
			return nil, err
		}
		p.mu.RLock()
		if p.stale(cv) {
			p.mu.RUnlock()
			continue
		}
		e, _ := poolView{p, cv}.FetchUtxo(op) // never fails
		p.mu.RUnlock()
		return e, nil
	}
}

// sortedEntries returns the pool's entries in admission order, parents
// before children; caller holds mu.
func (p *Pool) sortedEntries() []*entry {
	out := make([]*entry, 0, len(p.entries))
	for _, e := range p.entries {
		out = append(out, e)
	}
	slices.SortFunc(out, compareSeq)
	return out
}

func compareSeq(a, b *entry) int { return cmp.Compare(a.seq, b.seq) }

// resetEntries empties the pool (not the orphans), leaving the SigCache
// and the unbroadcast set as they are (rebuild forgets what it does not
// readmit); caller holds mu.
func (p *Pool) resetEntries() {
	if len(p.entries) > 0 {
		p.changed()
	}
	p.removed += uint64(len(p.entries))
	clear(p.entries)
	clear(p.spent)
	p.bytes = 0
	p.evict = p.evict[:0]
	p.nextExpiry = time.Time{}
}
