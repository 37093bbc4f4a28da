package p2p

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/mempool"
	"powchain/mempool/mempooltest"
	"powchain/wire"
)

// coreHarness drives a Core directly, on a real chain and pool, with a
// hand-set clock.
type coreHarness struct {
	t      testing.TB
	chain  *chain.Chain
	pool   *mempool.Pool
	core   *Core
	now    time.Time
	params *chain.Params
}

var coreStart = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func newCoreHarness(t testing.TB, mod func(*Config)) *coreHarness {
	t.Helper()
	return newCoreHarnessOn(t, testParams(), mod)
}

// newCoreHarnessOn is newCoreHarness on a network of params.
func newCoreHarnessOn(t testing.TB, params *chain.Params, mod func(*Config)) *coreHarness {
	t.Helper()
	c, pool := mempooltest.Open(t, params, chaintest.NewClock(genesisTime.Add(24*time.Hour)), nil)
	cfg := Config{Chain: c, TxPool: pool, RandSeed: 1, NoDiscovery: true}
	if mod != nil {
		mod(&cfg)
	}
	core, err := NewCore(cfg, "10.0.0.1:9444")
	if err != nil {
		t.Fatal(err)
	}
	return &coreHarness{t: t, chain: c, pool: pool, core: core, now: coreStart, params: params}
}

func (h *coreHarness) version(nonce, height uint64) *MsgVersion {
	return &MsgVersion{Network: h.params.Name, Genesis: h.params.GenesisHash, ProtocolVersion: ProtocolVersion,
		BestHeight: height, Nonce: nonce, ListenAddr: "0.0.0.0:9555"}
}

// connect completes the handshake of a new inbound peer.
func (h *coreHarness) connect(id PeerID, height uint64) []Action {
	h.core.Connected(h.now, id, fmt.Sprintf("10.1.0.%d:5000", id), true, "")
	acts := h.core.Receive(h.now, id, h.version(uint64(id)+100, height))
	return append(acts, h.core.Receive(h.now, id, &MsgVerAck{})...)
}

// sent returns the messages of acts sent to id, by type.
func sent(acts []Action, id PeerID) []Message {
	var out []Message
	for _, a := range acts {
		if a.Kind == ActSend && a.Peer == id {
			out = append(out, a.Msg)
		}
	}
	return out
}

func types(msgs []Message) []MsgType {
	var out []MsgType
	for _, m := range msgs {
		out = append(out, m.Type())
	}
	return out
}

// droppedFor returns why acts disconnect id, or 0 if they don't.
func droppedFor(acts []Action, id PeerID) DisconnectCause {
	for _, a := range acts {
		if a.Kind == ActDisconnect && a.Peer == id {
			return a.Cause
		}
	}
	return 0
}

func hasKind(acts []Action, k ActionKind, id PeerID) bool {
	for _, a := range acts {
		if a.Kind == k && a.Peer == id {
			return true
		}
	}
	return false
}

func TestCoreOutboundHandshake(t *testing.T) {
	h := newCoreHarness(t, func(c *Config) { c.Connect = []string{"10.2.0.1:9444"} })
	acts := h.core.Start(h.now)
	if len(acts) != 1 || acts[0].Kind != ActDial || acts[0].Addr != "10.2.0.1:9444" {
		t.Fatalf("start: %+v, want one dial", acts)
	}
	acts = h.core.Connected(h.now, 1, "10.2.0.1:9444", false, "")
	if got := types(sent(acts, 1)); len(got) != 1 || got[0] != TypeVersion {
		t.Fatalf("connected: sent %v, want version", got)
	}
	acts = h.core.Receive(h.now, 1, h.version(7, 0))
	if got := types(sent(acts, 1)); len(got) != 1 || got[0] != TypeVerAck {
		t.Fatalf("version: sent %v, want verack", got)
	}
	acts = h.core.Receive(h.now, 1, &MsgVerAck{})
	if got := fmt.Sprint(types(sent(acts, 1))); got != "[getaddr sendheaders sendcmpct getheaders]" {
		t.Fatalf("verack: sent %v, want getaddr, sendheaders, sendcmpct and getheaders", got)
	}
	if len(h.core.Peers()) != 1 {
		t.Fatal("peer not listed after the handshake")
	}
}

func TestCoreInboundHandshakeAdvertisesListenAddress(t *testing.T) {
	h := newCoreHarness(t, nil)
	acts := h.connect(1, 0)
	if got := fmt.Sprint(types(sent(acts, 1))); got != "[version verack sendheaders sendcmpct getheaders]" {
		t.Fatalf("sent %v", got)
	}
	// The peer advertised 0.0.0.0:9555: it is reachable at its own host.
	if got := h.core.KnownAddrs(); len(got) != 1 || got[0] != "10.1.0.1:9555" {
		t.Fatalf("address book %v, want the peer's listen address", got)
	}
}

