package p2p

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"slices"
	"time"

	"powchain/chain"
	"powchain/wire"
)

// ActionKind says what an Action asks the driver to do.
type ActionKind uint8

// Actions.
const (
	// ActSend: write Msg to Peer (never blocking the caller).
	ActSend ActionKind = iota + 1
	// ActDial: open an outbound connection to Addr and report Connected or
	// DialFailed.
	ActDial
	// ActDisconnect: close Peer's connection once the messages sent to it
	// before are written (so a reject reaches the peer it explains; Cause
	// says why, Reason in words). The Core has already forgotten the peer.
	ActDisconnect
	// ActSave: persist State() now: the periodic save of a changed
	// book, or the operator changed the bans.
	ActSave
	// ActValidate: once the actions before it are carried out (the
	// compact blocks pushed to high-bandwidth peers on their way), call
	// Validate, which hands the blocks that were pushed to the chain.
	ActValidate
)

// Action is one output of the Core.
type Action struct {
	Kind   ActionKind
	Peer   PeerID
	Msg    Message
	Addr   string
	Cause  DisconnectCause // ActDisconnect only
	Reason string          // ActDisconnect only: the cause in words, for logs
	// Push (ActSend only): Msg is a compact block pushed unasked to a
	// high-bandwidth peer. The driver may drop it if, by the time it
	// would leave, the peer has shown it has the block (ShownBlocks);
	// nothing waits for it.
	Push bool
}

// DisconnectCause says why the Core dropped a peer.
type DisconnectCause uint8

// Disconnect causes.
const (
	// CauseBanned: the peer broke consensus or the protocol and its
	// address is banned (now, or was already when it connected).
	CauseBanned DisconnectCause = iota + 1
	// CauseMisbehaved: the same from a local address, which is never
	// banned (see Core.ban).
	CauseMisbehaved
	// CauseProtocol: the peer cannot go on (broken framing not worth a
	// ban, a message before the handshake) but earned no ban.
	CauseProtocol
	// CauseRefused: nothing wrong with the peer, but no room for it or no
	// point in it (slots full, duplicate, ourselves, another network, an
	// obsolete version).
	CauseRefused
	// CauseEvicted: an inbound peer made room for a newcomer.
	CauseEvicted
	// CauseTimeout: the handshake, a ping or a requested download timed out.
	CauseTimeout
	// CauseRequested: the operator asked (disconnectnode).
	CauseRequested
)

func (c DisconnectCause) String() string {
	switch c {
	case CauseBanned:
		return "banned"
	case CauseMisbehaved:
		return "misbehaved"
	case CauseProtocol:
		return "protocol"
	case CauseRefused:
		return "refused"
	case CauseEvicted:
		return "evicted"
	case CauseTimeout:
		return "timeout"
	case CauseRequested:
		return "requested"
	}
	return fmt.Sprintf("DisconnectCause(%d)", int(c))
}

// Core is the deterministic P2P state machine: handshakes, liveness,
// discovery, relay, headers-first sync and defences. It has no goroutines,
// locks, clock or I/O: every input carries the time, and every effect on
// the outside is a returned Action, except the synchronous calls into the
// chain and the pool. Given the same inputs, the same chain and pool
// behaviour and the same RandSeed, it returns the same actions.
//
// A Core is not safe for concurrent use; the Server's event loop owns it.
type Core struct {
	cfg    Config
	chain  Chain
	pool   TxPool
	params *chain.Params
	rng    *rand.Rand
	log    *slog.Logger
	nonce  uint64 // our version nonce: detects connections to self
	// groupKey keys the address-group hash of inbound eviction: secret,
	// so an attacker cannot pick addresses that win its protection.
	groupKey [32]byte
	// relayKey keys the choice of peers an address is relayed to
	// (addrrelay.go), secret for the same reason.
	relayKey [32]byte
	// invKey keys the 8-byte hashes peers' known inventory and the
	// recent rejects hold (knownHashes), secret so that nobody can pick
	// hashes that collide.
	invKey [32]byte
	self   string // our advertised listen address, "" if none

	peers   map[PeerID]*peer
	ids     []PeerID // the keys of peers in order; nil when stale (peerIDs)
	book    *addrBook
	dialing map[string]bool
	keep    []string // Connect or AddNode addresses, kept connected
	// getAddrCaches: the getaddr answers, by getAddrCacheKey
	// (addrrelay.go).
	getAddrCaches map[string]*getAddrCache

	// blockReq: the blocks in flight and the peers asked for each, in the
	// order asked (one, or up to maxFetchesPerBlock when high-bandwidth
	// peers that pushed the block are asked for its transactions too).
	// p.blocks holds h exactly when blockReq[h] lists p.
	blockReq map[wire.Hash][]PeerID
	txReq    map[wire.Hash]PeerID // transactions in flight
	// txAnnouncers lists, for a transaction in flight, the other peers
	// that announced it meanwhile, first come first, each holding it in
	// its txAlso: asked in turn if the request fails (relay.go).
	txAnnouncers map[wire.Hash][]PeerID
	// txLost: transactions whose request died with a peer the Core
	// dropped, asked of their next announcers at the next Tick.
	txLost  []wire.Hash
	rejects knownHashes // txids the pool refused, under invKey

	lastAnnounced wire.Hash
	nextSave      time.Time
	// nextRebroadcast: when the pool's unbroadcast transactions (those
	// AnnounceTxs was given that no peer has asked for yet) are announced
	// again (relay.go).
	nextRebroadcast time.Time

	hbPeers []PeerID       // asked for high-bandwidth compact relay, oldest choice first
	pending []pendingBlock // pushed on before validation; Validate processes them
	extra   extraTxs       // recent transactions outside the pool, for compact blocks
	recent  recentBlocks   // blocks near the tip, decoded, with their compact form

	out []Action
}

