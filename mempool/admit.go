package mempool

import (
	"slices"
	"time"

	"powchain/chain"
	"powchain/wire"
)

// ProcessTransaction admits tx. source identifies the submitter for the
// orphan caps (0 = local RPC or wallet).
//
// When tx's inputs are missing but it passes every check that needs no
// inputs, and allowOrphan is set, tx waits in the bounded orphan pool and
// the txids of its missing parents are returned (the p2p layer asks the
// peer for them) with a nil error; without allowOrphan, missing inputs are
// a RejectError.
//
// accepted lists every transaction that entered the pool: tx, then the
// orphans it unlocked (recursively), parents before children. A
// *RejectError says why tx was refused; any other error is a local
// failure. Safe for concurrent use: signatures are verified without the
// pool lock, so admissions run in parallel.
func (p *Pool) ProcessTransaction(tx *wire.Tx, allowOrphan bool, source uint64) (accepted []*TxDesc, missingParents []wire.Hash, err error) {
	desc, missing, err := p.admitOrOrphan(tx, tx.TxID(), allowOrphan, source)
	if desc == nil {
		return nil, missing, err
	}
	return p.processOrphans(desc), nil, nil
}

// TestAccept returns the verdict ProcessTransaction(tx, false, 0) would
// give, and tx's fee, without changing the pool (testmempoolaccept).
// Transactions admitted concurrently may of course change the verdict.
func (p *Pool) TestAccept(tx *wire.Tx) (fee uint64, err error) {
	txid := tx.TxID()
	if err := p.checkStatic(tx); err != nil {
		return 0, err
	}
	_, c, _, err := p.precheck(tx, txid, admitOpts{})
	if err != nil {
		return 0, err
	}
	if err := p.verifySignatures(tx, txid); err != nil {
		return 0, err
	}
	return c.fee, nil
}

// admitOpts vary admission between its callers.
type admitOpts struct {
	// sigsVerified: the signatures are known to be valid, e.g. verified in
	// bulk by Load.
	sigsVerified bool
	// bypassLimits skips the fee-rate floor and the pool-full check, for
	// transactions coming back from disconnected blocks (as in Bitcoin
	// Core): the pool is trimmed afterwards instead.
	bypassLimits bool
	// added is the entry's admission time (zero: now); Load keeps the
	// saved one, so saving does not reset expiry.
	added time.Time
}

// candidate is a transaction that passed every check but its signatures.
type candidate struct {
	tx        *wire.Tx
	txid      wire.Hash
	size      int
	fee       uint64
	parents   []*entry // distinct in-pool parents
	ancestors []*entry // every in-pool ancestor
	// removed is Pool.removed when the candidate was checked.
	removed uint64
}

// admit runs the admission sequence. Everything but the signatures is
// checked under the read lock against a chain view read before it (no pool
// lock is ever held while calling the chain); the signatures are verified
// with no lock held; then, under the write lock, the verdict is brought up
// to date with the pool as it is now (recheck: concurrent admissions may
// have taken an input, or a parent may have left) and the entry is
// inserted. If a chain notification arrived meanwhile, the chain is read
// again. missing is set when tx's inputs are missing.
func (p *Pool) admit(tx *wire.Tx, txid wire.Hash, opts admitOpts) (desc *TxDesc, missing []wire.Hash, err error) {
	if err := p.checkStatic(tx); err != nil {
		return nil, nil, err
	}
	for {
		cv, c, missing, err := p.precheck(tx, txid, opts)
		if err != nil {
			return nil, missing, err
		}
		if !opts.sigsVerified {
			if err := p.verifySignatures(tx, txid); err != nil {
				return nil, nil, err
			}
			opts.sigsVerified = true
		}
		p.mu.Lock()
		if p.stale(cv) {
			p.mu.Unlock()
			continue
		}
		desc, missing, err = p.acceptLocked(c, cv, opts)
		p.mu.Unlock()
		if missing != nil {
			missing, err = p.explainMissing(tx, txid, missing, err)
		}
		return desc, missing, err
	}
}