func TestCoreRefusesBadVersions(t *testing.T) {
	h := newCoreHarness(t, nil)
	cases := []func(v *MsgVersion){
		func(v *MsgVersion) { v.Nonce = h.core.nonce },   // self
		func(v *MsgVersion) { v.Network = "other" },      // network
		func(v *MsgVersion) { v.Genesis = wire.Hash{1} }, // genesis
		func(v *MsgVersion) { v.ProtocolVersion = 0 },    // obsolete
	}
	for i, mod := range cases {
		id := PeerID(i + 1)
		h.core.Connected(h.now, id, "10.1.0.9:5000", true, "")
		v := h.version(99, 0)
		mod(v)
		if acts := h.core.Receive(h.now, id, v); droppedFor(acts, id) != CauseRefused {
			t.Errorf("case %d: not refused: %+v", i, acts)
		}
	}
	if len(h.core.Bans(h.now)) != 0 {
		t.Error("a mismatched version is no reason to ban")
	}
}

func TestCoreTimeouts(t *testing.T) {
	h := newCoreHarness(t, func(c *Config) {
		c.HandshakeTimeout = 5 * time.Second
		c.PingInterval = 10 * time.Second
		c.IdleTimeout = 30 * time.Second
	})
	h.core.Connected(h.now, 1, "10.1.0.1:5000", true, "")
	h.connect(2, 0)
	acts := h.core.Tick(h.now.Add(6 * time.Second))
	if droppedFor(acts, 1) != CauseTimeout || hasKind(acts, ActDisconnect, 2) {
		t.Fatalf("after 6s: %+v, want only the silent peer dropped", acts)
	}
	acts = h.core.Tick(h.now.Add(11 * time.Second))
	ping, ok := sent(acts, 2)[0].(*MsgPing)
	if !ok {
		t.Fatalf("no ping after the interval: %+v", acts)
	}
	h.core.Receive(h.now.Add(12*time.Second), 2, &MsgPong{Nonce: ping.Nonce})
	if pt := h.core.Peers()[0].PingTime; pt != time.Second {
		t.Fatalf("ping time %v, want 1s", pt)
	}
	if acts := h.core.Tick(h.now.Add(41 * time.Second)); hasKind(acts, ActDisconnect, 2) {
		t.Fatal("dropped a peer that answered 29s ago")
	}
	if acts := h.core.Tick(h.now.Add(43 * time.Second)); droppedFor(acts, 2) != CauseTimeout {
		t.Fatal("idle peer not dropped")
	}
}

// Blocks are spread over the peers, and a stalled request moves to another.
func TestCoreParallelDownloadAndStall(t *testing.T) {
	h := newCoreHarness(t, func(c *Config) {
		c.MaxBlocksInFlight = 4
		c.StallTimeout = 5 * time.Second
		c.MaxStalls = 1
	})
	g := chaintest.NewGenerator(t, h.params)
	blocks := buildChain(g, "b", 20)
	h.connect(1, 20)
	h.connect(2, 20)
	var headers []wire.BlockHeader
	for _, b := range blocks {
		headers = append(headers, b.Header)
	}
	h.core.Receive(h.now, 2, &MsgHeaders{}) // peer 2 answers the getheaders of its handshake
	acts := h.core.Receive(h.now, 1, &MsgHeaders{Headers: headers})
	req := map[PeerID]int{}
	for _, a := range acts {
		if gd, ok := a.Msg.(*MsgGetData); ok {
			req[a.Peer] += len(gd.Items)
		}
	}
	if req[1] != 4 || req[2] != 4 {
		t.Fatalf("requests per peer %v, want 4 each", req)
	}
	// Peer 2 delivers all it is asked for; peer 1 stalls and is dropped,
	// and its blocks go to peer 2.
	byHash := map[wire.Hash]*wire.Block{}
	for _, b := range blocks {
		byHash[b.BlockHash()] = b
	}
	pending := getData(acts, 2)
	for len(pending) > 0 {
		b := byHash[pending[0]]
		pending = append(pending[1:], getData(h.core.Receive(h.now.Add(time.Second), 2, &MsgBlock{Block: b}), 2)...)
	}
	acts = h.core.Tick(h.now.Add(6 * time.Second))
	if droppedFor(acts, 1) != CauseTimeout {
		t.Fatalf("staller not dropped: %+v", acts)
	}
	moved := getData(acts, 2)
	if len(moved) == 0 || moved[0] != blocks[0].BlockHash() {
		t.Fatalf("stalled blocks not re-requested from peer 2: %v", moved)
	}
}

// getData lists the hashes requested from id.
func getData(acts []Action, id PeerID) []wire.Hash {
	var out []wire.Hash
	for _, m := range sent(acts, id) {
		if gd, ok := m.(*MsgGetData); ok {
			for _, iv := range gd.Items {
				out = append(out, iv.Hash)
			}
		}
	}
	return out
}

// Nothing is announced back to the peer it came from, nor twice.
func TestCoreAnnouncesOnce(t *testing.T) {
	h := newCoreHarness(t, nil)
	h.connect(1, 0)
	h.connect(2, 0)
	g := chaintest.NewGenerator(t, h.params)
	b := g.NextBlock("b1", nil)
	h.core.Receive(h.now, 1, &MsgInv{Items: []InvVect{{Type: InvBlock, Hash: b.BlockHash()}}})
	h.core.Receive(h.now, 1, &MsgHeaders{Headers: []wire.BlockHeader{b.Header}})
	h.core.Receive(h.now, 1, &MsgBlock{Block: b})
	acts := h.core.ChainChanged(h.now, nil)
	if len(sent(acts, 1)) != 0 {
		t.Errorf("echoed the block to its sender: %v", types(sent(acts, 1)))
	}
	if got := types(sent(acts, 2)); len(got) != 1 || got[0] != TypeInv {
		t.Errorf("peer 2 got %v, want one inv", got)
	}
	if acts := h.core.ChainChanged(h.now, nil); len(acts) != 0 {
		t.Errorf("announced twice: %+v", acts)
	}
}