// NewCore returns a Core for cfg (defaults applied) that advertises
// listenAddr ("" if it accepts no peers), or an error that says what is
// wrong with cfg.
func NewCore(cfg Config, listenAddr string) (*Core, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	c := &Core{
		cfg: cfg, chain: cfg.Chain, pool: cfg.TxPool, params: cfg.Chain.Params(),
		rng:           rand.New(rand.NewPCG(cfg.RandSeed, cfg.RandSeed^0x9e3779b97f4a7c15)),
		log:           cfg.Log,
		self:          listenAddr,
		peers:         make(map[PeerID]*peer),
		book:          newAddrBook(),
		dialing:       make(map[string]bool),
		getAddrCaches: make(map[string]*getAddrCache),
		blockReq:      make(map[wire.Hash][]PeerID),
		txReq:         make(map[wire.Hash]PeerID),
		txAnnouncers:  make(map[wire.Hash][]PeerID),
	}
	c.nonce = c.rng.Uint64() | 1
	c.groupKey = sha256.Sum256(binary.LittleEndian.AppendUint64([]byte("netgroup"), cfg.RandSeed))
	c.relayKey = sha256.Sum256(binary.LittleEndian.AppendUint64([]byte("addrrelay"), cfg.RandSeed))
	c.invKey = sha256.Sum256(binary.LittleEndian.AppendUint64([]byte("knowninv"), cfg.RandSeed))
	c.rejects = newKnownHashes(c.invKey)
	c.lastAnnounced = c.chain.Tip().Hash
	c.addConfiguredAddrs()
	return c, nil
}

// addConfiguredAddrs puts seeds, addnode and connect addresses in the book
// as permanent entries.
func (c *Core) addConfiguredAddrs() {
	var seeds []string
	if !c.restricted() {
		seeds = c.params.Seeds
	}
	c.keep = c.normalized(append(slices.Clone(c.cfg.Connect), c.cfg.AddNode...))
	for _, a := range append(c.normalized(seeds), c.keep...) {
		c.book.add(a, 0, true, "")
		if a == c.self {
			c.book.markSelf(a)
		}
	}
	c.book.dirty = false
}

// restricted: no seeds and no discovery dialing.
func (c *Core) restricted() bool { return len(c.cfg.Connect) > 0 || c.cfg.NoDiscovery }

func (c *Core) normalized(addrs []string) []string {
	var out []string
	for _, a := range addrs {
		if n, err := normalizeAddr(a); err == nil {
			out = append(out, n)
		} else {
			c.log.Warn("ignoring peer address", "addr", a, "err", err)
		}
	}
	return out
}

// flush returns the actions produced by the current input, with the
// announcements batched per peer.
func (c *Core) flush() []Action {
	for _, id := range c.peerIDs() {
		p := c.peers[id]
		for len(p.pendingInv) > 0 {
			n := min(len(p.pendingInv), announceBatchSize)
			c.send(p, &MsgInv{Items: p.pendingInv[:n:n]})
			p.pendingInv = p.pendingInv[n:]
		}
	}
	out := c.out
	c.out = nil
	return out
}

func (c *Core) send(p *peer, m Message) {
	c.out = append(c.out, Action{Kind: ActSend, Peer: p.id, Msg: m})
}

// push sends p compact block m unasked (Action.Push).
func (c *Core) push(p *peer, m *MsgCmpctBlock) {
	c.out = append(c.out, Action{Kind: ActSend, Peer: p.id, Msg: m, Push: true})
}

