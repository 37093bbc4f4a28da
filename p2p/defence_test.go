package p2p

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// rawPeer speaks the protocol by hand over a real socket, to misbehave.
type rawPeer struct {
	t      testing.TB
	nc     net.Conn
	params *chain.Params
	nonce  uint64 // its version nonce: distinct per raw peer
	pongs  bool   // it answers pings
	msgs   chan Message
	closed chan struct{}
	// read counts the bytes readLoop has read; wrote those written.
	read, wrote atomic.Uint64
}

// rawNonces numbers the raw peers, so the node never takes two for
// duplicate connections of one node.
var rawNonces atomic.Uint64

// dialRaw connects to n from outsideSource, which n sees as the routable
// outsideHost (see fastConfig), so misbehaviour is banned as on a network.
func dialRaw(t testing.TB, n *testNode) *rawPeer {
	return dialRawFrom(t, n, outsideSource, false)
}

// dialRawLocal connects to n from 127.0.0.1, a local address n never bans.
func dialRawLocal(t testing.TB, n *testNode) *rawPeer {
	return dialRawFrom(t, n, "127.0.0.1", false)
}

func dialRawFrom(t testing.TB, n *testNode, source string, pongs bool) *rawPeer {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}}
	nc, err := d.Dial("tcp", n.addr())
	if err != nil {
		t.Fatal(err)
	}
	r := &rawPeer{t: t, nc: nc, params: n.chain.Params(), nonce: 1000 + rawNonces.Add(1), pongs: pongs,
		msgs: make(chan Message, 1000), closed: make(chan struct{})}
	t.Cleanup(func() { nc.Close() })
	go r.readLoop()
	return r
}

// readLoop drains the node's messages (so its writer never blocks) and
// notes when the node closes the connection.
func (r *rawPeer) readLoop() {
	defer close(r.closed)
	for {
		m, n, err := ReadMessage(r.nc, r.params.Magic)
		r.read.Add(uint64(n))
		if err != nil {
			return
		}
		if ping, ok := m.(*MsgPing); ok && r.pongs {
			r.send(&MsgPong{Nonce: ping.Nonce})
			continue
		}
		select {
		case r.msgs <- m:
		default:
		}
	}
}

func (r *rawPeer) send(m Message) {
	frame, err := EncodeFrame(r.params.Magic, m)
	if err != nil { // Errorf, not Fatal: send also runs on readLoop
		r.t.Errorf("raw peer: encode %s: %v", m.Type(), err)
		return
	}
	r.write(frame)
}

func (r *rawPeer) write(b []byte) {
	n, _ := r.nc.Write(b) // the node may already have hung up
	r.wrote.Add(uint64(n))
}

// expect waits for a message of type t and returns it. One the node sent
// before it closed the connection counts: readLoop queues every message
// before it notes the close, but select picks at random between the two.
func (r *rawPeer) expect(t MsgType) Message {
	r.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m := <-r.msgs:
			if m.Type() == t {
				return m
			}
		case <-r.closed:
			for len(r.msgs) > 0 {
				if m := <-r.msgs; m.Type() == t {
					return m
				}
			}
			r.t.Fatalf("connection closed while waiting for %s", t)
		case <-timeout:
			r.t.Fatalf("no %s within 10s", t)
		}
	}
}

func (r *rawPeer) handshake() {
	r.t.Helper()
	r.send(&MsgVersion{Network: r.params.Name, Genesis: r.params.GenesisHash, ProtocolVersion: ProtocolVersion,
		UserAgent: "/raw/", Nonce: r.nonce})
	r.expect(TypeVersion)
	r.expect(TypeVerAck)
	r.send(&MsgVerAck{})
}

// expectDropped waits until the node closes the connection.
func (r *rawPeer) expectDropped(timeout time.Duration) {
	r.t.Helper()
	select {
	case <-r.closed:
	case <-time.After(timeout):
		r.t.Fatalf("node did not drop the peer within %v", timeout)
	}
}

// waitConns waits until n's event loop holds want connections. A reader
// that meets a violation reports it and closes the connection at once, so
// the peer sees the close before the loop has acted on the violation; the
// loop learns of the close after the violation, so once the connection is
// gone from its table, the ban (if any) is in force.
func waitConns(t testing.TB, n *testNode, want int) {
	t.Helper()
	waitFor(t, 10*time.Second, fmt.Sprintf("%d connections", want), func() bool {
		got := -1
		_ = n.srv.call(func(time.Time) { got = len(n.srv.conns) })
		return got == want
	})
}