// The same inputs and seed give the same actions.
func TestCoreDeterministic(t *testing.T) {
	run := func() []byte {
		h := newCoreHarness(t, func(c *Config) { c.NoDiscovery = false; c.TargetOutbound = 3 })
		var log bytes.Buffer
		record := func(acts []Action) {
			for _, a := range acts {
				fmt.Fprintf(&log, "%d %d %s %s ", a.Kind, a.Peer, a.Addr, a.Reason)
				if a.Msg != nil {
					f, _ := EncodeFrame(h.params.Magic, a.Msg)
					fmt.Fprintf(&log, "%x", f)
				}
				log.WriteByte('\n')
			}
		}
		record(h.connect(1, 0))
		var addrs []NetAddress
		for i := range 8 {
			addrs = append(addrs, NetAddress{Addr: fmt.Sprintf("10.3.0.%d:9444", i+1), LastSeen: 1})
		}
		record(h.core.Receive(h.now, 1, &MsgAddr{Addrs: addrs}))
		record(h.core.Tick(h.now.Add(time.Minute)))
		record(h.core.Tick(h.now.Add(2 * time.Minute)))
		return log.Bytes()
	}
	a, b := run(), run()
	if !bytes.Equal(a, b) {
		t.Fatalf("two runs differ:\n%s\n---\n%s", a, b)
	}
	if !bytes.Contains(a, []byte("10.3.0.")) {
		t.Fatal("no dial to a learned address")
	}
}

// An orphan transaction makes the node ask its announcer for the parent;
// once both are in, they are announced to the other peers.
func TestCoreFetchesOrphanParents(t *testing.T) {
	h := newCoreHarness(t, nil)
	g := chaintest.NewGenerator(t, h.params)
	if _, err := h.chain.ProcessBlock(g.NextBlock("b1", nil)); err != nil {
		t.Fatal(err)
	}
	parent := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 10_000, 1)
	child := g.SpendTx([]chaintest.SpendableOut{{
		OutPoint: wire.OutPoint{TxID: parent.TxID()}, Amount: parent.Outputs[0].Amount, Key: chaintest.Key(0),
	}}, 10_000, 1)
	h.connect(1, 1)
	h.connect(2, 1)
	acts := h.core.Receive(h.now, 1, &MsgInv{Items: []InvVect{{InvTx, child.TxID()}}})
	if got := getData(acts, 1); len(got) != 1 || got[0] != child.TxID() {
		t.Fatalf("child not requested: %v", got)
	}
	acts = h.core.Receive(h.now, 1, &MsgTx{Tx: child})
	if got := getData(acts, 1); len(got) != 1 || got[0] != parent.TxID() {
		t.Fatalf("parent not requested from the announcer: %v", got)
	}
	acts = h.core.Receive(h.now, 1, &MsgTx{Tx: parent})
	var announced []wire.Hash
	for _, m := range sent(acts, 2) {
		if inv, ok := m.(*MsgInv); ok {
			for _, iv := range inv.Items {
				announced = append(announced, iv.Hash)
			}
		}
	}
	if len(announced) != 2 || announced[0] != parent.TxID() || announced[1] != child.TxID() {
		t.Fatalf("announced %v, want parent then child", announced)
	}
	if len(sent(acts, 1)) != 0 {
		t.Fatal("announced back to the sender")
	}
}

// TestCoreDuplicateConnections: when two nodes dial each other at once, both
// ends keep the same connection: the one dialed by the smaller nonce.
func TestCoreDuplicateConnections(t *testing.T) {
	for _, tc := range []struct {
		name         string
		remoteBigger bool
		wantKept     PeerID // 1 = our outbound dial, 2 = their inbound dial
	}{
		{"our nonce smaller: keep our dial", true, 1},
		{"their nonce smaller: keep their dial", false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newCoreHarness(t, func(c *Config) { c.AddNode = []string{"10.2.0.1:9444"} })
			remote := h.core.nonce - 1
			if tc.remoteBigger {
				remote = h.core.nonce + 1
			}
			h.core.Connected(h.now, 1, "10.2.0.1:9444", false, "")
			h.core.Receive(h.now, 1, h.version(remote, 0))
			h.core.Receive(h.now, 1, &MsgVerAck{})
			h.core.Connected(h.now, 2, "10.2.0.1:40000", true, "")
			acts := h.core.Receive(h.now, 2, h.version(remote, 0))
			dropped := PeerID(3) - tc.wantKept
			if !hasKind(acts, ActDisconnect, dropped) || hasKind(acts, ActDisconnect, tc.wantKept) {
				t.Fatalf("actions %+v: want peer %d dropped and %d kept", acts, dropped, tc.wantKept)
			}
			h.core.Receive(h.now, tc.wantKept, &MsgVerAck{}) // completes peer 2's handshake; peer 1's already was
			if peers := h.core.Peers(); len(peers) != 1 || peers[0].ID != tc.wantKept {
				t.Fatalf("peers %+v", peers)
			}
		})
	}
	// Two connections the same way from one host: the newer goes.
	h := newCoreHarness(t, nil)
	h.connect(1, 0)
	h.core.Connected(h.now, 2, "10.1.0.1:5001", true, "")
	acts := h.core.Receive(h.now, 2, h.version(101, 0)) // same nonce as peer 1
	if !hasKind(acts, ActDisconnect, 2) || len(h.core.Peers()) != 1 {
		t.Fatalf("same-direction duplicate: %+v", acts)
	}
}