// peerIDs lists the peers in ID order, so iteration is deterministic. The
// list is kept until a peer comes or goes (every input walks it); it is
// replaced then, never changed, so a caller may remove peers while it
// walks one, and must not change it.
func (c *Core) peerIDs() []PeerID {
	if c.ids == nil {
		c.ids = slices.Sorted(maps.Keys(c.peers))
	}
	return c.ids
}

// RestoreState loads a saved address book and ban list (see State),
// without the addresses a peer could not have given it (shareable).
func (c *Core) RestoreState(data []byte, now time.Time) error {
	err := c.book.restore(data, now, c.shareable)
	c.addConfiguredAddrs()
	return err
}

// State returns the address book and bans for persistence. It is a query:
// the book counts as saved once the Core has asked for the save (ActSave).
func (c *Core) State() ([]byte, error) {
	return c.book.marshal()
}

// requestSave asks the driver to persist State now; from here on the book
// counts as saved, so only later changes make it dirty again.
func (c *Core) requestSave() {
	c.book.dirty = false
	c.out = append(c.out, Action{Kind: ActSave})
}

// Start begins: it dials the first peers.
func (c *Core) Start(now time.Time) []Action {
	c.nextSave = now.Add(c.cfg.SaveInterval)
	c.nextRebroadcast = now.Add(c.cfg.RebroadcastInterval)
	c.maintainOutbound(now)
	return c.flush()
}

// Connected reports a new connection: inbound from addr, or outbound to
// addr after an ActDial. local is the node's end of it (host:port, or
// just the host; "" if unknown), whose IP keys the getaddr answer cache.
func (c *Core) Connected(now time.Time, id PeerID, addr string, inbound bool, local string) []Action {
	if !inbound {
		delete(c.dialing, addr)
	}
	p := newPeer(id, addr, inbound, now, c.invKey)
	p.local = local
	c.peers[id] = p
	c.ids = nil
	switch {
	case c.book.banned(addr, now):
		c.disconnect(p, CauseBanned, "banned")
	case inbound && c.countPeers(true) > c.cfg.maxInbound() && !c.evictInbound(p):
		c.disconnect(p, CauseRefused, "inbound slots full")
	case len(c.peers) > c.cfg.MaxPeers:
		c.disconnect(p, CauseRefused, "too many peers")
	case !inbound:
		c.book.attempt(addr, now)
		c.sendVersion(p, now)
	}
	return c.flush()
}

// DialFailed reports that an ActDial failed.
func (c *Core) DialFailed(now time.Time, addr string, err error) []Action {
	delete(c.dialing, addr)
	c.book.failed(addr)
	c.log.Debug("dial failed", "addr", addr, "err", err)
	return c.flush()
}

// Disconnected reports that a connection closed, for whatever reason.
func (c *Core) Disconnected(now time.Time, id PeerID, err error) []Action {
	if p := c.peers[id]; p != nil {
		c.log.Debug("peer closed the connection", "peer", id, "addr", p.addr, "err", err)
		c.removePeer(p, now)
	}
	return c.flush()
}

// ProtocolViolation reports that peer id broke the framing or encoding
// rules; its connection cannot continue.
func (c *Core) ProtocolViolation(now time.Time, id PeerID, err *ProtocolError) []Action {
	if p := c.peers[id]; p != nil {
		if err.Ban {
			c.ban(p, now, err.Reason)
		} else {
			c.disconnect(p, CauseProtocol, err.Reason)
		}
	}
	return c.flush()
}

func (c *Core) countPeers(inbound bool) int {
	n := 0
	for _, p := range c.peers {
		if p.inbound == inbound {
			n++
		}
	}
	return n
}

// disconnect forgets p and tells the driver to close its connection.
func (c *Core) disconnect(p *peer, cause DisconnectCause, reason string) {
	if c.peers[p.id] == nil {
		return
	}
	c.log.Info("disconnecting peer", "peer", p.id, "addr", p.addr, "cause", cause, "reason", reason)
	c.out = append(c.out, Action{Kind: ActDisconnect, Peer: p.id, Cause: cause, Reason: reason})
	c.removePeer(p, time.Time{})
}

// removePeer forgets p and hands its requests to other peers.
func (c *Core) removePeer(p *peer, now time.Time) {
	delete(c.peers, p.id)
	c.ids = nil
	if !p.inbound {
		if p.handshaken() {
			c.book.good(p.addr, p.lastRecv)
		} else {
			c.book.failed(p.addr)
		}
	}
	hadBlocks := len(p.blocks) > 0
	for h := range p.blocks {
		c.dropRequest(p, h)
	}
	for h := range p.txAlso { // any order: each is taken out of one list
		c.forgetAnnouncer(p, h)
	}
	c.txFailed(p, now, sortedHashes(p.txs))
	if i := slices.Index(c.hbPeers, p.id); i >= 0 {
		c.hbPeers = slices.Delete(c.hbPeers, i, i+1)
	}
	if hadBlocks && !now.IsZero() {
		c.fillDownloads(now)
	}
}

