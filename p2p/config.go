package p2p

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"time"

	"powchain/chain"
	"powchain/wire"
)

// ChainReader is what the P2P layer reads of the block chain: to answer
// peers, to plan downloads and to judge what peers announce.
type ChainReader interface {
	Params() *chain.Params
	Tip() chain.BlockInfo
	BestHeader() chain.BlockInfo
	BestHeaderLocator() []wire.Hash
	LocateHeaders(locator []wire.Hash, stop wire.Hash, max int) []wire.BlockHeader
	MissingBlocks(max int, maxHeight uint64, skip func(wire.Hash) bool) []chain.BlockRef
	BlockByHash(wire.Hash) (*wire.Block, error)
	// BlockBytes returns a block's stored protobuf encoding (nil if
	// absent), served to peers as it is; nothing modifies it.
	BlockBytes(wire.Hash) ([]byte, error)
	BlockInfoByHash(wire.Hash) (chain.BlockInfo, bool)
}

// ChainSubmitter is how the P2P layer hands the chain what peers sent.
// The Core calls ProcessBlock and ProcessHeaders; Preverify is the
// Server's alone: a peer's reader hands it a block the node requested from
// that peer, as soon as it is decoded, so that its signatures are checked
// on other cores while the event loop connects the blocks before it. It
// must return at once and never change what ProcessBlock decides.
type ChainSubmitter interface {
	ProcessBlock(*wire.Block) (chain.ProcessResult, error)
	ProcessHeaders([]wire.BlockHeader) error
	Preverify(*wire.Block) bool
}

// Chain is what the P2P layer needs of the block chain; *chain.Chain
// implements it.
type Chain interface {
	ChainReader
	ChainSubmitter
}

// TxPool is what the P2P layer needs of the mempool; *mempool.Pool
// implements it.
type TxPool interface {
	// AcceptFromPeer admits tx, received from peer source. It returns the
	// transactions that entered the pool (tx and any orphans it released)
	// and, if tx waits as an orphan, the parents it misses. An error that
	// has a method Consensus() bool returning true proves tx invalid.
	AcceptFromPeer(tx *wire.Tx, source uint64) (accepted []*wire.Tx, missingParents []wire.Hash, err error)
	// Tx returns a pool transaction.
	Tx(txid wire.Hash) (*wire.Tx, bool)
	// Knows reports whether txid is in the pool (or waits as an orphan).
	Knows(txid wire.Hash) bool
	// RangeTxs calls f for every pool transaction, in any order; f does
	// not call the pool (compact blocks are rebuilt from them).
	RangeTxs(f func(txid wire.Hash, tx *wire.Tx))
	// AdmitMinedOrphans admits the orphans whose missing parents the
	// blocks connected since the last call mined, and returns the txids
	// that entered the pool, to be announced.
	AdmitMinedOrphans() []wire.Hash
	// SetUnbroadcast marks pool transactions submitted to the node
	// unbroadcast, ClearUnbroadcast unmarks one a peer asked for, and
	// Unbroadcast lists those marked and still in the pool, sorted. The
	// pool keeps the set (and saves it with itself, so it outlives a
	// restart); a transaction leaves it when it leaves the pool.
	SetUnbroadcast(txids []wire.Hash)
	ClearUnbroadcast(txid wire.Hash)
	Unbroadcast() []wire.Hash
}