// TestCoreDisconnectCauses checks the causes no other test looks at: a
// banned host, a message before the handshake, local misbehaviour (never a
// ban) and the operator's disconnectnode.
func TestCoreDisconnectCauses(t *testing.T) {
	h := newCoreHarness(t, nil)
	h.core.SetBan(h.now, "10.9.0.1", time.Hour, "test")
	if got := droppedFor(h.core.Connected(h.now, 1, "10.9.0.1:5000", true, ""), 1); got != CauseBanned {
		t.Errorf("banned host: cause %v, want banned", got)
	}
	h.core.Connected(h.now, 2, "10.1.0.2:5000", true, "")
	if got := droppedFor(h.core.Receive(h.now, 2, &MsgPing{Nonce: 1}), 2); got != CauseProtocol {
		t.Errorf("ping before the handshake: cause %v, want protocol", got)
	}
	h.core.Connected(h.now, 3, "127.0.0.1:5000", true, "")
	violation := &ProtocolError{Reason: "bad frame", Ban: true}
	if got := droppedFor(h.core.ProtocolViolation(h.now, 3, violation), 3); got != CauseMisbehaved {
		t.Errorf("local peer breaking the framing: cause %v, want misbehaved", got)
	}
	h.connect(4, 0)
	if acts, found := h.core.DisconnectPeer(h.now, 4, ""); !found || droppedFor(acts, 4) != CauseRequested {
		t.Errorf("disconnectnode: found %v, cause %v, want requested", found, droppedFor(acts, 4))
	}
	if bans := h.core.Bans(h.now); len(bans) != 1 || bans[0].Host != "10.9.0.1" {
		t.Errorf("bans %+v, want only the one set", bans)
	}
}

// TestCoreBansIsAQuery checks that listing bans changes nothing: an expired
// ban is not listed, and stays in the state until Tick removes it.
func TestCoreBansIsAQuery(t *testing.T) {
	h := newCoreHarness(t, nil)
	h.core.SetBan(h.now, "10.9.0.1", time.Minute, "test")
	later := h.now.Add(2 * time.Minute)
	if bans := h.core.Bans(later); len(bans) != 0 {
		t.Fatalf("expired ban listed: %+v", bans)
	}
	if len(h.core.book.bans) != 1 {
		t.Fatal("Bans removed the expired ban")
	}
	h.core.Tick(later)
	if len(h.core.book.bans) != 0 {
		t.Fatal("Tick kept the expired ban")
	}
}

// TestNewCoreRejectsBadConfig: what no default can fix is an error that
// names the problem, never a Core that silently ignores part of its
// configuration.
func TestNewCoreRejectsBadConfig(t *testing.T) {
	h := newCoreHarness(t, nil)
	for name, tc := range map[string]struct {
		cfg  Config
		want string
	}{
		"no chain":       {Config{TxPool: h.pool}, "needs Chain and TxPool"},
		"no pool":        {Config{Chain: h.chain}, "needs Chain and TxPool"},
		"bad connect":    {Config{Chain: h.chain, TxPool: h.pool, Connect: []string{"nonsense"}}, `"nonsense"`},
		"bad addnode":    {Config{Chain: h.chain, TxPool: h.pool, AddNode: []string{"10.0.0.1:99999"}}, `"10.0.0.1:99999"`},
		"outbound > max": {Config{Chain: h.chain, TxPool: h.pool, MaxPeers: 4, TargetOutbound: 8}, "at most 4 peers"},
	} {
		core, err := NewCore(tc.cfg, "")
		if err == nil || core != nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: NewCore = %v, %v; want an error containing %s", name, core, err, tc.want)
		}
	}
}

// TestCoreAsksToSaveOnce: a changed address book is saved once per change:
// asking for the save marks it saved, while State is a query that changes
// nothing (reading it does not stand for saving it).
func TestCoreAsksToSaveOnce(t *testing.T) {
	h := newCoreHarness(t, func(c *Config) { c.SaveInterval = time.Minute })
	h.connect(1, 0) // the peer's listen address enters the book
	if _, err := h.core.State(); err != nil {
		t.Fatal(err)
	}
	later := h.now.Add(2 * time.Minute)
	if acts := h.core.Tick(later); !hasKind(acts, ActSave, 0) {
		t.Fatalf("no save after the book changed: %+v", acts)
	}
	if acts := h.core.Tick(later.Add(2 * time.Minute)); hasKind(acts, ActSave, 0) {
		t.Fatalf("saved again with nothing changed: %+v", acts)
	}
}

