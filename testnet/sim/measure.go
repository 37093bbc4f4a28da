package sim

import (
	"cmp"
	"container/heap"
	"math"
	"slices"
	"time"

	"powchain/p2p"
	"powchain/wire"
)

// blockRecord is what the Sim measures of one mined block: when each node
// first had it (received it whole and handed it to its chain; for the
// miner, when it was mined) and the floor, the earliest each node could
// have had it.
type blockRecord struct {
	hash    wire.Hash
	parent  *blockRecord // nil if the parent was not mined in the Sim (genesis)
	miner   int
	mined   time.Time
	arrival []time.Time     // zero: not yet
	via     []*sendTimes    // the message that completed the block at each node
	floor   []time.Duration // -1: unreachable from the miner when it was mined
	ideal   []time.Duration // under an ideal push protocol (idealPush); -1 as floor
	txs     int             // real and virtual transactions
	// cutFloor and cutIdeal are floor and ideal with cut-through
	// forwarding: the compact form crosses each hop as pieces of
	// pieceSize bytes (network.pieces), each forwarded once it is in;
	// cutJitter is cutIdeal with the jitter's mean added to every link.
	cutFloor, cutIdeal, cutJitter []time.Duration
	// had is when each node had the block and each of its ancestors
	// (zero: not yet), filled by settleHad once the run is over.
	had []time.Time
}

// settleHad fills every record's had: a node has a block once it holds
// the block and all its ancestors, the earliest it can connect it and
// mine on it. A node on the losing side of a fork may receive a block
// before its parent; until the parent is in, the block is of no use to it.
// Records are in mining order, so a parent's had is filled before its
// children's.
func (l *blockLog) settleHad() {
	for _, r := range l.order {
		r.had = slices.Clone(r.arrival)
		if r.parent == nil {
			continue
		}
		for i, at := range r.had {
			if p := r.parent.had[i]; !at.IsZero() && (p.IsZero() || p.After(at)) {
				r.had[i] = p
			}
		}
	}
}

// blockLog holds the records of every block mined in the Sim.
type blockLog struct {
	byHash map[wire.Hash]*blockRecord
	order  []*blockRecord
}

func newBlockLog() blockLog { return blockLog{byHash: make(map[wire.Hash]*blockRecord)} }

// arrived records that node has the block hash at t, through the message
// via (nil if it came otherwise), if it is the first time and the block
// was mined in the Sim.
func (l *blockLog) arrived(hash wire.Hash, node int, t time.Time, via *sendTimes) {
	if r := l.byHash[hash]; r != nil && r.arrival[node].IsZero() {
		r.arrival[node] = t
		r.via[node] = via
	}
}

// recordMined starts the record of a block node i just mined.
func (s *Sim) recordMined(blk *wire.Block, hash wire.Hash, i int) {
	r := &blockRecord{
		hash: hash, parent: s.blocks.byHash[blk.Header.PrevBlock], miner: i, mined: s.now,
		arrival: make([]time.Time, len(s.nodes)), via: make([]*sendTimes, len(s.nodes)),
		txs: len(blk.Transactions) + s.virtual[hash],
	}
	r.arrival[i] = s.now
	links, size := s.openLinks(), s.compactSize(blk, hash)
	whole, pieces := []time.Duration{s.net.serialization(size)}, s.net.pieces(size)
	r.floor = floor(links, s.net.baseLatency, whole, i)
	r.ideal = idealPush(links, s.net.baseLatency, whole, i)
	r.cutFloor = floor(links, s.net.baseLatency, pieces, i)
	r.cutIdeal = idealPush(links, s.net.baseLatency, pieces, i)
	r.cutJitter = idealPush(links, s.net.meanLatency, pieces, i)
	s.blocks.byHash[hash] = r
	s.blocks.order = append(s.blocks.order, r)
}

// compactSize is the size of blk's compact form as the upload link counts
// it: the frame of its compact block with the coinbase prefilled and a
// short id for every other real transaction (BIP 152's minimum), plus a
// short id per virtual one.
func (s *Sim) compactSize(blk *wire.Block, hash wire.Hash) int {
	m := &p2p.MsgCmpctBlock{
		Header:    blk.Header,
		ShortIDs:  make([]uint64, len(blk.Transactions)-1),
		Prefilled: []p2p.PrefilledTx{{Index: 0, Tx: blk.Transactions[0]}},
	}
	frame, err := p2p.EncodeFrame(s.params.Magic, m)
	if err != nil {
		s.fail(-1, "encode the compact form of %s: %v", hash, err)
	}
	return len(frame) + s.virtualBytes(m)
}