// removeFromList takes id out of the list lists[h], and h out of lists
// when that leaves it empty.
func removeFromList(lists map[wire.Hash][]PeerID, h wire.Hash, id PeerID) {
	ids := slices.DeleteFunc(lists[h], func(x PeerID) bool { return x == id })
	if len(ids) == 0 {
		delete(lists, h)
		return
	}
	lists[h] = ids
}

// misbehave adds to p's score and bans it at banScore.
func (c *Core) misbehave(p *peer, now time.Time, score int, reason string) {
	p.score += score
	if p.score >= banScore {
		c.ban(p, now, reason)
	}
}

// unrequested scores data p sent without being asked; it reports whether
// p is still connected. Some slack is needed: a block re-requested from
// another peer after a stall may still arrive from the first.
func (c *Core) unrequested(p *peer, now time.Time, reason string) bool {
	c.misbehave(p, now, unrequestedScore, reason)
	return c.peers[p.id] != nil
}

// ban bans p's host for BanDuration and disconnects it. A local host
// (loopback) is only disconnected: every node on the machine shares its
// address, so banning it would cut them all off for one process's fault.
// The ban is saved with the book at its next periodic save (Tick), not at
// once: a save writes and syncs the whole file on the driver's loop, and
// a ban costs a stranger no more than a connection from a fresh address.
func (c *Core) ban(p *peer, now time.Time, reason string) {
	if isLocalAddr(p.addr) {
		c.log.Warn("disconnecting misbehaving local peer (local addresses are never banned)",
			"peer", p.id, "addr", p.addr, "reason", reason)
		c.disconnect(p, CauseMisbehaved, "misbehaving: "+reason)
		return
	}
	c.log.Warn("banning peer", "peer", p.id, "addr", p.addr, "reason", reason)
	c.book.ban(p.addr, now.Add(c.cfg.BanDuration), reason, false)
	c.disconnect(p, CauseBanned, "banned: "+reason)
}

// Receive handles one message from peer id.
func (c *Core) Receive(now time.Time, id PeerID, m Message) []Action {
	p := c.peers[id]
	if p == nil {
		return c.flush()
	}
	p.lastRecv = now
	switch {
	case m.Type() == TypeVersion:
		c.handleVersion(p, now, m.(*MsgVersion))
	case m.Type() == TypeVerAck:
		c.handleVerAck(p, now)
	case !p.handshaken():
		c.disconnect(p, CauseProtocol, m.Type().String()+" before the handshake")
	default:
		c.dispatch(p, now, m)
	}
	return c.flush()
}

func (c *Core) dispatch(p *peer, now time.Time, m Message) {
	switch m := m.(type) {
	case *MsgPing:
		c.send(p, &MsgPong{Nonce: m.Nonce})
	case *MsgPong:
		if m.Nonce == p.pingNonce && p.pingNonce != 0 {
			p.pingTime = now.Sub(p.pingSent)
			if p.minPing <= 0 || p.pingTime < p.minPing {
				p.minPing = p.pingTime
			}
			p.pingNonce = 0
		}
	case *MsgInv:
		c.handleInv(p, now, m.Items)
	case *MsgGetData:
		c.handleGetData(p, m.Items)
	case *MsgNotFound:
		c.handleNotFound(p, now, m.Items)
	case *MsgTx:
		c.handleTx(p, now, m.Tx)
	case *MsgBlock:
		c.handleBlock(p, now, m.Block)
	case *MsgGetHeaders:
		c.handleGetHeaders(p, m)
	case *MsgHeaders:
		c.handleHeaders(p, now, m.Headers)
	case *MsgSendHeaders:
		p.sendHeaders = true
	case *MsgAnnounce:
		c.handleAnnounce(p, now, m.Headers)
	case *MsgSendCmpct:
		c.handleSendCmpct(p, m)
	case *MsgCmpctBlock:
		c.handleCmpctBlock(p, now, m)
	case *MsgGetBlockTxn:
		c.handleGetBlockTxn(p, now, m)
	case *MsgBlockTxn:
		c.handleBlockTxn(p, now, m)
	case *MsgGetAddr:
		c.handleGetAddr(p, now)
	case *MsgAddr:
		c.handleAddr(p, now, m.Addrs)
	case *MsgReject:
		c.log.Debug("peer rejected a message", "peer", p.id, "msg", m.Message, "code", m.Code, "reason", m.Reason)
	}
}

