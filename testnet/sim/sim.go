package sim

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"slices"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/mempool"
	"powchain/p2p"
	"powchain/wire"
)

// Config configures a Sim. Zero values take the defaults documented on each
// field.
type Config struct {
	// Seed determines the whole run.
	Seed uint64
	// Dir holds the nodes' databases, one directory per node; empty (the
	// default): every node's database is kept in memory.
	Dir string
	// Nodes is the number of nodes (default 8).
	Nodes int
	// SeedNodes is how many of them (the first ones) are the network's
	// hard-coded seeds (default 3, at most Nodes).
	SeedNodes int
	// NoSeeds leaves the network without seeds: nodes find each other only
	// through their address books (KnownPeers) and address relay, so no
	// node becomes a hub that every other node dials.
	NoSeeds bool
	// KnownPeers is how many other random nodes each node's address book
	// holds at the start (default 3).
	KnownPeers int
	// Start is the simulated time the run starts at, which is also the
	// genesis block's time (default 2027-01-01 00:00 UTC).
	Start time.Time
	// Link describes the network's links.
	Link LinkConfig
	// TickInterval is the period of each Core's Tick (default 500ms, the
	// p2p default); nodes tick at different phases.
	TickInterval time.Duration
	// MaxPeers and TargetOutbound are every node's connection limits
	// (default 10 and 4: sparse enough that blocks take several hops).
	MaxPeers, TargetOutbound int
	// MaxOrphanTxs sets every pool's orphan limit (default 10,000). The
	// mempool evicts an arbitrary orphan (map order) when the limit is
	// reached, which would make a run irreproducible; the default keeps
	// the limit out of reach.
	MaxOrphanTxs int
	// Keys is how many deterministic keys (chaintest.Key(0..Keys-1)) the
	// blocks and transactions pay to (default 16).
	Keys int
	// CheckInterval is the simulated time between sweeps of every
	// invariant over every node (default 10s). Cheap invariants are checked
	// after every input.
	CheckInterval time.Duration
	// Log receives the Cores' logs, with a "node" attribute (default:
	// discarded).
	Log *slog.Logger
	// Relay is every node's block relay mode (default p2p.RelayCompact).
	Relay p2p.RelayMode
	// P2P, if set, adjusts node i's Core configuration before it is built.
	P2P func(i int, cfg *p2p.Config)
	// ValidationPerTx is the simulated time a node takes to validate each
	// transaction of a block it receives (default 0: validation is
	// instant). See cpu.go for what it delays.
	ValidationPerTx time.Duration
	// BlockSize, if positive, is the size every mined block is declared to
	// have: its real transactions plus virtual ones (virtualTxSize bytes
	// each) that every node is taken to hold already. See payload.go.
	BlockSize int
}