// precheck reads the chain for tx's inputs and runs every check but the
// signatures under the read lock. It returns the chain view the verdict
// rests on.
func (p *Pool) precheck(tx *wire.Tx, txid wire.Hash, opts admitOpts) (*chainView, *candidate, []wire.Hash, error) {
	ops := inputsOf(tx)
	for {
		if err := p.settle(); err != nil {
			return nil, nil, nil, err
		}
		cv, err := p.readChain(ops)
		if err != nil {
			return nil, nil, nil, err
		}
		now := p.clock.Now()
		p.mu.RLock()
		if p.stale(cv) {
			p.mu.RUnlock()
			continue
		}
		c, missing, err := p.check(tx, txid, cv, now, opts)
		p.mu.RUnlock()
		if missing != nil {
			missing, err = p.explainMissing(tx, txid, missing, err)
		}
		return cv, c, missing, err
	}
}

// acceptLocked rechecks c, which passed check against cv, against the
// pool as it is now and inserts it, then trims the pool to its size limit
// and, if c stayed, caches its txid.
// Caller holds mu for writing and has checked that cv is not stale.
func (p *Pool) acceptLocked(c *candidate, cv *chainView, opts admitOpts) (*TxDesc, []wire.Hash, error) {
	now := p.clock.Now()
	p.expire(now)
	p.orphans.expire(now)
	c, missing, err := p.recheck(c, cv, now, opts)
	if err != nil {
		return nil, missing, err
	}
	added := opts.added
	if added.IsZero() {
		added = now
	}
	e := p.insert(c, added, cv.height-1)
	if or, ok := p.orphans.byID[c.txid]; ok { // it waited as an orphan but came in directly
		p.orphans.remove(or)
	}
	p.trim(now)
	if p.entries[c.txid] != e {
		return nil, nil, reject(RejectMempoolFull, "evicted at once: the full pool pays better")
	}
	p.cacheSigs(e)
	return e.desc, nil, nil
}

// recheck returns c's verdict against the pool as it is now, where check
// gave it against the pool as it was (the same chain view cv). If no entry
// has left the pool since, only admissions happened in between, and an
// admission can change only these parts of the verdict: tx itself or a
// spender of one of its inputs may have come in (conflict), an ancestor may
// have gained descendants (family limits), and the pool's size and fee
// floor may have moved (fee rate); these are checked again. Everything else
// stands: the inputs, read from cv and from parents that are still in the
// pool, are unchanged unless spent meanwhile, which is a conflict; no
// admission adds an ancestor to an existing entry, so c's ancestors are the
// same. If an entry left, everything is checked again. Caller holds mu for
// writing.
func (p *Pool) recheck(c *candidate, cv *chainView, now time.Time, opts admitOpts) (*candidate, []wire.Hash, error) {
	if c.removed != p.removed {
		return p.check(c.tx, c.txid, cv, now, opts)
	}
	if err := p.checkNotTaken(c.tx, c.txid); err != nil {
		return nil, nil, err
	}
	return c, nil, p.checkLimits(c, now, opts)
}

// checkStatic runs the checks that need nothing but tx: consensus sanity,
// no coinbase, then the stateless policy (size, dust).
func (p *Pool) checkStatic(tx *wire.Tx) error {
	if err := chain.CheckTransactionSanity(tx); err != nil {
		return fromChain(err)
	}
	if tx.IsCoinbase() {
		return reject(RejectCoinbase, "a coinbase is valid only as the first transaction of a block")
	}
	if size := tx.SerializeSize(); size > p.policy.MaxTxSize {
		return reject(RejectTxSize, "%d bytes, limit %d", size, p.policy.MaxTxSize)
	}
	for i := range tx.Outputs {
		if amt := tx.Outputs[i].Amount; p.policy.isDust(amt) {
			return reject(RejectDust, "output %d pays %d, dust at %d per 1000 bytes", i, amt, p.policy.MinRelayFeeRate)
		}
	}
	return nil
}