// A transaction requested from one announcer that does not deliver it
// (notfound, a timeout, a disconnect) is requested from the next peer that
// announced it meanwhile (outbound peers first), each announcement once:
// otherwise the first announcer
// decided alone whether the node ever got it, and any peer could keep
// transactions from the node by announcing them first and answering
// notfound.
func TestCoreTxFromNextAnnouncer(t *testing.T) {
	h := newCoreHarness(t, nil)
	for id := PeerID(1); id <= 3; id++ {
		h.connect(id, 0)
	}
	announce := func(id PeerID, txid wire.Hash) []Action {
		return h.core.Receive(h.now, id, &MsgInv{Items: []InvVect{{InvTx, txid}}})
	}
	requested := func(acts []Action, id PeerID, txid wire.Hash) bool {
		for _, got := range getData(acts, id) {
			if got == txid {
				return true
			}
		}
		return false
	}
	x, y, z := wire.Hash{1}, wire.Hash{2}, wire.Hash{3}
	for _, txid := range []wire.Hash{x, y, z} {
		if !requested(announce(1, txid), 1, txid) {
			t.Fatalf("%s not requested from its first announcer", txid)
		}
		if acts := announce(2, txid); requested(acts, 2, txid) {
			t.Fatalf("%s requested twice", txid)
		}
	}
	announce(3, x)

	// notfound: the next announcer is asked, then the one after; a peer
	// that failed is not asked again unless it announces the transaction
	// again.
	if acts := h.core.Receive(h.now, 1, &MsgNotFound{Items: []InvVect{{InvTx, x}}}); !requested(acts, 2, x) {
		t.Fatalf("after notfound from 1, %s not requested from 2: %v", x, getData(acts, 2))
	}
	if acts := h.core.Receive(h.now, 2, &MsgNotFound{Items: []InvVect{{InvTx, x}}}); !requested(acts, 3, x) {
		t.Fatalf("after notfound from 2, %s not requested from 3: %v", x, getData(acts, 3))
	}
	acts := h.core.Receive(h.now, 3, &MsgNotFound{Items: []InvVect{{InvTx, x}}})
	for id := PeerID(1); id <= 3; id++ {
		if requested(acts, id, x) {
			t.Fatalf("%s requested again from %d after every announcer failed", x, id)
		}
	}

	// A timeout, then a disconnect.
	announce(3, y)
	h.now = h.now.Add(h.core.cfg.StallTimeout + time.Second)
	if acts := h.core.Tick(h.now); !requested(acts, 2, y) || !requested(acts, 2, z) {
		t.Fatalf("after 1 timed out, not requested from 2: %v", getData(acts, 2))
	}
	acts = h.core.Disconnected(h.now, 2, nil)
	if !requested(acts, 3, y) || requested(acts, 1, y) || requested(acts, 1, z) {
		t.Fatalf("after 2 left: requested from 3 %v, from 1 (which timed out) %v",
			getData(acts, 3), getData(acts, 1))
	}
	h.core.Receive(h.now, 3, &MsgNotFound{Items: []InvVect{{InvTx, y}}})
	if len(h.core.txReq) != 0 || len(h.core.txAnnouncers) != 0 || len(h.core.peers[3].txAlso) != 0 {
		t.Fatalf("requests left: %v, announcers %v", h.core.txReq, h.core.txAnnouncers)
	}

	// A peer the node dialed is asked before inbound peers that announced
	// earlier: anyone can open inbound connections to queue first.
	h.core.Connected(h.now, 4, "10.2.0.4:9444", false, "")
	h.core.Receive(h.now, 4, h.version(104, 0))
	h.core.Receive(h.now, 4, &MsgVerAck{})
	w := wire.Hash{4}
	announce(3, w)
	announce(1, w)
	announce(4, w)
	if acts := h.core.Receive(h.now, 3, &MsgNotFound{Items: []InvVect{{InvTx, w}}}); !requested(acts, 4, w) {
		t.Fatalf("after notfound from 3, %s not requested from the outbound peer: %v", w, types(sent(acts, 4)))
	}
}

// A block is served whole only if the node connected it, so it is valid:
// a peer bans whoever sends it an invalid whole block, and the node keeps
// the bodies of blocks it found invalid or never validated (a branch it is
// not on), so anyone who had one stored could have the node's peers ban it
// by asking it for that block.
func TestCoreServesOnlyValidatedBlocksWhole(t *testing.T) {
	h := newCoreHarness(t, nil)
	g := chaintest.NewGenerator(t, h.params)
	process := func(b *wire.Block, wantErr bool) {
		t.Helper()
		if _, err := h.chain.ProcessBlock(b); (err != nil) != wantErr {
			t.Fatalf("block %s: %v", b.BlockHash(), err)
		}
	}
	process(g.NextBlock("b1", nil), false)
	bad := g.NextBlock("greedy", nil, func(b *wire.Block) { b.Transactions[0].Outputs[0].Amount++ })
	process(bad, true)
	g.SetTip("b1")
	good := g.NextBlock("a2", nil)
	process(good, false)
	g.SetTip("b1")
	other := g.NextBlock("c2", nil) // as much work as a2, which came first
	process(other, false)
	if info, _ := h.chain.BlockInfoByHash(other.BlockHash()); !info.HaveData || info.Valid {
		t.Fatalf("the competing block: %+v, want stored and not validated", info)
	}
	g.SetTip("a2")
	for i := range maxBlockTxnDepth + 1 {
		process(g.NextBlock(fmt.Sprint("a", 3+i), nil), false)
	}
	h.connect(1, 0)

	served := func(acts []Action) (whole, missing []wire.Hash) {
		for _, m := range sent(acts, 1) {
			switch m := m.(type) {
			case *MsgStoredBlock:
				whole = append(whole, m.Hash)
			case *MsgBlock:
				whole = append(whole, m.Block.BlockHash())
			case *MsgNotFound:
				for _, iv := range m.Items {
					missing = append(missing, iv.Hash)
				}
			}
		}
		return whole, missing
	}
	want := fmt.Sprint([]wire.Hash{good.BlockHash()}, []wire.Hash{bad.BlockHash(), other.BlockHash()})
	for _, typ := range []InvType{InvBlock, InvCmpctBlock} { // the three are deep: compact serves them whole
		acts := h.core.Receive(h.now, 1, &MsgGetData{Items: []InvVect{
			{typ, bad.BlockHash()}, {typ, other.BlockHash()}, {typ, good.BlockHash()}}})
		if whole, missing := served(acts); fmt.Sprint(whole, missing) != want {
			t.Errorf("getdata of type %d: served %v whole, %v not found; want %s", typ, whole, missing, want)
		}
	}
	for _, b := range []*wire.Block{bad, other, good} { // getblocktxn of a block this deep: the whole block
		acts := h.core.Receive(h.now, 1, &MsgGetBlockTxn{Block: b.BlockHash(), Indexes: []int{0}})
		whole, missing := served(acts)
		if b == good && len(whole) != 1 || b != good && (len(whole) != 0 || len(missing) != 1) {
			t.Errorf("getblocktxn of %s: served %v whole, %v not found", b.BlockHash(), whole, missing)
		}
	}
}