func (c *Config) setDefaults() {
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defInt(&c.Nodes, 8)
	defInt(&c.SeedNodes, 3)
	c.SeedNodes = min(c.SeedNodes, c.Nodes)
	if c.NoSeeds {
		c.SeedNodes = 0
	}
	defInt(&c.KnownPeers, 3)
	c.KnownPeers = min(c.KnownPeers, c.Nodes-1)
	defInt(&c.MaxPeers, 10)
	defInt(&c.TargetOutbound, 4)
	defInt(&c.MaxOrphanTxs, 10_000)
	defInt(&c.Keys, 16)
	if c.Start.IsZero() {
		c.Start = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if c.TickInterval <= 0 {
		c.TickInterval = 500 * time.Millisecond
	}
	if c.CheckInterval <= 0 {
		c.CheckInterval = 10 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	c.Link.setDefaults()
}

func (c *Config) policy() mempool.Policy {
	p := mempool.DefaultPolicy()
	p.MaxOrphans = c.MaxOrphanTxs
	return p
}

// Sim is a deterministic discrete-event simulation of a powchain network.
// See the package documentation. A Sim is not safe for concurrent use; it
// runs on the goroutine that calls it.
type Sim struct {
	cfg    Config
	params *chain.Params
	clock  *chaintest.Clock
	start  time.Time
	now    time.Time

	queue  eventQueue
	net    *network
	nodes  []*Node
	byAddr map[string]*Node
	// sigCache is shared by every node's chain and pool (see
	// chain.SigCache): a transaction's signatures are checked once in the
	// whole network.
	sigCache *chain.SigCache

	// Independent random streams, so that e.g. adding a message does not
	// change which node mines next.
	workRng  *rand.Rand // mining and transactions
	scenRng  *rand.Rand // scenario choices: intervals, partitions
	keys     keyring
	txEvery  time.Duration // mean time between injected transactions; 0: none
	txQueued bool          // an evTx is in the queue
	extra    uint64        // coinbase extra nonce, unique per mined block

	hashPower []float64 // cumulative share of the hash power, by node
	virtual   map[wire.Hash]int
	blocks    blockLog
	// delivering is how the message being delivered now left its sender
	// (nil outside a delivery), so a block's arrival can name its path.
	delivering *sendTimes

	trace     hash.Hash
	stats     Stats
	maxWork   *big.Int // most work of any node's tip, ever
	nextCheck time.Time
	err       *Failure
}

// Stats counts what happened in a run.
type Stats struct {
	Events        uint64 // events handled
	Sent          uint64 // messages put on an upload link
	Delivered     uint64 // messages received by a Core
	Bytes         uint64 // bytes of delivered frames
	Lost          uint64 // messages lost to the drop rate
	Partitioned   uint64 // messages cut by a partition (when sent or on arrival)
	ToClosed      uint64 // messages that arrived at a closed connection
	Dials         uint64
	DialsFailed   uint64
	Disconnects   uint64 // connections a Core closed
	Blocks        int    // blocks mined
	Txs           int    // transactions injected and accepted
	TxsRefused    int    // injected transactions the pool refused on policy
	Reorgs        int    // blocks disconnected, summed over nodes
	Partitions    int    // partitions started
	MaxTipHeight  uint64
	MaxPoolSize   int
	MaxPeersSeen  int // most connections any node had after an input
	MaxQueueDepth int
	UploadBytes   uint64 // bytes queued on upload links, virtual payload included
	Deferred      uint64 // inputs that waited for their node to finish validating
	// PushesDropped counts compact blocks pushed unasked that never left:
	// their peer showed it had the block while they waited (pumpUpload).
	PushesDropped uint64
	// SentByType counts the messages put on an upload link, by type
	// (indexed by p2p.MsgType); Sent is their sum.
	SentByType [32]uint64
}

// New builds the network: the nodes' chains (genesis only), pools and
// Cores, and schedules every Core's Start and first Tick. Close it when
// done.
func New(cfg Config) (*Sim, error) {
	cfg.setDefaults()
	s := &Sim{
		cfg: cfg, start: cfg.Start, now: cfg.Start, clock: chaintest.NewClock(cfg.Start),
		byAddr: make(map[string]*Node), trace: sha256.New(), maxWork: new(big.Int),
		workRng: newRand(cfg.Seed, 3), scenRng: newRand(cfg.Seed, 4),
		nextCheck: cfg.Start.Add(cfg.CheckInterval),
		virtual:   make(map[wire.Hash]int), blocks: newBlockLog(),
		sigCache: chain.NewSharedSigCache(sigCacheSize),
	}
	s.params = chaintest.Params(cfg.Start)
	s.params.Seeds = nil
	for i := range cfg.SeedNodes {
		s.params.Seeds = append(s.params.Seeds, nodeAddr(i, s.params.DefaultPort))
	}
	s.net = newNetwork(cfg.Nodes, cfg.Link, newRand(cfg.Seed, 2))
	s.keys = newKeyring(cfg.Keys)
	s.hashPower = drawHashPower(cfg.Nodes, newRand(cfg.Seed, 5))
	if err := s.openNodes(newRand(cfg.Seed, 1)); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// newRand returns the random stream number stream of seed.
func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, splitmix(seed^splitmix(stream))))
}