// check runs the checks against the pool and the UTXO set, cheapest
// first: already in the pool, conflicts, inputs present, the consensus
// input rules (as chain applies them, at the next block's height), the
// family limits and the fee rate. missing lists the parents of missing
// inputs. Caller holds mu (read or write) and cv is not stale.
func (p *Pool) check(tx *wire.Tx, txid wire.Hash, cv *chainView, now time.Time, opts admitOpts) (c *candidate, missing []wire.Hash, err error) {
	if err := p.checkNotTaken(tx, txid); err != nil {
		return nil, nil, err
	}
	view := poolView{p, cv}
	if first, parents := view.missingInputs(tx); first >= 0 {
		op := tx.Inputs[first].PrevOut
		return nil, parents, reject(RejectMissingInputs, "input %d spends %s:%d, which is missing or spent", first, op.TxID, op.Index)
	}
	_, fee, err := chain.CheckTransactionInputs(tx, cv.height, view, p.params)
	if err != nil {
		return nil, nil, fromChain(err)
	}
	c = &candidate{tx: tx, txid: txid, size: tx.SerializeSize(), fee: fee, removed: p.removed}
	p.family(c)
	if err := p.checkLimits(c, now, opts); err != nil {
		return nil, nil, err
	}
	return c, nil, nil
}

// checkNotTaken refuses tx if it is in the pool already or spends an
// output a pool transaction spends; caller holds mu.
func (p *Pool) checkNotTaken(tx *wire.Tx, txid wire.Hash) error {
	if _, ok := p.entries[txid]; ok {
		return reject(RejectAlreadyInPool, "%s", txid)
	}
	for i := range tx.Inputs {
		op := tx.Inputs[i].PrevOut
		if other, ok := p.spent[op]; ok {
			return reject(RejectConflict, "input %d spends %s:%d, which pool transaction %s spends",
				i, op.TxID, op.Index, other.desc.TxID)
		}
	}
	return nil
}

// checkLimits enforces the family limits and, unless opts bypass them, the
// fee rate; caller holds mu.
func (p *Pool) checkLimits(c *candidate, now time.Time, opts admitOpts) error {
	if err := p.checkFamily(c); err != nil {
		return err
	}
	if opts.bypassLimits {
		return nil
	}
	return p.checkFeeRate(c, now)
}

// checkFamily enforces MaxAncestors and MaxDescendants; caller holds mu.
func (p *Pool) checkFamily(c *candidate) error {
	if n := len(c.ancestors) + 1; n > p.policy.MaxAncestors {
		return reject(RejectTooLongChain, "%d in-pool ancestors with itself, limit %d", n, p.policy.MaxAncestors)
	}
	for _, a := range c.ancestors {
		if a.descCount+1 > p.policy.MaxDescendants {
			return reject(RejectTooLongChain, "ancestor %s would have %d descendants with itself, limit %d",
				a.desc.TxID, a.descCount+1, p.policy.MaxDescendants)
		}
	}
	return nil
}

// checkFeeRate enforces the minimum relay fee rate, the raised floor after
// evictions, and, when the pool is full, a better fee rate than the package
// that would be evicted first; caller holds mu.
func (p *Pool) checkFeeRate(c *candidate, now time.Time) error {
	if belowRate(c.fee, c.size, p.policy.MinRelayFeeRate) {
		return reject(RejectMinRelayFee, "fee %d for %d bytes is below %d per 1000 bytes",
			c.fee, c.size, p.policy.MinRelayFeeRate)
	}
	if floor := p.floorRate(now); floor > 0 && belowRate(c.fee, c.size, floor) {
		return reject(RejectMempoolMinFee, "fee %d for %d bytes is below the pool's current minimum of %d per 1000 bytes",
			c.fee, c.size, floor)
	}
	if p.bytes+c.size <= p.policy.MaxPoolBytes {
		return nil
	}
	if c.size > p.policy.MaxPoolBytes || len(p.evict) == 0 ||
		!rateLess(p.evict[0].descFee, p.evict[0].descSize, c.fee, c.size) {
		return reject(RejectMempoolFull, "fee rate %d per 1000 bytes does not beat the cheapest package in the full pool",
			feeRate(c.fee, c.size))
	}
	return nil
}

// verifySignatures checks tx's signatures unless the cache vouches for
// them. No lock is held: this is the expensive part of admission. The
// cache learns tx only if it enters the pool and stays (cacheSigs), so
// that a verified transaction the pool then refuses is not left in it.
func (p *Pool) verifySignatures(tx *wire.Tx, txid wire.Hash) error {
	if p.sigCache != nil && p.sigCache.Contains(txid) {
		return nil
	}
	if err := chain.VerifyTxSignatures(tx); err != nil {
		return fromChain(err)
	}
	return nil
}