// defenceSetup is a node under attack with an honest peer beside it.
func defenceSetup(t *testing.T, mod ...func(*Config)) (target, honest *testNode, g *chaintest.Generator) {
	params := testParams()
	target = newNode(t, "target", params, func(c *Config) {
		c.NoDiscovery = true
		for _, m := range mod {
			m(c)
		}
	})
	honest = newNode(t, "honest", params, func(c *Config) { c.Connect = []string{target.addr()} })
	waitFor(t, 10*time.Second, "honest peer connected", func() bool { return peerCount(target) == 1 })
	return target, honest, chaintest.NewGenerator(t, params)
}

// stillServes checks that the target still relays blocks to its honest
// peer after an attack.
func stillServes(t *testing.T, target, honest *testNode, g *chaintest.Generator) {
	t.Helper()
	g.SetTip("genesis")
	b := g.NextBlock("after-attack", nil)
	target.process(b)
	waitTip(t, 10*time.Second, b.BlockHash(), honest)
}

// isBanned reports whether n bans the raw peers' routable address.
func isBanned(n *testNode) bool { return hasBan(n, outsideHost) }

func hasBan(n *testNode, host string) bool {
	return slices.ContainsFunc(n.bans(), func(b BanInfo) bool { return b.Host == host })
}

func rawHeader(magic [4]byte, t MsgType, length uint32) []byte {
	b := append(magic[:], byte(t))
	return binary.LittleEndian.AppendUint32(b, length)
}

func TestDefences(t *testing.T) {
	tests := []struct {
		name   string
		attack func(r *rawPeer, g *chaintest.Generator)
		ban    bool
	}{
		{"oversize length prefix", func(r *rawPeer, g *chaintest.Generator) {
			r.write(rawHeader(r.params.Magic, TypeBlock, uint32(MaxPayload(TypeBlock)+1)))
		}, true},
		{"junk bytes", func(r *rawPeer, g *chaintest.Generator) {
			r.handshake()
			r.write(append(rawHeader(r.params.Magic, 0xee, 8), "junkjunk"...))
		}, true},
		{"wrong magic", func(r *rawPeer, g *chaintest.Generator) {
			frame, _ := EncodeFrame([4]byte{'X', 'X', 'X', 'X'}, &MsgPing{Nonce: 1})
			r.write(frame)
		}, false},
		{"malformed protobuf", func(r *rawPeer, g *chaintest.Generator) {
			r.handshake()
			r.write(append(rawHeader(r.params.Magic, TypeInv, 6), 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f))
		}, true},
		{"over-cap list", func(r *rawPeer, g *chaintest.Generator) {
			r.handshake()
			hs := make([]wire.BlockHeader, MaxHeadersPerMsg)
			frame, _ := EncodeFrame(r.params.Magic, &MsgHeaders{Headers: hs[:MaxHeadersPerMsg-1]})
			// Protobuf merges repeated fields of concatenated messages:
			// 1999 + 2 headers make one list over the cap.
			extra, _ := EncodeFrame(r.params.Magic, &MsgHeaders{Headers: hs[:2]})
			payload := append(frame[FrameHeaderSize:], extra[FrameHeaderSize:]...)
			r.write(append(rawHeader(r.params.Magic, TypeHeaders, uint32(len(payload))), payload...))
		}, true},
		{"invalid block", func(r *rawPeer, g *chaintest.Generator) {
			r.handshake()
			b := g.NextBlock("bad", nil, func(b *wire.Block) { b.Transactions[0].Outputs[0].Amount++ })
			r.send(&MsgBlock{Block: b})
		}, true},
		{"header spam", func(r *rawPeer, g *chaintest.Generator) {
			r.handshake()
			r.expect(TypeGetHeaders)
			h := g.NextBlock("spam", nil).Header
			for range 10 {
				r.send(&MsgHeaders{Headers: []wire.BlockHeader{h}})
			}
		}, true},
		{"never completes the handshake", func(r *rawPeer, g *chaintest.Generator) {}, false},
		{"withholds a requested block", func(r *rawPeer, g *chaintest.Generator) {
			r.handshake()
			r.expect(TypeGetHeaders)
			b := g.NextBlock("withheld", nil)
			r.send(&MsgHeaders{Headers: []wire.BlockHeader{b.Header}})
			r.expect(TypeGetData)
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target, honest, g := defenceSetup(t)
			r := dialRaw(t, target)
			tc.attack(r, g)
			r.expectDropped(15 * time.Second)
			waitConns(t, target, 1)
			if got := isBanned(target); got != tc.ban {
				t.Errorf("banned = %v, want %v", got, tc.ban)
			}
			if peerCount(target) != 1 {
				t.Errorf("target has %d peers, want the honest one", peerCount(target))
			}
			stillServes(t, target, honest, g)
		})
	}
}