// splitmix is SplitMix64's finaliser: it turns related seeds into
// unrelated ones.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// openNodes opens every node with its random address book and Core seed
// and schedules its Start and Ticks at random phases.
func (s *Sim) openNodes(rng *rand.Rand) error {
	for i := range s.cfg.Nodes {
		var known []string
		for _, j := range rng.Perm(s.cfg.Nodes) {
			if j != i && len(known) < s.cfg.KnownPeers {
				known = append(known, nodeAddr(j, s.params.DefaultPort))
			}
		}
		n, err := s.openNode(i, rng.Uint64()|1, known)
		if err != nil {
			return err
		}
		s.nodes = append(s.nodes, n)
		s.byAddr[n.addr] = n
		s.schedule(&event{at: s.start.Add(randDur(rng, time.Second)), kind: evStart, node: i})
		s.schedule(&event{at: s.start.Add(randDur(rng, s.cfg.TickInterval)), kind: evTick, node: i})
	}
	return nil
}

// randDur draws a duration in [0, d).
func randDur(rng *rand.Rand, d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(rng.Int64N(int64(d)))
}

// Close closes every node's chain.
func (s *Sim) Close() error {
	var errs []error
	for _, n := range s.nodes {
		errs = append(errs, n.close())
	}
	return errors.Join(errs...)
}

// Seed is the run's seed.
func (s *Sim) Seed() uint64 { return s.cfg.Seed }

// Elapsed is the simulated time since the start.
func (s *Sim) Elapsed() time.Duration { return s.now.Sub(s.start) }

// Nodes returns the nodes, by index.
func (s *Sim) Nodes() []*Node { return slices.Clone(s.nodes) }

// Node returns node i.
func (s *Sim) Node(i int) *Node { return s.nodes[i] }

// Stats returns the counters so far.
func (s *Sim) Stats() Stats {
	st := s.stats
	for _, n := range s.nodes {
		st.Reorgs += n.disconnects
	}
	return st
}

// Digest is SHA-256 over every input the nodes received so far (time,
// kind, node, connection and content: frames byte for byte), every block
// mined and every transaction injected. Two runs with the same seed and the
// same calls have the same digest.
func (s *Sim) Digest() [32]byte {
	var d [32]byte
	s.trace.Sum(d[:0])
	return d
}

// Err is the first invariant failure, nil if none.
func (s *Sim) Err() error {
	if s.err == nil {
		return nil
	}
	return s.err
}

// RunFor runs every event due in the next d of simulated time and leaves
// the clock at now+d. It stops at the first invariant failure and returns
// it (a *Failure).
func (s *Sim) RunFor(d time.Duration) error {
	end := s.now.Add(d)
	for s.err == nil {
		e := s.queue.peek()
		if e == nil || e.at.After(end) {
			break
		}
		s.queue.pop()
		s.setNow(e.at)
		s.handle(e)
		s.periodicCheck()
	}
	if s.err == nil {
		s.setNow(end)
	}
	return s.Err()
}

// RunUntil runs in steps of poll until cond holds, for at most limit. It
// fails (a *Failure naming what) if cond still does not hold by then.
func (s *Sim) RunUntil(what string, limit, poll time.Duration, cond func() bool) error {
	deadline := s.now.Add(limit)
	for s.err == nil && !cond() {
		if !s.now.Before(deadline) {
			s.fail(-1, "%s: not reached within %v", what, limit)
			break
		}
		s.RunFor(min(poll, deadline.Sub(s.now)))
	}
	return s.Err()
}

func (s *Sim) setNow(t time.Time) {
	s.now = t
	s.clock.Set(t)
}