// explainMissing tells a transaction that is already confirmed from one
// whose parents are missing: inputs are missing either way, but an output
// of txid still unspent in the chain proves it was mined. Reads the chain;
// no lock is held.
func (p *Pool) explainMissing(tx *wire.Tx, txid wire.Hash, missing []wire.Hash, err error) ([]wire.Hash, error) {
	for i := range tx.Outputs {
		e, ferr := p.chain.FetchUtxo(wire.OutPoint{TxID: txid, Index: uint32(i)})
		if ferr != nil {
			return nil, ferr
		}
		if e != nil {
			return nil, reject(RejectAlreadyKnown, "%s is confirmed", txid)
		}
	}
	return missing, err
}

// chainView is what was read from the chain for a set of outpoints, taken
// without holding mu. It stays valid while gen is unchanged: a change of
// the chain that the pool has not been told of yet is applied by the
// notification that follows, which finds whatever it invalidated.
type chainView struct {
	gen    uint64                             // Pool.gen before the reads
	height uint64                             // height of the next block: tip + 1
	utxos  map[wire.OutPoint]*chain.UtxoEntry // nil: missing or spent in the chain
}

// readChain reads the tip and the chain's entries for ops. An entry newer
// than the tip read first means blocks connected during the reads: read
// again, so that maturity is never judged at a height older than an entry.
func (p *Pool) readChain(ops []wire.OutPoint) (*chainView, error) {
	for {
		cv := &chainView{gen: p.gen.Load(), utxos: make(map[wire.OutPoint]*chain.UtxoEntry, len(ops))}
		tip := p.chain.TipHeight()
		cv.height = tip + 1
		moved := false
		for _, op := range ops {
			if _, done := cv.utxos[op]; done {
				continue
			}
			e, err := p.chain.FetchUtxo(op)
			if err != nil {
				return nil, err
			}
			if moved = e != nil && e.Height > tip; moved {
				break
			}
			cv.utxos[op] = e
		}
		if !moved {
			return cv, nil
		}
	}
}

// stale reports whether cv may be out of date with the pool: a chain
// notification was handled since it was read, or a revalidation is
// pending. Caller holds mu.
func (p *Pool) stale(cv *chainView) bool {
	return p.gen.Load() != cv.gen || p.reorgPending.Load()
}

func inputsOf(txs ...*wire.Tx) []wire.OutPoint {
	var ops []wire.OutPoint
	for _, tx := range txs {
		for i := range tx.Inputs {
			ops = append(ops, tx.Inputs[i].PrevOut)
		}
	}
	return ops
}

// poolView is the UTXO set a new transaction spends from: the outputs of
// pool transactions over the chain view, minus what pool transactions
// spend. Caller holds mu.
type poolView struct {
	p  *Pool
	cv *chainView
}

// FetchUtxo implements chain.UtxoSource. Pool outputs are at the next
// block's height and never coinbase outputs.
func (v poolView) FetchUtxo(op wire.OutPoint) (*chain.UtxoEntry, error) {
	if _, spent := v.p.spent[op]; spent {
		return nil, nil
	}
	if e, ok := v.p.entries[op.TxID]; ok {
		outs := e.desc.Tx.Outputs
		if uint64(op.Index) >= uint64(len(outs)) {
			return nil, nil
		}
		out := &outs[op.Index]
		return &chain.UtxoEntry{Amount: out.Amount, KeyHash: out.KeyHash, Height: v.cv.height}, nil
	}
	return v.cv.utxos[op], nil
}

// missingInputs returns the index of the first input of tx that is
// missing or spent (-1 if none) and the distinct txids of such inputs that
// are not pool transactions: the parents the node may not have seen yet.
// (An input naming an output a pool transaction does not have can never
// be satisfied, so it names no parent to wait for.)
func (v poolView) missingInputs(tx *wire.Tx) (first int, parents []wire.Hash) {
	first = -1
	for i := range tx.Inputs {
		op := tx.Inputs[i].PrevOut
		if e, _ := v.FetchUtxo(op); e != nil {
			continue
		}
		if first < 0 {
			first = i
		}
		if _, inPool := v.p.entries[op.TxID]; !inPool && !slices.Contains(parents, op.TxID) {
			parents = append(parents, op.TxID)
		}
	}
	return first, parents
}