// Config configures a Server (and the Core inside it). Zero durations and
// counts take the defaults documented on each field.
type Config struct {
	Chain  Chain  // required
	TxPool TxPool // required

	// Listen is the host:port to accept peers on; empty: no listener.
	// Seed replaces it with the first of the network's seed addresses
	// that can be bound on this host.
	Listen string
	Seed   bool
	// Connect: connect only to these peers (no seeds, no discovery).
	Connect []string
	// AddNode: keep connections to these peers as well.
	AddNode []string
	// NoDiscovery: dial only Connect and AddNode peers (as with Connect),
	// even when Connect is empty.
	NoDiscovery bool
	// MaxPeers caps all connections (default 125); TargetOutbound is how
	// many outbound peers discovery keeps (default 8). Inbound peers get
	// MaxPeers - TargetOutbound slots.
	MaxPeers       int
	TargetOutbound int

	// StateFile persists the address book and bans; empty: in memory only.
	StateFile string
	// UserAgent is sent in version (default "/powchain:0.1/").
	UserAgent string

	HandshakeTimeout time.Duration // version/verack exchange (default 10s)
	PingInterval     time.Duration // keepalive ping period (default 60s)
	IdleTimeout      time.Duration // nothing received for this long: disconnect (default 3m)
	StallTimeout     time.Duration // requested block or headers not delivered (default 10s)
	BanDuration      time.Duration // default 24h
	RetryBase        time.Duration // first redial backoff, doubled per failure (default 1s)
	RetryMax         time.Duration // backoff cap (default 5m)
	SaveInterval     time.Duration // address book save period (default 1m)
	// RebroadcastInterval: how often transactions submitted by RPC that
	// no peer has asked for yet are announced again to the peers not
	// told of them (plus a random part of half of it; default 10m, as
	// Bitcoin Core).
	RebroadcastInterval time.Duration
	TickInterval        time.Duration // core timer resolution (default 500ms)
	DialTimeout         time.Duration // default 10s
	WriteTimeout        time.Duration // one frame write (default 60s)

	// MaxBlocksInFlight is the per-peer limit of requested blocks
	// (default 16); DownloadWindow how far past the tip blocks are fetched
	// (default 1024); MaxStalls how many stalls disconnect a peer (default 2).
	MaxBlocksInFlight int
	DownloadWindow    int
	MaxStalls         int
	// MaxPresyncHeaders bounds how long a header chain with less work than
	// the tip a peer may show before it is disconnected (default
	// 10,000,000; a presync keeps 32 bytes per 1,000 of them).
	MaxPresyncHeaders int
	// MaxSendQueueBytes bounds what may wait to be written to one peer
	// (default 4 MiB): a peer whose queue overflows is disconnected. The
	// node takes no further message from a peer while more than a
	// quarter of it waits (its reader pauses), so a peer that asks faster
	// than it reads is made to wait instead. Blocks
	// served whole wait as references the writer loads from the chain
	// when it writes them (MsgStoredBlock), counted at a few dozen bytes
	// each (bounded by number: 128 per getdata, 4,096 queued messages);
	// the budget bounds what waits in memory. An honest peer's peak
	// stays well under 4 MiB: the answers to one getdata take at most
	// half of it (its transactions: at most 1,000 asked at once,
	// typically a few hundred bytes each), a blocktxn or compact block at
	// most a block (1 MB; a pushed compact block about 30 kB), a headers
	// answer 198 kB.
	MaxSendQueueBytes int

	// Relay is how this node asks its peers to announce new blocks
	// (default RelayCompact); whatever it is, the node announces to each
	// peer as that peer asked.
	Relay RelayMode

	// RandSeed seeds the Core's random choices (nonces, address picks);
	// NewServer draws one at random when it is 0.
	RandSeed uint64
	// OnMessage, if set, hears every message read from or written to a
	// peer, with the size of its whole frame (metrics). It runs on the
	// connection's reader or writer goroutine: it must be quick and safe
	// for concurrent use.
	OnMessage func(inbound bool, t MsgType, frameBytes int)
	// Now tells the time (required: the node injects its clock).
	Now func() time.Time
	// ListenFunc and DialFunc replace net.Listen and a net.Dialer.
	ListenFunc func(network, address string) (net.Listener, error)
	DialFunc   func(ctx context.Context, network, address string) (net.Conn, error)
	Log        *slog.Logger
}

