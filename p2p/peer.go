package p2p

import (
	"encoding/binary"
	"time"

	"powchain/wire"
)

// PeerID names a connection for its whole life; IDs are never reused.
type PeerID uint64

// Per-peer bounds on what the Core remembers or has outstanding.
const (
	maxKnownInv       = 20_000 // inventory the peer is known to have
	maxKnownAddrs     = 5_000  // addresses the peer is known to have
	maxTxInFlight     = 1_000  // transactions requested from one peer
	maxAvoid          = 4_096  // blocks remembered as not to ask the peer for
	maxRecentRejects  = 20_000 // txids recently refused by the pool
	maxBlocksPerGet   = 128    // blocks served for one getdata
	maxHeaderStrikes  = 8      // headers that do not connect, before a ban
	banScore          = 100    // misbehaviour score that bans
	unrequestedScore  = 5      // per unrequested block, tx or headers
	announceBatchSize = MaxInvPerMsg
)

// knownHashes is a boundedSet of hashes that holds each as an 8-byte
// SipHash-2-4 under the node's secret key instead of its 32 bytes: a node
// remembers up to maxKnownInv of them for each of up to a hundred peers,
// and up to maxRecentRejects txids its pool refused (Core.rejects).
// Two hashes sharing a key (about n/2^64 per lookup, never chosen by a
// peer, who does not know the key) would make the node think the peer has
// the other: it would skip a redundant announcement, or announce a block
// by header or compact block to a peer that then asks for the parent it
// lacks, as after any missed announcement; in rejects, it would not fetch
// a transaction until the refused one is forgotten, as for a refused one.
type knownHashes struct {
	k0, k1 uint64
	set    boundedSet
}

func newKnownHashes(key [32]byte) knownHashes {
	return knownHashes{
		k0: binary.LittleEndian.Uint64(key[0:]),
		k1: binary.LittleEndian.Uint64(key[8:]),
	}
}

func (s *knownHashes) has(h wire.Hash) bool { return s.set.has(sipHash24(s.k0, s.k1, &h)) }

func (s *knownHashes) add(h wire.Hash, n int) { s.set.add(sipHash24(s.k0, s.k1, &h), n) }

// peer is the Core's state of one connection.
type peer struct {
	id        PeerID
	addr      string // remote address as connected
	local     string // the node's end of the connection, "" if unknown
	inbound   bool
	connected time.Time

	version    *MsgVersion // the peer's version, once received
	verack     bool        // the peer acknowledged ours
	listenAddr string      // where the peer accepts connections, "" if unknown

	lastRecv  time.Time
	pingNonce uint64 // outstanding ping, 0 if none
	pingSent  time.Time
	pingTime  time.Duration // last round trip
	minPing   time.Duration // lowest round trip, 0 until measured
	nextPing  time.Time

	knownInv    knownHashes
	knownAddrs  boundedSet // Core.addrKey of the addresses
	pendingInv  []InvVect  // announcements batched until the input ends
	sendHeaders bool       // the peer asked for block announcements by header
	answeredGA  bool       // getaddr is answered once per connection

	// The token bucket of the addresses the peer sends (addrrelay.go),
	// and what it let through and held back, ever.
	addrTokens      float64
	addrTokensAt    time.Time
	addrProcessed   int
	addrRateLimited int

	// bestHeight is whom to ask for blocks: the height the peer's version
	// claimed, raised as it shows blocks. shownHeight counts only what it
	// has shown (a header or block of our index, -1 until it has): a claim
	// costs nothing, so only shown blocks are reported or make the node
	// think it is behind. shownValid is the highest of them that was not
	// known invalid when shown (zero until one is): only it, while still
	// not invalid, counts as a block the node could catch up with.
	bestHeight    uint64
	shownHeight   int64
	shownValid    wire.Hash
	shownValidAt  uint64 // shownValid's height
	headersSent   time.Time
	wantHeaders   bool // ask again when the outstanding request returns
	headerStrikes int
	hsync         *headerSync // presync of a low-work chain, nil if none

	blocks        map[wire.Hash]struct{} // requested, not yet delivered
	blockProgress time.Time              // last delivery, or first request
	avoid         map[wire.Hash]bool     // do not ask for these: true = peer lacks it, false = it stalled
	stalls        int
	delivered     int // blocks delivered, ever

	txs map[wire.Hash]time.Time // requested transactions
	// txAlso: transactions the peer announced while another peer was
	// asked for them (Core.txAnnouncers), at most maxTxInFlight.
	txAlso map[wire.Hash]struct{}

	compact   bool          // the peer exchanges compact blocks (sendcmpct version 1)
	compactHB bool          // it asked for compact blocks pushed unasked
	partial   *partialBlock // a compact block from the peer being rebuilt, nil if none

	score int

	// For inbound eviction: when the peer last sent a block or a
	// transaction that was new to the node and valid.
	lastBlock time.Time
	lastTx    time.Time
}

// newPeer is a new connection's state; invKey keys its known inventory.
func newPeer(id PeerID, addr string, inbound bool, now time.Time, invKey [32]byte) *peer {
	return &peer{
		id: id, addr: addr, inbound: inbound, connected: now, lastRecv: now,
		addrTokens: 1, addrTokensAt: now, shownHeight: -1,
		knownInv: newKnownHashes(invKey),
		blocks:   make(map[wire.Hash]struct{}),
		avoid:    make(map[wire.Hash]bool),
		txs:      make(map[wire.Hash]time.Time),
		txAlso:   make(map[wire.Hash]struct{}),
	}
}

func (p *peer) handshaken() bool { return p.version != nil && p.verack }

// PeerInfo describes a connected peer (getpeerinfo).
type PeerInfo struct {
	ID             PeerID
	Addr           string
	Inbound        bool
	Version        uint32
	SubVer         string
	StartingHeight uint64 // the height its version claimed
	SyncedHeaders  int64  // best block the peer has shown, -1 if none yet
	SyncedBlocks   int64  // SyncedHeaders capped at our tip's height, -1 if none
	BlocksInFlight int
	BlocksRecv     int // blocks the peer delivered
	BanScore       int
	// AddrProcessed and AddrRateLimited count the addresses the peer sent
	// that its token bucket let through and that it dropped.
	AddrProcessed   int
	AddrRateLimited int
	BytesSent       uint64
	BytesRecv       uint64
	PingTime        time.Duration
	ConnTime        time.Time
}