// openLinks lists, for every node, the nodes it can send to now: the other
// ends of its open connections across no partition, in node order (conns
// is a map; the order makes the searches below deterministic).
func (s *Sim) openLinks() [][]int {
	links := make([][]int, len(s.nodes))
	for u, n := range s.nodes {
		for _, end := range n.conns {
			if v := end.remote.node; end.open && end.remote.open && s.net.reachable(u, v) {
				links[u] = append(links[u], v)
			}
		}
		slices.Sort(links[u])
	}
	return links
}

// floor computes, for every node, the earliest it could have a block that
// node src mines now if its compact form crossed every hop in pieces (the
// serialization of each at the sender's upload rate), over links, each
// hop taking the link's base latency: a node can start forwarding once the
// first piece is in, and the last piece is in no sooner than the whole
// form's serialization after the first one began. Cut into one piece it
// is store-and-forward, one serialization per hop: the floor of the
// reports. Cut finer it is the limit of cut-through forwarding in which
// each node gets the form from one sender: base latency along the path,
// the first piece once per hop, the rest of the form once. It takes Dijkstra's shortest paths
// from src with the first piece per hop; nodes src cannot reach get -1.
func floor(links [][]int, latency func(u, v int) time.Duration, pieces []time.Duration, src int) []time.Duration {
	dist := newDistances(len(links), src)
	q := &distHeap{{node: src}}
	for q.Len() > 0 {
		it := heap.Pop(q).(distItem)
		if it.d > dist[it.node] {
			continue
		}
		for _, to := range links[it.node] {
			if d := it.d + latency(it.node, to) + pieces[0]; d < dist[to] {
				dist[to] = d
				heap.Push(q, distItem{node: to, d: d})
			}
		}
	}
	rest := sum(pieces[1:])
	for v := range dist {
		if v != src && dist[v] != math.MaxInt64 {
			dist[v] += rest
		}
	}
	return unreachedAsNegative(dist)
}

// idealPush computes, for every node, when it would have a block that src
// mines now under an ideal push protocol with the upload model the floor
// leaves out: a node pushes the compact form, cut into pieces as floor
// takes it, the moment it has the block's first piece (no validation,
// announcements or requests) to its peers one after another on its upload
// link, each piece once it is in, those peers that gain most first (gain),
// and skips a peer that has the block or will get it sooner from a node
// that had it earlier (knowledge no real protocol has). No jitter, no
// other traffic. With one piece it is store-and-forward; with more, cut-
// through, as FIBRE relays. It is a reference, not a bound: it shows what
// queueing on the upload link costs a protocol that wastes nothing else;
// a cleverer order could do somewhat better. Nodes src cannot reach get
// -1.
//
// Nodes are settled in the order they have the whole form, as in
// Dijkstra's search: whatever a node pushes is in no sooner than its own
// last piece plus that piece's serialization, so nothing settled later
// can beat an earlier node's time.
func idealPush(links [][]int, latency func(u, v int) time.Duration, pieces []time.Duration, src int) []time.Duration {
	dist := newDistances(len(links), src)
	in := make([][]time.Duration, len(links)) // in[v][j]: when v has piece j, by the push that set dist[v]
	in[src] = make([]time.Duration, len(pieces))
	done := make([]bool, len(links))
	q := &distHeap{{node: src}}
	var order []int
	got := make([]time.Duration, len(pieces))
	last := len(pieces) - 1
	for q.Len() > 0 {
		it := heap.Pop(q).(distItem)
		u := it.node
		if done[u] {
			continue
		}
		done[u] = true // it.d is u's time: nobody still to come beats it
		order = append(order[:0], links[u]...)
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(gain(dist, latency, u, b), gain(dist, latency, u, a)) })
		var free time.Duration // when u's upload link is next free
		for _, to := range order {
			if done[to] {
				continue
			}
			sent := forward(in[u], pieces, free, latency(u, to), got)
			if got[last] >= dist[to] {
				continue
			}
			free = sent
			in[to] = append(in[to][:0], got...)
			dist[to] = got[last]
			heap.Push(q, distItem{node: to, d: dist[to]})
		}
	}
	return unreachedAsNegative(dist)
}