// TestCoreServesNoInvalidatedBlock: a block the operator invalidated
// (invalidateblock) is served in no form, though the node once connected
// it, as Bitcoin Core serves no block marked failed; reconsidered, it is
// served again.
func TestCoreServesNoInvalidatedBlock(t *testing.T) {
	h := newCoreHarness(t, nil)
	g := chaintest.NewGenerator(t, h.params)
	var top wire.Hash
	for _, b := range buildChain(g, "b", 3) {
		if _, err := h.chain.ProcessBlock(b); err != nil {
			t.Fatal(err)
		}
		top = b.BlockHash()
	}
	h.connect(1, 0)
	answers := func() []string {
		var got []string
		for _, typ := range []InvType{InvBlock, InvCmpctBlock} {
			for _, m := range sent(h.core.Receive(h.now, 1, &MsgGetData{Items: []InvVect{{typ, top}}}), 1) {
				got = append(got, m.Type().String())
			}
		}
		for _, m := range sent(h.core.Receive(h.now, 1, &MsgGetBlockTxn{Block: top, Indexes: []int{0}}), 1) {
			got = append(got, m.Type().String())
		}
		return got
	}
	served := fmt.Sprint(answers())
	if err := h.chain.InvalidateBlock(top); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(answers()), "[notfound notfound notfound]"; got != want {
		t.Errorf("invalidated: getdata (block, compact) and getblocktxn answered %s, want %s", got, want)
	}
	if err := h.chain.ReconsiderBlock(top); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(answers()); got != served || strings.Contains(got, "notfound") {
		t.Errorf("reconsidered: answered %s, want %s as before, with no notfound", got, served)
	}
}

// mine extends the chain by n blocks and returns them as inventory of typ.
func (h *coreHarness) mine(n int, typ InvType) []InvVect {
	h.t.Helper()
	g := chaintest.NewGenerator(h.t, h.params)
	var items []InvVect
	for i := range n {
		b := g.NextBlock(fmt.Sprint("b", i), nil)
		if _, err := h.chain.ProcessBlock(b); err != nil {
			h.t.Fatal(err)
		}
		items = append(items, InvVect{typ, b.BlockHash()})
	}
	return items
}

// What one getdata is answered with from memory (transactions here)
// stops at half the peer's send budget (MaxSendQueueBytes), the rest
// answered notfound: the driver queues the answers at once and
// disconnects a peer whose queue exceeds the budget, and the other half
// is left for the notfound and whatever else waits for the peer. Whole
// blocks are answered by reference, counted at storedBlockRefSize each
// (bounded by maxBlocksPerGet), not by their bodies: a getdata for more
// blocks than the budget would hold whole is served in full. Before,
// blocks counted their bodies, so a 5 KB request from a peer that reads
// nothing made the node read up to 160 MB (128 blocks) only to drop it.
func TestCoreGetDataWithinSendBudget(t *testing.T) {
	const budget = 4_000
	h := newCoreHarness(t, func(c *Config) { c.MaxSendQueueBytes = budget })
	g := chaintest.NewGenerator(t, h.params)
	blocks := buildChain(g, "b", 20)
	for _, b := range blocks {
		if _, err := h.chain.ProcessBlock(b); err != nil {
			t.Fatal(err)
		}
	}
	var txs []*wire.Tx
	for i := 1; i < len(blocks)-1; i++ {
		txs = append(txs, g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut(fmt.Sprint("b", i))}, 1000, 1))
	}
	addToPool(t, h, txs...)
	h.connect(1, 0)

	wholeSize := 0
	for _, b := range blocks {
		wholeSize += b.SerializeSize()
	}
	if wholeSize < budget {
		t.Fatalf("blocks of %d bytes in all, want more than the %d-byte budget", wholeSize, budget)
	}
	msgs := sent(h.core.Receive(h.now, 1, getDataOf(InvBlock, blocks...)), 1)
	for _, m := range msgs {
		if ref, ok := m.(*MsgStoredBlock); !ok || ref.Encoded != nil {
			t.Fatalf("answered %s, want a reference to each of the %d blocks", m.Type(), len(blocks))
		}
	}
	if len(msgs) != len(blocks) {
		t.Fatalf("answered %d blocks of %d", len(msgs), len(blocks))
	}

	var items []InvVect
	for _, tx := range txs {
		items = append(items, InvVect{Type: InvTx, Hash: tx.TxID()})
	}
	queued, served, missing := 0, 0, 0
	for _, m := range sent(h.core.Receive(h.now, 1, &MsgGetData{Items: items}), 1) {
		switch m := m.(type) {
		case *MsgTx:
			if queued >= budget/2 {
				t.Fatalf("transaction %d served with %d bytes already queued, over half the %d-byte budget", served+1, queued, budget)
			}
			served++
			queued += sizeHint(m)
		case *MsgNotFound:
			missing += len(m.Items)
		}
	}
	if served == 0 || missing == 0 || served+missing != len(items) {
		t.Fatalf("served %d transactions, %d not found, of %d", served, missing, len(items))
	}
}