func (c *Core) sendVersion(p *peer, now time.Time) {
	c.send(p, &MsgVersion{
		Network: c.params.Name, Genesis: c.params.GenesisHash, ProtocolVersion: ProtocolVersion,
		BestHeight: c.chain.Tip().Height, UserAgent: c.cfg.UserAgent, ListenAddr: c.self,
		Nonce: c.nonce, Timestamp: now.Unix(),
	})
}

func (c *Core) handleVersion(p *peer, now time.Time, v *MsgVersion) {
	switch {
	case p.version != nil:
		c.ban(p, now, "second version message")
		return
	case v.Network != c.params.Name || v.Genesis != c.params.GenesisHash:
		c.book.remove(p.addr)
		c.disconnect(p, CauseRefused, "peer is on network "+v.Network)
		return
	case v.ProtocolVersion < MinProtocolVersion:
		c.disconnect(p, CauseRefused, "obsolete protocol version")
		return
	case v.Nonce == c.nonce:
		c.book.markSelf(p.addr)
		c.disconnect(p, CauseRefused, "connected to self")
		return
	}
	if !c.resolveDuplicate(p, v.Nonce) {
		return
	}
	p.version = v
	p.bestHeight = v.BestHeight
	p.listenAddr = c.peerListenAddr(p, v.ListenAddr)
	if p.inbound {
		c.sendVersion(p, now)
	}
	c.send(p, &MsgVerAck{})
	if p.verack {
		c.handshakeDone(p, now)
	}
}

// resolveDuplicate handles a second connection to the node whose version
// nonce is nonce (two nodes that dialed each other at the same moment).
// Both ends must drop the same connection: if the two go opposite ways, the
// one dialed by the node with the smaller nonce stays; if they go the same
// way, the older one stays. Connections from different hosts are not
// duplicates, and both stay: a node sends its nonce to every peer, so
// anyone can claim it, and dropping either would let whoever does cut the
// node's connection to that node, or, holding the claim first, keep the
// node from connecting to it at all. It reports whether p stays.
func (c *Core) resolveDuplicate(p *peer, nonce uint64) bool {
	for _, id := range c.peerIDs() {
		old := c.peers[id]
		if old == p || old.version == nil || old.version.Nonce != nonce || hostKey(p.addr) != hostKey(old.addr) {
			continue
		}
		keepOutbound := c.nonce < nonce
		if p.inbound == old.inbound || p.inbound == keepOutbound {
			c.disconnect(p, CauseRefused, "duplicate connection")
			return false
		}
		c.disconnect(old, CauseRefused, "duplicate connection")
		return true
	}
	return true
}

// peerListenAddr is where p accepts connections: the address we dialed, or
// the one it advertises with an unspecified host replaced by the one it
// connects from.
func (c *Core) peerListenAddr(p *peer, advertised string) string {
	if !p.inbound {
		return p.addr
	}
	host, port, err := net.SplitHostPort(advertised)
	if err != nil {
		return ""
	}
	if h := hostKey(host); h == "" || h == "0.0.0.0" || h == "::" {
		host = hostKey(p.addr)
	}
	addr, err := normalizeAddr(net.JoinHostPort(host, port))
	if err != nil {
		return ""
	}
	return addr
}

func (c *Core) handleVerAck(p *peer, now time.Time) {
	if p.verack {
		c.misbehave(p, now, 10, "second verack")
		return
	}
	p.verack = true
	if p.version != nil {
		c.handshakeDone(p, now)
	}
}

// handshakeDone starts the exchange with a peer whose handshake completed:
// address discovery, headers sync and keepalive.
func (c *Core) handshakeDone(p *peer, now time.Time) {
	c.log.Info("peer connected", "peer", p.id, "addr", p.addr, "inbound", p.inbound,
		"agent", p.version.UserAgent, "height", p.version.BestHeight)
	p.nextPing = now.Add(c.cfg.PingInterval)
	if !p.inbound {
		c.book.good(p.addr, now)
		c.requestAddrs(p)
	} else if p.listenAddr != "" && p.listenAddr != c.self && c.shareable(p.listenAddr) {
		p.knownAddrs.add(c.addrKey(p.listenAddr), maxKnownAddrs)
		c.book.add(p.listenAddr, now.Unix(), false, spreadGroup(p.addr))
		c.relayAddrs(p, now, []NetAddress{{Addr: p.listenAddr, LastSeen: now.Unix()}})
	}
	if c.cfg.Relay != RelayFull {
		c.send(p, &MsgSendHeaders{})
	}
	if c.cfg.Relay == RelayCompact {
		c.send(p, &MsgSendCmpct{HighBandwidth: false, Version: CompactVersion})
	}
	c.requestHeaders(p, now, c.bestHeaderParent())
}