// A banned host stays banned across a restart, and cannot reconnect.
func TestBanPersists(t *testing.T) {
	params := testParams()
	n := newNode(t, "n", params, func(c *Config) { c.NoDiscovery = true })
	r := dialRaw(t, n)
	r.write(rawHeader(params.Magic, TypeBlock, uint32(MaxPayload(TypeBlock)+1)))
	r.expectDropped(10 * time.Second)
	waitConns(t, n, 0)
	dir := filepath.Dir(n.srv.cfg.StateFile)
	n.stop()
	n.start(dir, func(c *Config) { c.NoDiscovery = true })
	if !isBanned(n) {
		t.Fatal("ban lost across restart")
	}
	r2 := dialRaw(t, n)
	r2.expectDropped(10 * time.Second)
	if err := n.srv.ClearBanned(); err != nil {
		t.Fatal(err)
	}
	r3 := dialRaw(t, n)
	r3.handshake()
}

// A peer flooding announcements gets a bounded number of requests, and the
// node's memory stays bounded.
func TestInvFloodBounded(t *testing.T) {
	// Requests expire after StallTimeout and free their slots; keep them.
	target, honest, g := defenceSetup(t, func(c *Config) { c.StallTimeout = time.Minute })
	r := dialRaw(t, target)
	r.handshake()
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	items := make([]InvVect, MaxInvPerMsg)
	for round := range 20 {
		for i := range items {
			binary.LittleEndian.PutUint64(items[i].Hash[:], uint64(round*MaxInvPerMsg+i))
			items[i].Type = InvTx
		}
		r.send(&MsgInv{Items: items})
	}
	requested := 0
	waitFor(t, 10*time.Second, "getdata for the first announcements", func() bool {
		for {
			select {
			case m := <-r.msgs:
				if gd, ok := m.(*MsgGetData); ok {
					requested += len(gd.Items)
				}
			default:
				return requested > 0
			}
		}
	})
	stillServes(t, target, honest, g)
	if requested > maxTxInFlight {
		t.Errorf("node requested %d transactions from one peer, cap %d", requested, maxTxInFlight)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grow := int64(after.HeapAlloc) - int64(before.HeapAlloc); grow > 64<<20 {
		t.Errorf("heap grew by %d bytes after a 20-message flood", grow)
	}
}

// A misbehaving peer on a local address is disconnected but not banned:
// every node on the machine shares the address.
func TestLocalPeerNeverBanned(t *testing.T) {
	target, honest, g := defenceSetup(t)
	r := dialRawLocal(t, target)
	r.handshake()
	r.write(append(rawHeader(r.params.Magic, 0xee, 8), "junkjunk"...))
	r.expectDropped(10 * time.Second)
	waitConns(t, target, 1)
	if bans := target.bans(); len(bans) != 0 {
		t.Fatalf("local peer banned: %+v", bans)
	}
	again := dialRawLocal(t, target)
	again.handshake()
	waitFor(t, 10*time.Second, "local peer back", func() bool { return peerCount(target) == 2 })
	stillServes(t, target, honest, g)
}

// Misbehaviour bans of local addresses saved by an older version are
// dropped on load; other bans, and an operator's ban of a local address,
// are kept.
func TestLocalBansDroppedOnLoad(t *testing.T) {
	params := testParams()
	n := newNode(t, "n", params, func(c *Config) { c.NoDiscovery = true })
	file := n.srv.cfg.StateFile
	n.stop()
	until := time.Now().Add(time.Hour)
	st := savedState{Version: stateVersion, Bans: []BanInfo{
		{Host: "127.0.0.1", Until: until, Reason: "junk"},
		{Host: outsideHost, Until: until, Reason: "junk"},
		{Host: "::1", Until: until, Reason: "setban", Manual: true},
	}}
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	n.start(filepath.Dir(file), func(c *Config) { c.NoDiscovery = true })
	var hosts []string
	for _, b := range n.bans() {
		hosts = append(hosts, b.Host)
	}
	if got := strings.Join(hosts, " "); got != "203.0.113.2 ::1" {
		t.Fatalf("bans after load: %q, want the routable and the manual one", got)
	}
	dialRawLocal(t, n).handshake()
}

// A peers.json the node cannot read (edited by hand, or damaged) stops the
// node with an error that names the file, says what is wrong in the
// file's terms and what to do, as Bitcoin Core does for peers.dat; the
// file is left as it was. The node used to warn, start with an empty
// book and save that over the file, losing its addresses and bans.
func TestCorruptAddressBookKept(t *testing.T) {
	n := newNode(t, "n", testParams(), func(c *Config) { c.NoDiscovery = true })
	cfg := n.srv.cfg
	n.stop()
	for _, tc := range []struct{ name, data, want string }{
		{"truncated", `{"version": 1, "addrs": [{"addr": "203.0.113.9:9444"`, "not valid JSON"},
		{"wrong value", `{"version": 1, "addrs": [{"addr": "203.0.113.9:9444", "last_seen": "yesterday"}]}`,
			`"addrs.last_seen" holds a string`},
		{"not an object", `[]`, "holds an array"},
		{"ban time", `{"version": 1, "bans": [{"host": "8.8.8.8", "until": "tomorrow"}]}`, `"until" holds "tomorrow"`},
		{"ban time number", `{"version": 1, "bans": [{"host": "8.8.8.8", "until": 5}]}`, `"until" is not a time`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(cfg.StateFile, []byte(tc.data), 0o600); err != nil {
				t.Fatal(err)
			}
			srv, err := NewServer(cfg)
			if err == nil {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				srv.Run(ctx)
				got, _ := os.ReadFile(cfg.StateFile)
				t.Fatalf("the node started with a corrupt address book; the file now holds %q", got)
			}
			msg := err.Error()
			for _, want := range []string{cfg.StateFile, tc.want, "move it away"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not say %q", msg, want)
				}
			}
			said := strings.ReplaceAll(msg, cfg.StateFile, "") // the temporary directory's digits may hold 2006
			if strings.Contains(said, "Go ") || strings.Contains(said, "int64") || strings.Contains(said, "2006") ||
				strings.Contains(said, "UnmarshalJSON") {
				t.Errorf("error %q speaks of Go types", msg)
			}
			if got, _ := os.ReadFile(cfg.StateFile); string(got) != tc.data {
				t.Fatalf("the file changed to %q", got)
			}
		})
	}
}