// forward sends the pieces of a form, which the sender has at the times
// in, to a peer latency away, over an upload link free from free: each
// piece leaves once the sender has it and the link is done with the one
// before. It fills got with when the peer has each piece and returns when
// the link is free again.
func forward(in, pieces []time.Duration, free, latency time.Duration, got []time.Duration) time.Duration {
	for j, p := range pieces {
		free = max(free, in[j]) + p
		got[j] = free + latency
	}
	return free
}

// gain orders idealPush's pushes: how much sooner than now known to can u
// get the block to v, before the upload costs: v's time so far (an hour
// when it has none, so those come first) less the link's latency. Of the
// orders tried (nearest first, farthest first, most links first, node
// order) it gave the lowest 95% times, 8% below nearest first at 100
// nodes, the form whole or cut in pieces (docs/BENCHMARKS.md).
func gain(dist []time.Duration, latency func(u, v int) time.Duration, u, v int) time.Duration {
	return min(dist[v], time.Hour) - latency(u, v)
}

func sum(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}

// newDistances: every node unreached but src, at 0.
func newDistances(n, src int) []time.Duration {
	dist := make([]time.Duration, n)
	for i := range dist {
		dist[i] = math.MaxInt64
	}
	dist[src] = 0
	return dist
}

func unreachedAsNegative(dist []time.Duration) []time.Duration {
	for i := range dist {
		if dist[i] == math.MaxInt64 {
			dist[i] = -1
		}
	}
	return dist
}

type distItem struct {
	node int
	d    time.Duration
}

// distHeap orders by distance, then node, so the search never depends on
// map order (conns is a map, but ties resolve by node index).
type distHeap []distItem

