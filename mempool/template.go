package mempool

import (
	"container/heap"
	"slices"

	"powchain/wire"
)

// Template selects pool transactions for a block whose transactions
// (besides the coinbase) may take maxBytes. It picks by ancestor fee rate,
// as Bitcoin Core does: the best package (a transaction with its ancestors
// not yet selected) goes first, so a child paying a high fee pulls in its
// low-fee parent (child pays for parent). Once a package is in, its
// descendants are re-ranked without it. A package that does not fit is
// skipped and smaller ones may still fill the space. Parents always come
// before children; the total size is at most maxBytes.
func (p *Pool) Template(maxBytes int) []*TxDesc {
	p.rlock()
	defer p.mu.RUnlock()
	s := &selection{
		stats:  make(map[*entry]pkgStats, len(p.entries)),
		chosen: make(map[*entry]bool),
		queue:  make(pkgQueue, 0, len(p.entries)),
	}
	for _, e := range p.entries {
		st := pkgStats{fee: e.ancFee, size: e.ancSize}
		s.stats[e] = st
		s.queue = append(s.queue, pkgItem{e, st})
	}
	heap.Init(&s.queue)
	return s.run(maxBytes)
}

// pkgStats is the fee and size of a transaction's package still to select.
type pkgStats struct {
	fee  uint64
	size int
}

// selection is one run of template selection over a locked pool.
type selection struct {
	stats  map[*entry]pkgStats // current package of every unselected entry
	chosen map[*entry]bool     // closed under ancestors
	queue  pkgQueue            // may hold outdated items: checked against stats
}

func (s *selection) run(maxBytes int) []*TxDesc {
	var out []*TxDesc
	left := maxBytes
	for s.queue.Len() > 0 && left >= wire.MinTxSize {
		it := heap.Pop(&s.queue).(pkgItem)
		if s.chosen[it.e] || s.stats[it.e] != it.stats || it.stats.size > left {
			continue
		}
		pkg := s.unchosenAncestors(it.e)
		for _, x := range pkg {
			s.chosen[x] = true
			out = append(out, x.desc)
			left -= x.desc.Size
		}
		s.rerank(pkg)
	}
	return out
}

// unchosenAncestors returns e and its ancestors not yet chosen, parents
// first.
func (s *selection) unchosenAncestors(e *entry) []*entry {
	pkg := slices.DeleteFunc(walk([]*entry{e}, parentLinks), func(x *entry) bool { return s.chosen[x] })
	slices.SortFunc(pkg, compareSeq)
	return pkg
}

// rerank takes the newly chosen pkg out of its descendants' packages and
// queues them again with their new fee rates.
func (s *selection) rerank(pkg []*entry) {
	touched := make(map[*entry]struct{})
	for _, x := range pkg {
		for _, d := range x.descendants() {
			if s.chosen[d] {
				continue
			}
			st := s.stats[d]
			st.fee -= x.desc.Fee
			st.size -= x.desc.Size
			s.stats[d] = st
			touched[d] = struct{}{}
		}
	}
	for d := range touched {
		heap.Push(&s.queue, pkgItem{d, s.stats[d]})
	}
}

type pkgItem struct {
	e     *entry
	stats pkgStats
}

// pkgQueue is a max-heap by package fee rate; older entries first among
// equals, so templates are deterministic.
type pkgQueue []pkgItem

func (q pkgQueue) Len() int { return len(q) }

func (q pkgQueue) Less(i, j int) bool {
	a, b := q[i], q[j]
	switch {
	case rateLess(b.stats.fee, b.stats.size, a.stats.fee, a.stats.size):
		return true
	case rateLess(a.stats.fee, a.stats.size, b.stats.fee, b.stats.size):
		return false
	}
	return a.e.seq < b.e.seq
}

func (q pkgQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *pkgQueue) Push(x any)   { *q = append(*q, x.(pkgItem)) }

func (q *pkgQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}