// fullSlotsSetup is a node whose inbound slots are all held by idle
// attackers that completed the handshake and answer pings, which is
// enough to stay connected indefinitely.
func fullSlotsSetup(t testing.TB) (target *testNode, attackers []*rawPeer) {
	t.Helper()
	target = newNode(t, "target", testParams(), func(c *Config) {
		c.NoDiscovery = true
		c.PingInterval = 100 * time.Millisecond // the attackers' pings are measured
	})
	slots := target.srv.cfg.maxInbound()
	for range slots {
		r := dialRawFrom(t, target, outsideSource, true)
		r.handshake()
		attackers = append(attackers, r)
	}
	waitFor(t, 20*time.Second, "every inbound slot held", func() bool { return peerCount(target) == slots })
	return target, attackers
}

// With every inbound slot held by idle attackers, an honest node still
// gets in: one of the attackers is evicted for it.
func TestNewcomerGetsInWhenSlotsHeld(t *testing.T) {
	target, attackers := fullSlotsSetup(t)
	honest := newNode(t, "honest", testParams(), func(c *Config) { c.Connect = []string{target.addr()} })
	slots := target.srv.cfg.maxInbound()
	// The target counts the honest node once its verack arrives, after the
	// honest node counts the target.
	waitFor(t, 20*time.Second, "honest node connected, slots full", func() bool {
		return peerCount(honest) == 1 && peerCount(target) == slots
	})
	evicted := func() int {
		n := 0
		for _, r := range attackers {
			select {
			case <-r.closed:
				n++
			default:
			}
		}
		return n
	}
	waitFor(t, 10*time.Second, "an attacker evicted", func() bool { return evicted() > 0 })
	if n := evicted(); n != 1 {
		t.Errorf("%d attackers evicted, want 1", n)
	}
}