// RelayMode says how a node asks its peers to announce new blocks
// (docs/PROTOCOL.md, "Block announcements"). Blocks fetched in initial
// sync, and whatever compact relay cannot rebuild, are full blocks in
// every mode.
type RelayMode uint8

// Relay modes.
const (
	// RelayCompact (the default): announcements by header, and compact
	// blocks (BIP152): pushed unasked by up to three high-bandwidth peers,
	// requested in compact form from the others (compact.go).
	RelayCompact RelayMode = iota
	// RelayHeaders: announcements by header; blocks requested in full.
	RelayHeaders
	// RelayFull: announcements by inv, then getheaders and getdata, as
	// before header announcements existed.
	RelayFull
)

var relayModeNames = [...]string{RelayCompact: "compact", RelayHeaders: "headers", RelayFull: "full"}

func (m RelayMode) String() string {
	if int(m) < len(relayModeNames) {
		return relayModeNames[m]
	}
	return fmt.Sprintf("RelayMode(%d)", int(m))
}

// ParseRelayMode reads a relay mode by name: compact, headers or full.
func ParseRelayMode(s string) (RelayMode, error) {
	for m, name := range relayModeNames {
		if s == name {
			return RelayMode(m), nil
		}
	}
	return 0, fmt.Errorf("unknown relay mode %q (want compact, headers or full)", s)
}

// DefaultUserAgent is sent in version messages unless Config.UserAgent
// says otherwise.
const DefaultUserAgent = "/powchain:0.1/"

// validate checks what no default can fix: the required components, peer
// addresses that do not parse, and slot counts that contradict each other.
func (c *Config) validate() error {
	if c.Chain == nil || c.TxPool == nil {
		return errors.New("p2p: Config needs Chain and TxPool")
	}
	for _, a := range append(slices.Clone(c.Connect), c.AddNode...) {
		if _, err := normalizeAddr(a); err != nil {
			return fmt.Errorf("p2p: peer address %q: %w", a, err)
		}
	}
	if int(c.Relay) >= len(relayModeNames) {
		return fmt.Errorf("p2p: unknown relay mode %d", int(c.Relay))
	}
	if c.MaxPeers > 0 && c.TargetOutbound > c.MaxPeers {
		return fmt.Errorf("p2p: %d outbound peers wanted but at most %d peers allowed", c.TargetOutbound, c.MaxPeers)
	}
	return nil
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt := func(n *int, v int) {
		if *n <= 0 {
			*n = v
		}
	}
	defInt(&c.MaxPeers, 125)
	defInt(&c.TargetOutbound, 8)
	defInt(&c.MaxBlocksInFlight, 16)
	defInt(&c.DownloadWindow, 1024)
	defInt(&c.MaxStalls, 2)
	defInt(&c.MaxSendQueueBytes, 4<<20)
	defInt(&c.MaxPresyncHeaders, 10_000_000)
	def(&c.HandshakeTimeout, 10*time.Second)
	def(&c.PingInterval, time.Minute)
	def(&c.IdleTimeout, 3*time.Minute)
	def(&c.StallTimeout, 10*time.Second)
	def(&c.BanDuration, 24*time.Hour)
	def(&c.RetryBase, time.Second)
	def(&c.RetryMax, 5*time.Minute)
	def(&c.SaveInterval, time.Minute)
	def(&c.RebroadcastInterval, 10*time.Minute)
	def(&c.TickInterval, 500*time.Millisecond)
	def(&c.DialTimeout, 10*time.Second)
	def(&c.WriteTimeout, time.Minute)
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	if c.ListenFunc == nil {
		c.ListenFunc = net.Listen
	}
	if c.DialFunc == nil {
		c.DialFunc = (&net.Dialer{}).DialContext
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	c.TargetOutbound = min(c.TargetOutbound, c.MaxPeers)
}

func (c *Config) maxInbound() int { return c.MaxPeers - c.TargetOutbound }