func (h distHeap) Len() int { return len(h) }
func (h distHeap) Less(i, j int) bool {
	if h[i].d != h[j].d {
		return h[i].d < h[j].d
	}
	return h[i].node < h[j].node
}
func (h distHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *distHeap) Push(x any)   { *h = append(*h, x.(distItem)) }
func (h *distHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// BlockTimes is the propagation of one block: how long after it was mined
// 50%, 95% and 100% of the nodes had it, and the same for the floor.
type BlockTimes struct {
	Hash                      wire.Hash
	Miner                     int
	Txs                       int // real and virtual
	P50, P95, P100            time.Duration
	FloorP50, FloorP95, Floor time.Duration // Floor: the floor's 100%
	IdealP95                  time.Duration // 95% under an ideal push protocol (idealPush)
	// CutFloorP95 and CutIdealP95 are the 95% floor and ideal push times
	// with cut-through forwarding (pieces of pieceSize), CutJitterP95 the
	// latter with the jitter's mean added to every link.
	CutFloorP95, CutIdealP95, CutJitterP95 time.Duration
	// WeightedDelay is the mean delay over the nodes weighted by their
	// hash power: the time during which others still mine on the old tip.
	WeightedDelay time.Duration
	// P95Path is where the time to the node at the 95% mark went, along
	// the path the block took to it, if P95PathKnown.
	P95Path      PathCost
	P95PathKnown bool
}

// PathCost splits the time a block took to reach a node along the path it
// took, hop by hop (each hop: the message that completed the block at the
// next node). The parts add up to the node's delay.
type PathCost struct {
	Hops float64 // a whole number for one path, a mean in a Report
	// Wait: from when the sender had the block to when the message was
	// ready to send (validation before an announcement, announcements
	// and requests going back and forth); zero for a compact block
	// pushed in high-bandwidth mode.
	Wait time.Duration
	// Queue: waiting on the sender's upload link behind other messages.
	Queue time.Duration
	// Serialization: the message's own bytes at the upload rate.
	Serialization time.Duration
	// Latency: the links' base latency.
	Latency time.Duration
	// Other: jitter, and waiting at the receiver for it to finish
	// validating an earlier block.
	Other time.Duration
	// Parent: from when the node received the block to when it also had
	// every ancestor (a node on the losing side of a fork that gets the
	// block before the parent it lacks).
	Parent time.Duration
}

func (c *PathCost) add(o PathCost) {
	c.Hops += o.Hops
	c.Wait += o.Wait
	c.Queue += o.Queue
	c.Serialization += o.Serialization
	c.Latency += o.Latency
	c.Other += o.Other
	c.Parent += o.Parent
}

// Total is the sum of the parts: the delay to the path's end.
func (c PathCost) Total() time.Duration {
	return c.Wait + c.Queue + c.Serialization + c.Latency + c.Other + c.Parent
}

// pathCost walks the path the block of r took to node v back to the
// miner; false if some hop is unknown: the block was completed other than
// by a message carrying it (a transaction that filled the last gap of a
// compact block, or a timer). Once settleHad has run, the path ends when
// v had the block's ancestors too (Parent).
func (s *Sim) pathCost(r *blockRecord, v int) (PathCost, bool) {
	var c PathCost
	if r.had != nil {
		c.Parent = r.had[v].Sub(r.arrival[v])
	}
	for v != r.miner {
		m := r.via[v]
		if m == nil || int(c.Hops) > len(r.arrival) {
			return c, false
		}
		u := m.from
		if r.arrival[u].IsZero() || r.arrival[u].After(m.ready) {
			return c, false // the message did not carry the block (a transaction completing it)
		}
		lat := s.net.baseLatency(u, v)
		c.Hops++
		c.Wait += m.ready.Sub(r.arrival[u])
		c.Queue += m.start.Sub(m.ready)
		c.Serialization += m.done.Sub(m.start)
		c.Latency += lat
		c.Other += r.arrival[v].Sub(m.done) - lat
		v = u
	}
	return c, true
}

// blockTimes measures r, or reports false if some node never had the
// block or could not have had it.
func (s *Sim) blockTimes(r *blockRecord) (BlockTimes, bool) {
	delays := make([]time.Duration, len(r.had))
	floors := slices.Clone(r.floor)
	var weighted float64
	for i, at := range r.had {
		if at.IsZero() || floors[i] < 0 {
			return BlockTimes{}, false
		}
		delays[i] = at.Sub(r.mined)
		weighted += s.HashShare(i) * float64(delays[i])
	}
	byDelay := make([]int, len(delays))
	for i := range byDelay {
		byDelay[i] = i
	}
	slices.SortStableFunc(byDelay, func(a, b int) int { return cmp.Compare(delays[a], delays[b]) })
	slices.Sort(delays)
	slices.Sort(floors)
	path, known := s.pathCost(r, byDelay[quantileIndex(len(byDelay), 0.95)])
	return BlockTimes{
		Hash: r.hash, Miner: r.miner, Txs: r.txs,
		P50: quantile(delays, 0.50), P95: quantile(delays, 0.95), P100: delays[len(delays)-1],
		FloorP50: quantile(floors, 0.50), FloorP95: quantile(floors, 0.95), Floor: floors[len(floors)-1],
		IdealP95:    p95(r.ideal),
		CutFloorP95: p95(r.cutFloor), CutIdealP95: p95(r.cutIdeal),
		CutJitterP95:  p95(r.cutJitter),
		WeightedDelay: time.Duration(weighted), P95Path: path, P95PathKnown: known,
	}, true
}

// p95 is the 95% quantile of ds, which it leaves unsorted.
func p95(ds []time.Duration) time.Duration {
	return quantile(slices.Sorted(slices.Values(ds)), 0.95)
}

// quantile is the time by which a share q of the sorted values is in: the
// ceil(q·n)-th smallest.
func quantile(sorted []time.Duration, q float64) time.Duration {
	return sorted[quantileIndex(len(sorted), q)]
}

func quantileIndex(n int, q float64) int {
	return max(int(math.Ceil(q*float64(n)))-1, 0)
}

// mean divides every part by n.
func (c PathCost) mean(n int) PathCost {
	d := time.Duration(n)
	return PathCost{Hops: c.Hops / float64(n), Wait: c.Wait / d, Queue: c.Queue / d, Serialization: c.Serialization / d,
		Latency: c.Latency / d, Other: c.Other / d, Parent: c.Parent / d}
}