// bestHeaderParent is where the first getheaders to a peer starts (nil on
// a chain of genesis only): the best header's parent, as Bitcoin Core's
// does, so that a peer on the same chain answers with the best header at
// least, and so shows it has it (synced_headers) even when no block comes.
func (c *Core) bestHeaderParent() *wire.Hash {
	best := c.chain.BestHeader()
	if best.Height == 0 {
		return nil
	}
	return &best.Header.PrevBlock
}

// Tick drives every timeout: handshake, idle, keepalive, stalls; expires
// bans; keeps the outbound peers; saves the book now and then.
func (c *Core) Tick(now time.Time) []Action {
	for _, id := range c.peerIDs() {
		if p := c.peers[id]; p != nil {
			c.checkPeer(p, now)
		}
	}
	if lost := c.txLost; len(lost) > 0 {
		c.txLost = nil
		c.askNextAnnouncers(now, lost)
	}
	c.book.expireBans(now)
	if !now.Before(c.nextRebroadcast) {
		c.rebroadcast(now)
	}
	c.maintainOutbound(now)
	c.fillDownloads(now)
	if c.book.dirty && !now.Before(c.nextSave) {
		c.nextSave = now.Add(c.cfg.SaveInterval)
		c.requestSave()
	}
	return c.flush()
}

func (c *Core) checkPeer(p *peer, now time.Time) {
	switch {
	case !p.handshaken() && now.Sub(p.connected) > c.cfg.HandshakeTimeout:
		c.disconnect(p, CauseTimeout, "handshake timeout")
		return
	case now.Sub(p.lastRecv) > c.cfg.IdleTimeout:
		c.disconnect(p, CauseTimeout, "idle timeout")
		return
	case !p.handshaken():
		return
	}
	if p.pingNonce == 0 && !now.Before(p.nextPing) {
		p.pingNonce = c.rng.Uint64() | 1
		p.pingSent = now
		p.nextPing = now.Add(c.cfg.PingInterval)
		c.send(p, &MsgPing{Nonce: p.pingNonce})
	}
	if !p.headersSent.IsZero() && now.Sub(p.headersSent) > c.cfg.StallTimeout {
		p.headersSent = time.Time{}
		c.stalled(p, now, "headers")
		if c.peers[p.id] == nil {
			return
		}
	}
	if len(p.blocks) > 0 && now.Sub(p.blockProgress) > c.cfg.StallTimeout {
		c.stalled(p, now, "blocks")
	}
	var expired []wire.Hash
	for h, t := range p.txs {
		if now.Sub(t) > c.cfg.StallTimeout {
			expired = append(expired, h)
		}
	}
	slices.SortFunc(expired, func(a, b wire.Hash) int { return bytes.Compare(a[:], b[:]) }) // others are asked in order
	c.txFailed(p, now, expired)
}

// stalled takes p's block requests away (they go to other peers first) and
// disconnects it after MaxStalls.
func (c *Core) stalled(p *peer, now time.Time, what string) {
	p.stalls++
	c.log.Info("peer stalled", "peer", p.id, "addr", p.addr, "what", what, "stalls", p.stalls)
	p.partial = nil
	for _, h := range sortedHashes(p.blocks) { // sorted: avoidBlock is capped
		c.dropRequest(p, h)
		c.avoidBlock(p, h, false)
	}
	if p.stalls >= c.cfg.MaxStalls {
		c.disconnect(p, CauseTimeout, "stalled")
	}
}

func (c *Core) avoidBlock(p *peer, h wire.Hash, lacks bool) {
	if len(p.avoid) < maxAvoid || p.avoid[h] {
		p.avoid[h] = lacks || p.avoid[h]
	}
}

// maintainOutbound dials the kept addresses and, unless Connect restricts
// the node, enough discovered ones to reach TargetOutbound. It runs on
// every tick and every addr that taught the node something, so the common
// case, every kept address connected and the outbound slots full, returns
// before building anything.
func (c *Core) maintainOutbound(now time.Time) {
	for _, a := range c.keep {
		if !c.busy(a) && c.dialable(a, now) {
			c.dial(a, now)
		}
	}
	if c.restricted() {
		return
	}
	outbound := len(c.dialing) + c.countPeers(false)
	room := func() bool {
		return outbound < c.cfg.TargetOutbound && len(c.peers)+len(c.dialing) < c.cfg.MaxPeers
	}
	if !room() {
		return
	}
	busy, groups := c.busyAddrs(), c.outboundGroups()
	var cands []string
	for _, a := range c.book.sortedAddrs() {
		if !busy[a] && c.dialable(a, now) {
			cands = append(cands, a)
		}
	}
	for room() && len(cands) > 0 {
		i := c.rng.IntN(len(cands))
		a := cands[i]
		cands = slices.Delete(cands, i, i+1)
		if g := c.dialGroup(a); g != "" {
			if groups[g] {
				continue
			}
			groups[g] = true
		}
		c.dial(a, now)
		outbound++
	}
}