// A connection from another host that claims a peer's version nonce
// (which that peer sends to everyone it connects to) is no duplicate of
// the peer's: both stay, whichever came first. Dropping the newcomer let
// whoever held the claim first keep the node from connecting to that peer
// at all (every dial refused, the address dropped from the book after 8);
// dropping the older could cut the node's connection to it at will.
func TestCoreNonceOfAnotherHostDropsNobodyElse(t *testing.T) {
	for _, impostorFirst := range []bool{false, true} {
		h := newCoreHarness(t, func(c *Config) { c.AddNode = []string{"198.51.100.1:9444"} })
		honest := h.core.nonce - 1 // the rule keeps an inbound dial from the smaller nonce
		var acts []Action
		dialHonest := func() {
			h.core.Connected(h.now, 1, "198.51.100.1:9444", false, "")
			acts = append(acts, h.core.Receive(h.now, 1, h.version(honest, 0))...)
			acts = append(acts, h.core.Receive(h.now, 1, &MsgVerAck{})...)
		}
		impostor := func() {
			h.core.Connected(h.now, 2, "203.0.113.9:40000", true, "")
			acts = append(acts, h.core.Receive(h.now, 2, h.version(honest, 0))...)
		}
		if impostorFirst {
			impostor()
			dialHonest()
		} else {
			dialHonest()
			impostor()
		}
		if hasKind(acts, ActDisconnect, 1) || hasKind(acts, ActDisconnect, 2) {
			t.Errorf("impostor first %v: actions %+v: want the outbound peer (1) and the other host (2) kept",
				impostorFirst, acts)
		}
	}
}

// A transaction in flight that a block the node connects holds is not
// asked of its other announcers when the request fails: the node has it,
// and each announcer, dropping it from its pool as the block reaches it,
// would answer notfound in turn (in the simulator, 415 notfounds instead
// of 186 over 100 blocks).
func TestCoreConfirmedTxNotAskedOfOthers(t *testing.T) {
	h := newCoreHarness(t, nil)
	g := chaintest.NewGenerator(t, h.params)
	b1 := g.NextBlock("b1", nil)
	txid := b1.Transactions[0].TxID()
	for id := PeerID(1); id <= 2; id++ {
		h.connect(id, 0)
		h.core.Receive(h.now, id, &MsgInv{Items: []InvVect{{InvTx, txid}}})
	}
	if _, err := h.chain.ProcessBlock(b1); err != nil {
		t.Fatal(err)
	}
	h.core.ChainChanged(h.now, nil)
	acts := h.core.Receive(h.now, 1, &MsgNotFound{Items: []InvVect{{InvTx, txid}}})
	if got := getData(acts, 2); len(got) != 0 {
		t.Fatalf("after notfound from 1, asked 2 for %v, a transaction of the tip", got)
	}
	if len(h.core.txReq) != 0 || len(h.core.txAnnouncers) != 0 {
		t.Fatalf("requests left: %v, announcers %v", h.core.txReq, h.core.txAnnouncers)
	}
}

// TestCoreAddNodeOnce: AddNode of an address kept already (by Connect or
// AddNode, in any spelling of it) says so and does nothing, as Bitcoin
// Core's addnode does; RemoveNode makes it addable again.
func TestCoreAddNodeOnce(t *testing.T) {
	h := newCoreHarness(t, func(c *Config) { c.AddNode = []string{"10.2.0.1:9444"} })
	h.core.Start(h.now)
	for _, addr := range []string{"10.2.0.1:9444", "[::ffff:10.2.0.1]:9444"} {
		if acts, added, err := h.core.AddNode(h.now, addr); err != nil || added || len(acts) != 0 {
			t.Errorf("AddNode %s, kept already: added %v, actions %+v, %v", addr, added, acts, err)
		}
	}
	if _, added, err := h.core.AddNode(h.now, "10.2.0.2:9444"); err != nil || !added {
		t.Fatalf("AddNode of a new address: added %v, %v", added, err)
	}
	if _, found := h.core.RemoveNode(h.now, "10.2.0.2:9444"); !found {
		t.Fatal("RemoveNode of the added address: not found")
	}
	if _, added, _ := h.core.AddNode(h.now, "10.2.0.2:9444"); !added {
		t.Fatal("AddNode after RemoveNode: not added")
	}
}

