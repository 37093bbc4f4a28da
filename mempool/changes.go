package mempool

// changes counts the changes of the pool's transaction set and wakes those
// waiting for the next one (a miner's long-polling getblocktemplate). Its
// own lock, taken after Pool.mu (never the other way), lets waiters read
// it without touching the pool lock.
type changes struct {
	seq uint64
	// next is closed at the next change; nil until someone asks for it, so
	// admissions nobody waits on allocate nothing.
	next chan struct{}
}

// Changes returns a number that grows with every change of the pool's
// transactions (an entry added or removed, for whatever reason: admission,
// a block, a reorg, eviction, expiry) and a channel that is closed at the
// first change after that number. Comparing two numbers tells whether the
// pool changed in between; waiting on the channel waits for the next
// change without holding any lock. Safe for concurrent use.
func (p *Pool) Changes() (seq uint64, changed <-chan struct{}) {
	p.changesMu.Lock()
	defer p.changesMu.Unlock()
	if p.changes.next == nil {
		p.changes.next = make(chan struct{})
	}
	return p.changes.seq, p.changes.next
}

// changed records a change of the pool's transactions; caller holds mu
// for writing.
func (p *Pool) changed() {
	p.changesMu.Lock()
	defer p.changesMu.Unlock()
	p.changes.seq++
	if p.changes.next != nil {
		close(p.changes.next)
		p.changes.next = nil
	}
}