// outboundGroups are the dialGroups of the outbound connections and
// dials: discovery makes one per group, so that one operator's addresses
// in the book win at most one outbound slot.
func (c *Core) outboundGroups() map[string]bool {
	groups := make(map[string]bool)
	for a := range c.dialing {
		groups[c.dialGroup(a)] = true
	}
	for _, p := range c.peers {
		if !p.inbound {
			groups[c.dialGroup(p.addr)] = true
		}
	}
	return groups
}

// dialGroup is the group of a that discovery dials at most one of: its
// spreadGroup (every host name in one), except that the addresses the
// operator configured (seeds, addnode, connect) are exempt ("").
func (c *Core) dialGroup(a string) string {
	if e := c.book.entries[a]; e != nil && e.permanent {
		return ""
	}
	return spreadGroup(a)
}

// busy reports whether a is connected or being dialed.
func (c *Core) busy(a string) bool {
	if c.dialing[a] {
		return true
	}
	for _, p := range c.peers {
		if p.addr == a || p.listenAddr == a {
			return true
		}
	}
	return false
}

// busyAddrs are the addresses connected or being dialed.
func (c *Core) busyAddrs() map[string]bool {
	busy := make(map[string]bool, len(c.peers)+len(c.dialing))
	for a := range c.dialing {
		busy[a] = true
	}
	for _, p := range c.peers {
		busy[p.addr] = true
		if p.listenAddr != "" {
			busy[p.listenAddr] = true
		}
	}
	return busy
}

func (c *Core) dialable(a string, now time.Time) bool {
	e := c.book.entries[a]
	return e != nil && !e.self && a != c.self && !c.book.banned(a, now) &&
		!now.Before(e.retryAt(c.cfg.RetryBase, c.cfg.RetryMax))
}

func (c *Core) dial(a string, now time.Time) {
	c.dialing[a] = true
	c.book.attempt(a, now)
	c.out = append(c.out, Action{Kind: ActDial, Addr: a})
}

// ---- Local events and administration (the Server calls these on its loop) ----

// ChainChanged reports that the best chain changed. The new tip is
// announced, unless the node is still downloading blocks, and the
// transactions of disconnected blocks that are back in the pool are
// announced again, so a reorganisation's losers reach every mempool; so
// are the orphans the new blocks unlocked (TxPool.AdmitMinedOrphans).
// The tip's transactions still in flight will not be asked of their other
// announcers (forgetConfirmed).
func (c *Core) ChainChanged(now time.Time, disconnectedTxs []wire.Hash) []Action {
	tip := c.chain.Tip()
	if tip.Hash != c.lastAnnounced && tip.ChainWork.Cmp(c.chain.BestHeader().ChainWork) >= 0 {
		c.lastAnnounced = tip.Hash
		c.announceBlock(tip)
	}
	c.forgetConfirmed(tip.Hash)
	for _, txid := range disconnectedTxs {
		if c.pool.Knows(txid) {
			c.announce(InvVect{Type: InvTx, Hash: txid}, nil)
		}
	}
	for _, txid := range c.pool.AdmitMinedOrphans() {
		c.announce(InvVect{Type: InvTx, Hash: txid}, nil)
	}
	c.fillDownloads(now)
	return c.flush()
}

// AnnounceTxs announces transactions the node accepted by other means
// (RPC) to the peers that lack them, and again to the peers that come
// later until one asks for them (rebroadcast).
func (c *Core) AnnounceTxs(now time.Time, txids []wire.Hash) []Action {
	c.pool.SetUnbroadcast(txids)
	for _, txid := range txids {
		c.announce(InvVect{Type: InvTx, Hash: txid}, nil)
	}
	return c.flush()
}

// AddNode adds addr to the kept addresses and dials it; added is false,
// and nothing done, when it is kept already (given by Connect or AddNode,
// or added before).
func (c *Core) AddNode(now time.Time, addr string) (acts []Action, added bool, err error) {
	a, err := normalizeAddr(addr)
	if err != nil {
		return nil, false, err
	}
	if slices.Contains(c.keep, a) {
		return c.flush(), false, nil
	}
	c.keep = append(c.keep, a)
	c.book.add(a, 0, true, "")
	if e := c.book.entries[a]; e != nil {
		e.lastAttempt = time.Time{}
	}
	c.maintainOutbound(now)
	return c.flush(), true, nil
}