func (s *Sim) schedule(e *event) {
	s.queue.push(e)
	s.stats.MaxQueueDepth = max(s.stats.MaxQueueDepth, s.queue.len())
}

// Partition cuts the network into groups of node indices; nodes in no
// group form one more group. Messages in flight across a cut are lost;
// connections across it stay open but carry nothing, so the Cores' own
// timeouts decide when to drop them.
func (s *Sim) Partition(groups ...[]int) {
	s.net.partition(groups)
	s.stats.Partitions++
	s.record(evPartition, -1, 0, fmt.Appendf(nil, "%v", groups))
}

// Heal joins every group again.
func (s *Sim) Heal() {
	s.net.heal()
	s.record(evHeal, -1, 0, nil)
}

// Partitioned reports whether the network is cut.
func (s *Sim) Partitioned() bool { return s.net.partitioned() }

// SetDropRate changes the probability that a message is lost.
func (s *Sim) SetDropRate(p float64) { s.net.cfg.DropRate = p }

// SetTxInterval makes the Sim inject a transaction at a random node every
// d of simulated time on average (exponentially distributed); 0 stops it.
func (s *Sim) SetTxInterval(d time.Duration) {
	s.txEvery = d
	if d > 0 && !s.txQueued {
		s.scheduleTx()
	}
}

func (s *Sim) scheduleTx() {
	s.txQueued = true
	s.schedule(&event{at: s.now.Add(expDur(s.workRng, s.txEvery)), kind: evTx, node: -1})
}

// expDur draws an exponentially distributed duration of mean d.
func expDur(rng *rand.Rand, d time.Duration) time.Duration {
	return time.Duration(rng.ExpFloat64() * float64(d))
}

// handle runs one event.
func (s *Sim) handle(e *event) {
	s.stats.Events++
	var n *Node
	if e.node >= 0 {
		n = s.nodes[e.node]
		if e.kind == evDeliver {
			s.noteShown(e)
		}
		if e.kind.isInput() && n.busyUntil.After(s.now) {
			s.postpone(n, e)
			return
		}
	}
	switch e.kind {
	case evStart:
		s.input(n, e, nil, func() []p2p.Action { return n.core.Start(s.now) })
	case evTick:
		s.schedule(&event{at: s.now.Add(s.cfg.TickInterval), kind: evTick, node: e.node})
		s.input(n, e, nil, func() []p2p.Action { return n.core.Tick(s.now) })
	case evAccept, evDialed:
		n.conns[e.end.id] = e.end
		s.input(n, e, []byte(e.addr), func() []p2p.Action {
			// No local address: it keys only getaddr caches, which the
			// simulator's local network does not use.
			return n.core.Connected(s.now, e.end.id, e.addr, e.kind == evAccept, "")
		})
	case evDialFailed:
		s.stats.DialsFailed++
		s.input(n, e, []byte(e.addr), func() []p2p.Action {
			return n.core.DialFailed(s.now, e.addr, errUnreachable)
		})
	case evDeliver:
		s.deliver(n, e)
	case evClosed:
		s.remoteClosed(n, e)
	case evUpload:
		n.uploadArmed = false
		s.pumpUpload(n)
	case evTx:
		s.txQueued = false
		if s.txEvery > 0 {
			s.InjectTx(s.workRng.IntN(len(s.nodes)))
			s.scheduleTx()
		}
	}
}

var (
	errUnreachable = errors.New("sim: address unreachable")
	errClosed      = io.EOF
)

// input records an input to node n in the trace, gives it to the Core and
// carries out the actions.
func (s *Sim) input(n *Node, e *event, content []byte, f func() []p2p.Action) {
	s.record(e.kind, n.index, e.peerID(), content)
	acts := f()
	s.chargeValidation(n)
	s.apply(n, acts)
	s.afterInput(n)
}