// A version's best_height is only the sender's claim: it costs nothing to
// send a million. Before, the claim was reported as the peer's synced
// headers and made the node's peers' best height a million, so
// getblockchaininfo said initialblockdownload forever and the explorer
// "syncing". Only blocks the peer has shown (announced or sent, known to
// our index) count; the claim is still whom to ask for blocks first.
func TestVersionHeightIsOnlyAClaim(t *testing.T) {
	h := newCoreHarness(t, nil)
	items := h.mine(3, InvBlock)
	h.connect(1, 1_000_000)
	peer := h.core.Peers()[0]
	if peer.StartingHeight != 1_000_000 || peer.SyncedHeaders != -1 || peer.SyncedBlocks != -1 {
		t.Fatalf("before the peer shows a block: starting %d, synced headers %d, blocks %d; want 1000000, -1, -1",
			peer.StartingHeight, peer.SyncedHeaders, peer.SyncedBlocks)
	}
	if got := h.core.SyncInfo().PeersBestHeight; got != 0 {
		t.Fatalf("peers' best height %d after a claim, want 0", got)
	}
	h.core.Receive(h.now, 1, &MsgInv{Items: items[:2]})
	peer = h.core.Peers()[0]
	if peer.SyncedHeaders != 2 || peer.SyncedBlocks != 2 {
		t.Fatalf("after the peer announced block 2: synced headers %d, blocks %d; want 2, 2", peer.SyncedHeaders, peer.SyncedBlocks)
	}
	if got := h.core.SyncInfo().PeersBestHeight; got != 2 {
		t.Fatalf("peers' best height %d after block 2 was shown, want 2", got)
	}
}

// A block the node holds invalid is nothing to catch up with: a peer that
// shows one (announces it, or announced it before the node found it
// invalid or the operator invalidated it) does not make the node's
// peers' best height, and so initialblockdownload, exceed its tip. It did:
// anyone could inv the hash of an invalid block of the node's index (a
// branch invalidateblock rejected, whose peers keep building on it) and
// keep the node "syncing" for as long as they stayed, as a version's claim
// could before. The peer's synced headers still report what it showed.
func TestInvalidBlockShownIsNotAhead(t *testing.T) {
	h := newCoreHarness(t, nil)
	items := h.mine(3, InvBlock)
	h.connect(1, 0)
	h.core.Receive(h.now, 1, &MsgInv{Items: items})
	if got := h.core.SyncInfo().PeersBestHeight; got != 3 {
		t.Fatalf("peers' best height %d after block 3 was shown, want 3", got)
	}
	if err := h.chain.InvalidateBlock(items[1].Hash); err != nil {
		t.Fatal(err)
	}
	if got := h.core.SyncInfo().PeersBestHeight; got > h.chain.Tip().Height {
		t.Fatalf("peers' best height %d above the tip %d: blocks 2 and 3, shown, are invalid", got, h.chain.Tip().Height)
	}
	h.connect(2, 0)
	h.core.Receive(h.now, 2, &MsgInv{Items: items[2:]})
	if got := h.core.SyncInfo().PeersBestHeight; got > h.chain.Tip().Height {
		t.Fatalf("peers' best height %d above the tip %d after a peer announced invalid block 3", got, h.chain.Tip().Height)
	}
	if peer := h.core.Peers()[1]; peer.SyncedHeaders != 3 {
		t.Fatalf("synced headers of the peer that showed block 3: %d, want 3", peer.SyncedHeaders)
	}
}

// A peer on the node's own chain shows it has the node's best header in
// answer to the handshake's getheaders, so getpeerinfo reports it synced
// (and the explorer no longer says "claimed") on a quiet network, where no
// block comes to show it. The first getheaders started at the best header,
// so such a peer answered with no header at all and stayed at -1 until the
// next block; it starts at the best header's parent now, as Bitcoin Core's.
func TestSyncedPeerShowsTheTipAtHandshake(t *testing.T) {
	h := newCoreHarness(t, nil)
	h.mine(3, InvBlock)
	var gh *MsgGetHeaders
	for _, m := range sent(h.connect(1, 3), 1) {
		if m, ok := m.(*MsgGetHeaders); ok {
			gh = m
		}
	}
	if gh == nil {
		t.Fatal("no getheaders at the handshake")
	}
	// The peer answers as a node with the same chain does.
	answer := h.chain.LocateHeaders(gh.Locator, gh.Stop, MaxHeadersPerMsg)
	if len(answer) != 1 || answer[0].BlockHash() != h.chain.Tip().Hash {
		t.Fatalf("a peer on the same chain answers the handshake's getheaders with %d headers, want the tip's alone", len(answer))
	}
	h.core.Receive(h.now, 1, &MsgHeaders{Headers: answer})
	if got := h.core.Peers()[0]; got.SyncedHeaders != 3 || got.SyncedBlocks != 3 {
		t.Fatalf("synced headers %d, blocks %d after the handshake's headers; want 3, 3", got.SyncedHeaders, got.SyncedBlocks)
	}
}