// RemoveNode stops keeping addr connected (it stays in the book); found
// says whether it was kept.
func (c *Core) RemoveNode(now time.Time, addr string) (acts []Action, found bool) {
	a, err := normalizeAddr(addr)
	if err != nil {
		return c.flush(), false
	}
	i := slices.Index(c.keep, a)
	if i < 0 {
		return c.flush(), false
	}
	c.keep = slices.Delete(c.keep, i, i+1)
	return c.flush(), true
}

// DisconnectPeer disconnects the peer with this ID or remote address.
func (c *Core) DisconnectPeer(now time.Time, id PeerID, addr string) ([]Action, bool) {
	found := false
	for _, pid := range c.peerIDs() {
		if p := c.peers[pid]; p.id == id || (addr != "" && (p.addr == addr || p.listenAddr == addr)) {
			c.disconnect(p, CauseRequested, "disconnectnode")
			found = true
		}
	}
	return c.flush(), found
}

// SetBan bans host (an IP or name, with or without port) until now+d
// (BanDuration if d is 0) and disconnects its peers.
func (c *Core) SetBan(now time.Time, host string, d time.Duration, reason string) []Action {
	if d <= 0 {
		d = c.cfg.BanDuration
	}
	c.book.ban(host, now.Add(d), reason, true)
	for _, id := range c.peerIDs() {
		if p := c.peers[id]; hostKey(p.addr) == hostKey(host) {
			c.disconnect(p, CauseBanned, "banned: "+reason)
		}
	}
	c.requestSave()
	return c.flush()
}

// Unban lifts the ban on host; found says whether there was one.
func (c *Core) Unban(now time.Time, host string) (acts []Action, found bool) {
	ok := c.book.unban(host)
	if ok {
		c.requestSave()
	}
	return c.flush(), ok
}

// ClearBans lifts every ban.
func (c *Core) ClearBans(now time.Time) []Action {
	for h := range c.book.bans {
		c.book.unban(h)
	}
	c.requestSave()
	return c.flush()
}

// Bans lists the bans in force at now. It is a query: expired bans are
// left for Tick to remove.
func (c *Core) Bans(now time.Time) []BanInfo {
	return slices.DeleteFunc(c.book.banList(), func(b BanInfo) bool { return !now.Before(b.Until) })
}

// Peers describes the connected peers whose handshake completed, by ID.
func (c *Core) Peers() []PeerInfo {
	tip := c.chain.Tip().Height
	var out []PeerInfo
	for _, id := range c.peerIDs() {
		p := c.peers[id]
		if !p.handshaken() {
			continue
		}
		out = append(out, PeerInfo{
			ID: p.id, Addr: p.addr, Inbound: p.inbound, Version: p.version.ProtocolVersion,
			SubVer: p.version.UserAgent, StartingHeight: p.version.BestHeight,
			SyncedHeaders: p.shownHeight, SyncedBlocks: min(p.shownHeight, int64(tip)),
			BlocksInFlight: len(p.blocks), BlocksRecv: p.delivered, BanScore: p.score,
			AddrProcessed: p.addrProcessed, AddrRateLimited: p.addrRateLimited,
			PingTime: p.pingTime, ConnTime: p.connected,
		})
	}
	return out
}

// SyncInfo summarises download progress.
type SyncInfo struct {
	// PeersBestHeight is the highest block any peer has shown (not
	// claimed) that the node does not hold invalid: one it holds invalid
	// is nothing to catch up with, and any peer can announce one.
	PeersBestHeight uint64
	BlocksInFlight  int
	Peers           int // peers whose handshake completed
}

// SyncInfo reports download progress.
func (c *Core) SyncInfo() SyncInfo {
	var s SyncInfo
	for _, p := range c.peers {
		if !p.handshaken() {
			continue
		}
		s.Peers++
		if p.shownValid == (wire.Hash{}) || p.shownValidAt <= s.PeersBestHeight {
			continue
		}
		if info, ok := c.chain.BlockInfoByHash(p.shownValid); ok && !info.Invalid {
			s.PeersBestHeight = info.Height
		}
	}
	s.BlocksInFlight = len(c.blockReq)
	return s
}

// KnownAddrs lists the address book (not self), sorted.
func (c *Core) KnownAddrs() []string {
	var out []string
	for _, a := range c.book.sortedAddrs() {
		if !c.book.entries[a].self {
			out = append(out, a)
		}
	}
	return out
}

// sortedHashes returns the keys of set in byte order, for deterministic
// iteration.
func sortedHashes[V any](set map[wire.Hash]V) []wire.Hash {
	hs := make([]wire.Hash, 0, len(set))
	for h := range set {
		hs = append(hs, h)
	}
	slices.SortFunc(hs, func(a, b wire.Hash) int { return bytes.Compare(a[:], b[:]) })
	return hs
}