// apply carries out a Core's actions, in order. ActValidate (blocks pushed
// to high-bandwidth peers before validation) is carried out last: the
// pushes leave first, then the validation is charged and what follows it
// waits for it.
func (s *Sim) apply(n *Node, acts []p2p.Action) {
	validate := false
	for _, a := range acts {
		switch a.Kind {
		case p2p.ActValidate:
			validate = true
		case p2p.ActSend:
			if end := n.conns[a.Peer]; end != nil {
				s.send(n, end, a.Msg, a.Push, s.sendTime(n))
			}
		case p2p.ActDial:
			s.dial(n, a.Addr)
		case p2p.ActDisconnect:
			if a.Cause == p2p.CauseBanned {
				s.fail(n.index, "honest peer %d banned: %s", a.Peer, a.Reason)
			}
			if end := n.conns[a.Peer]; end != nil {
				s.closeEnd(n, end)
			}
		case p2p.ActSave:
			// A node writes its state to disk here; the Sim checks that
			// it encodes and keeps nothing (at 1,000 nodes the saved
			// address books were 85 MB of the live heap, read by nobody).
			if _, err := n.core.State(); err != nil {
				s.fail(n.index, "core state: %v", err)
			}
		}
	}
	if validate {
		acts := n.core.Validate(s.now)
		s.chargeValidation(n)
		s.apply(n, acts)
	}
}

// afterInput tells the Core about chain changes the input caused (as
// p2p.Server does after its chain notification) and checks the invariants
// that are cheap enough to check after every input.
func (s *Sim) afterInput(n *Node) {
	if changed, txs := n.chainEvents.Take(); changed {
		s.apply(n, n.core.ChainChanged(s.now, txs))
		s.checkTip(n)
	}
	if n.logErr != nil {
		s.fail(n.index, "%v", n.logErr)
	}
	if len(n.conns) > s.cfg.MaxPeers {
		s.fail(n.index, "%d connections, limit %d", len(n.conns), s.cfg.MaxPeers)
	}
	s.stats.MaxPeersSeen = max(s.stats.MaxPeersSeen, len(n.conns))
}

// periodicCheck sweeps every invariant over every node once per
// CheckInterval of simulated time.
func (s *Sim) periodicCheck() {
	if s.now.Before(s.nextCheck) || s.err != nil {
		return
	}
	s.nextCheck = s.now.Add(s.cfg.CheckInterval)
	s.CheckInvariants()
}

// Failure is an invariant that broke: the seed replays the run up to it.
type Failure struct {
	Seed    uint64
	Elapsed time.Duration // simulated time since the start
	Node    int           // the node concerned, -1 if none
	Err     error
}

func (f *Failure) Error() string {
	return fmt.Sprintf("sim seed=%d t=%v node=%d: %v (replay with POWCHAIN_SIM_SEED=%d)",
		f.Seed, f.Elapsed, f.Node, f.Err, f.Seed)
}

func (f *Failure) Unwrap() error { return f.Err }

// fail records the first failure; the run stops at the next event.
func (s *Sim) fail(node int, format string, args ...any) {
	if s.err == nil {
		s.err = &Failure{Seed: s.cfg.Seed, Elapsed: s.Elapsed(), Node: node, Err: fmt.Errorf(format, args...)}
	}
}

// Trace records for things that are not node inputs.
const (
	evMined evKind = 100 + iota
	evInjected
	evPartition
	evHeal
)

// record adds one entry to the trace digest.
func (s *Sim) record(kind evKind, node int, peer p2p.PeerID, content []byte) {
	var b [8 + 1 + 4 + 8 + 4]byte
	binary.LittleEndian.PutUint64(b[0:], uint64(s.now.Sub(s.start)))
	b[8] = byte(kind)
	binary.LittleEndian.PutUint32(b[9:], uint32(node))
	binary.LittleEndian.PutUint64(b[13:], uint64(peer))
	binary.LittleEndian.PutUint32(b[21:], uint32(len(content)))
	s.trace.Write(b[:])
	s.trace.Write(content)
}
