package sim

import (
	"context"
	"fmt"
	"log/slog"
	"math/big"
	"path/filepath"
	"time"

	"powchain/chain"
	"powchain/mempool"
	"powchain/node"
	"powchain/p2p"
)

// Node is one simulated full node: a real chain (LevelDB in memory or in its
// own directory), a real mempool and a p2p.Core driven by the Sim instead of a
// p2p.Server. Tests may read its chain and pool between runs; they must not
// change them behind the Sim's back (use Sim.Mine and Sim.InjectTx).
type Node struct {
	index int
	addr  string // listen address, unique per node; its host is the node's IP
	chain *chain.Chain
	pool  *mempool.Pool
	core  *p2p.Core

	conns    map[p2p.PeerID]*endpoint // open ends the Core knows, by its peer ID
	nextID   p2p.PeerID
	nextPort int // ephemeral port of the next outbound connection

	// Filled by the chain's notifications, which it delivers synchronously
	// inside ProcessBlock on the Sim's goroutine; taken after each input,
	// as p2p.Server takes them on its next loop turn.
	chainEvents *p2p.ChainEvents
	disconnects int // blocks disconnected, ever

	tipWork *big.Int // work of the tip after the last input: never falls
	logErr  error    // first Error-level record the Core logged

	// The validation and bandwidth models (cpu.go, conn.go).
	busyUntil  time.Time     // the node validates until then; inputs wait
	work       time.Duration // validation the current input did
	uploadFree time.Time     // the upload link is busy until then
	outbox     []outMsg      // waiting for the upload link, oldest first
	// uploadArmed: an evUpload event is scheduled for the outbox's head.
	uploadArmed bool
}

// Index is the node's position in the Sim.
func (n *Node) Index() int { return n.index }

// Addr is the address the node listens on.
func (n *Node) Addr() string { return n.addr }

// Chain is the node's chain.
func (n *Node) Chain() *chain.Chain { return n.chain }

// Pool is the node's mempool.
func (n *Node) Pool() *mempool.Pool { return n.pool }

// Core is the node's P2P state machine, for its read-only queries (Peers,
// SyncInfo, KnownAddrs). Its inputs belong to the Sim.
func (n *Node) Core() *p2p.Core { return n.core }

// Connections is the number of open connections the node's Core knows.
func (n *Node) Connections() int { return len(n.conns) }

// nodeAddr gives node i the IP 10.x.y.z and the network's default port, so
// bans (by IP) apply to exactly one node.
func nodeAddr(i int, port uint16) string {
	ip := i + 1
	return fmt.Sprintf("10.%d.%d.%d:%d", ip>>16&0xff, ip>>8&0xff, ip&0xff, port)
}

// Storage and caches sized for a simulation: a node's database holds
// little, and the network's transactions are checked once.
const (
	// writeBufferSize is each node's LevelDB write buffer (LevelDB's
	// default is 4 MiB, allocated whole by every database).
	writeBufferSize = 16 << 10
	// sigCacheSize bounds the signature cache all the nodes share.
	sigCacheSize = 100_000
)

// openNode opens node i's chain (in Config.Dir, or in memory) and pool and
// builds its Core, seeded with seed, knowing the addresses in known.
func (s *Sim) openNode(i int, seed uint64, known []string) (*Node, error) {
	n := &Node{index: i, addr: nodeAddr(i, s.params.DefaultPort), conns: make(map[p2p.PeerID]*endpoint),
		nextPort: 40000, tipWork: new(big.Int)}
	cfg := chain.Config{Params: s.params, Clock: s.clock, SigCache: s.sigCache, SigWorkers: 1,
		WriteBufferSize: writeBufferSize, InMemory: s.cfg.Dir == ""}
	if s.cfg.Dir != "" {
		cfg.Path = filepath.Join(s.cfg.Dir, fmt.Sprintf("node%03d", i))
	}
	c, err := chain.Open(cfg)
	if err != nil {
		return nil, fmt.Errorf("node %d: %w", i, err)
	}
	n.chain = c
	if n.pool, err = mempool.New(mempool.Config{Chain: c, Clock: s.clock, SigCache: s.sigCache, Policy: s.cfg.policy()}); err != nil {
		return nil, fmt.Errorf("node %d: %w", i, err)
	}
	n.chainEvents = p2p.NewChainEvents()
	node.FollowChain(c, n.pool, n.chainEvents.HandleChainNotification, n.countDisconnects)
	pcfg := p2p.Config{
		Chain: &meteredChain{Chain: c, sim: s, node: n}, TxPool: n.pool,
		MaxPeers: s.cfg.MaxPeers, TargetOutbound: s.cfg.TargetOutbound, Relay: s.cfg.Relay,
		RandSeed: seed, Now: s.clock.Now,
		Log: slog.New(&logHandler{node: n, next: s.cfg.Log.Handler()}).With("node", i),
	}
	if s.cfg.P2P != nil {
		s.cfg.P2P(i, &pcfg)
	}
	if n.core, err = p2p.NewCore(pcfg, n.addr); err != nil {
		c.Close()
		return nil, fmt.Errorf("node %d: %w", i, err)
	}
	book, err := p2p.AddressBookState(known, s.now)
	if err == nil {
		err = n.core.RestoreState(book, s.now)
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("node %d: address book: %w", i, err)
	}
	n.tipWork.Set(c.Tip().ChainWork)
	return n, nil
}

// countDisconnects counts the blocks the node disconnected (Stats.Reorgs).
func (n *Node) countDisconnects(note chain.Notification) {
	if note.Type == chain.BlockDisconnected {
		n.disconnects++
	}
}

func (n *Node) close() error { return n.chain.Close() }

// logHandler passes a Core's log records on and remembers the first one at
// Error level: the Core logs there only for local failures (a block that
// could not be processed for reasons other than its validity), which must
// never happen in a simulation.
type logHandler struct {
	node *Node
	next slog.Handler
	pre  []slog.Attr
}

func (h *logHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError || h.next.Enabled(ctx, l)
}

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError && h.node.logErr == nil {
		msg := r.Message
		r.Attrs(func(a slog.Attr) bool {
			msg += " " + a.String()
			return true
		})
		h.node.logErr = fmt.Errorf("core logged an error: %s", msg)
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.WithAttrs(h.pre).Handle(ctx, r)
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logHandler{node: h.node, next: h.next, pre: append(append([]slog.Attr(nil), h.pre...), attrs...)}
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	return &logHandler{node: h.node, next: h.next.WithAttrs(h.pre).WithGroup(name)}
}
