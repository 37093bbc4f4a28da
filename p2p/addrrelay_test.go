package p2p

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// addrsSent lists, per peer, the addresses acts send it in addr messages.
func addrsSent(acts []Action) map[PeerID][]string {
	out := make(map[PeerID][]string)
	for _, a := range acts {
		if m, ok := a.Msg.(*MsgAddr); ok && a.Kind == ActSend {
			for _, na := range m.Addrs {
				out[a.Peer] = append(out[a.Peer], na.Addr)
			}
		}
	}
	return out
}

// peerInfo returns the Core's view of peer id.
func (h *coreHarness) peerInfo(id PeerID) PeerInfo {
	h.t.Helper()
	for _, p := range h.core.Peers() {
		if p.ID == id {
			return p
		}
	}
	h.t.Fatalf("peer %d not connected", id)
	return PeerInfo{}
}

// A new address goes to two peers, never back to its sender, and different
// addresses go to different pairs of peers.
func TestAddrRelayFanout(t *testing.T) {
	h := newCoreHarness(t, nil)
	const peers = 10
	for id := PeerID(1); id <= peers; id++ {
		h.connect(id, 0)
	}
	pairs := make(map[string]bool)
	reached := make(map[PeerID]bool)
	for i := range 40 {
		h.now = h.now.Add(10 * time.Second) // one token for peer 1
		addr := fmt.Sprintf("10.9.0.%d:9444", i+1)
		acts := h.core.Receive(h.now, 1, &MsgAddr{Addrs: []NetAddress{{Addr: addr, LastSeen: h.now.Unix()}}})
		got := addrsSent(acts)
		if len(got) != 2 {
			t.Fatalf("address %s sent to %d peers (%v), want 2", addr, len(got), got)
		}
		var ids []PeerID
		for id, addrs := range got {
			if id == 1 {
				t.Fatalf("address %s echoed to its sender", addr)
			}
			if !slices.Equal(addrs, []string{addr}) {
				t.Fatalf("peer %d got %v, want [%s]", id, addrs, addr)
			}
			ids = append(ids, id)
			reached[id] = true
		}
		slices.Sort(ids)
		pairs[fmt.Sprint(ids)] = true
	}
	// 40 addresses over 36 possible pairs of 9 peers: a fixed pair, or a
	// choice that ignores the address, would show as a handful.
	if len(pairs) < 15 || len(reached) != peers-1 {
		t.Fatalf("40 addresses went to %d distinct pairs reaching %d peers; want a spread over all 9", len(pairs), len(reached))
	}
}

// connectFrom completes the handshake of inbound peer id connecting from
// addr and listening on its host's port 9555.
func (h *coreHarness) connectFrom(id PeerID, addr string) []Action {
	acts := h.core.Connected(h.now, id, addr, true, "")
	acts = append(acts, h.core.Receive(h.now, id, h.version(uint64(id)+100, 0))...)
	return append(acts, h.core.Receive(h.now, id, &MsgVerAck{})...)
}

// An address announced again within the period goes to the same peers,
// which know it already: nobody new hears of it. (An inbound peer's listen
// address is announced each time it connects.)
func TestAddrRelayStableWithinPeriod(t *testing.T) {
	h := newCoreHarness(t, nil)
	for id := PeerID(1); id <= 8; id++ {
		h.connect(id, 0)
	}
	h.now = h.now.Add(time.Minute)
	first := addrsSent(h.connectFrom(20, "10.7.0.1:5000")) // listens on 10.7.0.1:9555
	if len(first) != 2 {
		t.Fatalf("listen address sent to %v, want 2 peers", first)
	}
	for id := PeerID(21); id <= 25; id++ {
		h.now = h.now.Add(time.Minute)
		h.core.Disconnected(h.now, id-1, nil)
		if got := addrsSent(h.connectFrom(id, "10.7.0.1:5000")); len(got) != 0 {
			t.Fatalf("reconnection %d: the address went to %v; the peers chosen first have it", id, got)
		}
	}
}

// The peers chosen for an address change once per period, at a time of
// the address's own.
func TestAddrRelayPeriod(t *testing.T) {
	h := newCoreHarness(t, nil)
	var offsets []time.Duration
	for i := range 5 {
		addr := fmt.Sprintf("10.9.1.%d:9444", i+1)
		var changes []time.Time
		prev := h.core.addrRelayHash(addr, h.now)
		for at := h.now; at.Before(h.now.Add(4 * addrRelayPeriod)); at = at.Add(time.Minute) {
			if v := h.core.addrRelayHash(addr, at); v != prev {
				changes = append(changes, at)
				prev = v
			}
		}
		if len(changes) < 3 || len(changes) > 4 {
			t.Fatalf("%s: the choice changed %d times in four periods, want 3 or 4", addr, len(changes))
		}
		for j := 1; j < len(changes); j++ {
			if d := changes[j].Sub(changes[j-1]); d != addrRelayPeriod {
				t.Fatalf("%s: changes %v apart, want %v", addr, d, addrRelayPeriod)
			}
		}
		offsets = append(offsets, changes[0].Sub(h.now))
	}
	slices.Sort(offsets)
	if len(slices.Compact(offsets)) < 4 {
		t.Fatalf("addresses change their choice at the same times: %v", offsets)
	}
}

// A peer's addresses pass through its token bucket: one token at first,
// 0.1 more a second, at most 1,000; the rest are dropped unprocessed and
// counted.
func TestAddrTokenBucket(t *testing.T) {
	h := newCoreHarness(t, nil)
	h.connect(1, 0)
	learned := func() int { return len(h.core.KnownAddrs()) - 1 } // less peer 1's own
	batch := func(n, from int) []NetAddress {
		var addrs []NetAddress
		for i := range n {
			addrs = append(addrs, NetAddress{Addr: fmt.Sprintf("10.%d.%d.%d:9444", 20+(from+i)>>16, (from+i)>>8&0xff, (from+i)&0xff), LastSeen: h.now.Unix()})
		}
		return addrs
	}
	check := func(step string, processed, limited, book int) {
		t.Helper()
		p := h.peerInfo(1)
		if p.AddrProcessed != processed || p.AddrRateLimited != limited || learned() != book {
			t.Fatalf("%s: processed %d, rate limited %d, book %d; want %d, %d, %d",
				step, p.AddrProcessed, p.AddrRateLimited, learned(), processed, limited, book)
		}
	}
	h.core.Receive(h.now, 1, &MsgAddr{Addrs: batch(10, 0)})
	check("first message", 1, 9, 1)
	h.now = h.now.Add(100 * time.Second) // 10 tokens
	h.core.Receive(h.now, 1, &MsgAddr{Addrs: batch(15, 100)})
	check("after 100 s", 11, 14, 11)
	h.now = h.now.Add(24 * time.Hour) // 8,640 tokens, capped at 1,000
	h.core.Receive(h.now, 1, &MsgAddr{Addrs: batch(MaxAddrPerMsg, 1000)})
	check("after a day", 1011, 14, 1011)
	h.core.Receive(h.now, 1, &MsgAddr{Addrs: batch(5, 3000)})
	check("bucket empty", 1011, 19, 1011)
}

// Asking a peer for addresses lets its whole answer through the bucket.
func TestAddrGetAddrAnswerPasses(t *testing.T) {
	h := newCoreHarness(t, func(c *Config) { c.Connect = []string{"10.2.0.1:9444"} })
	h.core.Start(h.now)
	h.core.Connected(h.now, 1, "10.2.0.1:9444", false, "")
	h.core.Receive(h.now, 1, h.version(7, 0))
	acts := h.core.Receive(h.now, 1, &MsgVerAck{})
	if !slices.Contains(types(sent(acts, 1)), TypeGetAddr) {
		t.Fatalf("no getaddr to an outbound peer: %v", types(sent(acts, 1)))
	}
	var addrs []NetAddress
	for i := range MaxAddrPerMsg {
		addrs = append(addrs, NetAddress{Addr: fmt.Sprintf("10.30.%d.%d:9444", i>>8, i&0xff), LastSeen: h.now.Unix()})
	}
	h.core.Receive(h.now, 1, &MsgAddr{Addrs: addrs})
	if p := h.peerInfo(1); p.AddrProcessed != MaxAddrPerMsg || p.AddrRateLimited != 0 {
		t.Fatalf("getaddr answer: processed %d, rate limited %d; want all %d processed", p.AddrProcessed, p.AddrRateLimited, MaxAddrPerMsg)
	}
}

// visitAdvertising opens an inbound connection id from host, completes
// its handshake advertising listen as its address, and closes it: what
// one host can repeat to teach the node addresses.
func (h *coreHarness) visitAdvertising(id PeerID, host, listen string) {
	h.core.Connected(h.now, id, fmt.Sprintf("%s:%d", host, 40000+id), true, "")
	v := h.version(uint64(id)+100, 0)
	v.ListenAddr = listen
	h.core.Receive(h.now, id, v)
	h.core.Receive(h.now, id, &MsgVerAck{})
	h.core.Disconnected(h.now, id, nil)
}

// One operator reconnecting from its own addresses cannot take over the
// address book, nor every outbound slot: the addresses learned from one
// address group are at most maxBookPerSource, and outbound connections
// go to one peer per group. Before, an inbound peer's advertised listen
// address went into the book unconditionally and the book evicted the
// least recently seen entry, so 4,200 short connections from one host,
// each advertising another port, replaced the whole book (the 1,000
// addresses two outbound peers had given gone) and all eight outbound
// dials went to that host.
func TestAddrBookResistsOneSource(t *testing.T) {
	h := newCoreHarness(t, func(c *Config) { c.NoDiscovery = false })
	// Two peers the node dialed answer its getaddr with 500 addresses each.
	var honest []NetAddress
	for id := PeerID(1); id <= 2; id++ {
		h.core.Connected(h.now, id, fmt.Sprintf("198.%d.100.1:9444", 50+id), false, "")
		h.core.Receive(h.now, id, h.version(uint64(id)+100, 0))
		h.core.Receive(h.now, id, &MsgVerAck{})
		var addrs []NetAddress
		for i := range 500 {
			addrs = append(addrs, NetAddress{Addr: fmt.Sprintf("%d.%d.%d.1:9444", 100+i/200, i%200, id), LastSeen: h.now.Unix() - 3600})
		}
		h.core.Receive(h.now, id, &MsgAddr{Addrs: addrs})
		honest = append(honest, addrs...)
	}

	const attacker = "203.0.113.7"
	for id := PeerID(3); id < 4200; id++ {
		h.visitAdvertising(id, attacker, fmt.Sprintf("%s:%d", attacker, 1000+id))
	}
	kept, theirs := 0, 0
	for _, a := range h.core.KnownAddrs() {
		switch {
		case strings.HasPrefix(a, attacker+":"):
			theirs++
		case !strings.HasPrefix(a, "198."):
			kept++
		}
	}
	if kept != len(honest) || theirs > maxBookPerSource {
		t.Fatalf("book: %d of %d honest addresses kept, %d of the attacker's (at most %d wanted)",
			kept, len(honest), theirs, maxBookPerSource)
	}
	// Dials fail and others are tried, round after round: never more than
	// one at a time to the attacker's group.
	for round := range 20 {
		h.now = h.now.Add(time.Hour) // past every backoff
		h.core.Tick(h.now)
		theirs := 0
		for a := range h.core.dialing {
			if strings.HasPrefix(a, attacker+":") {
				theirs++
			}
		}
		if theirs > 1 {
			t.Fatalf("round %d: %d of %d outbound dials to one host", round, theirs, len(h.core.dialing))
		}
		for _, a := range slices.Sorted(maps.Keys(h.core.dialing)) {
			h.core.DialFailed(h.now, a, nil)
		}
	}
}

// Host names peers give are one group for outbound dials: a name costs
// nothing and may lead to any host, so each its own group let one
// operator, advertising a name per connection, win an outbound slot per
// name (all eight here). Configured names (seeds) are exempt: both are
// dialed beside one of the names.
func TestAddrBookNamesOneOutboundGroup(t *testing.T) {
	seeds := []string{"seed1.example.org:9444", "seed2.example.org:9444"}
	h := newCoreHarness(t, func(c *Config) { c.NoDiscovery = false })
	for _, a := range seeds { // as addConfiguredAddrs puts the network's seeds
		h.core.book.add(a, 0, true, "")
	}
	for id := PeerID(1); id <= maxBookPerSource; id++ {
		h.visitAdvertising(id, "203.0.113.7", fmt.Sprintf("n%d.attacker.example:9444", id))
	}
	for round := range 5 {
		h.now = h.now.Add(time.Hour) // past every backoff
		h.core.Tick(h.now)
		names, seedsDialed := 0, 0
		for a := range h.core.dialing {
			if strings.HasSuffix(a, ".attacker.example:9444") {
				names++
			}
			if slices.Contains(seeds, a) {
				seedsDialed++
			}
		}
		if names != 1 || round == 0 && seedsDialed != len(seeds) {
			t.Fatalf("round %d: %d outbound dials to names one peer gave (want 1), %d to the %d seeds",
				round, names, seedsDialed, len(seeds))
		}
		for _, a := range slices.Sorted(maps.Keys(h.core.dialing)) {
			h.core.DialFailed(h.now, a, nil)
		}
	}
}

// What one address group gave the book is saved with it: a restart that
// forgot it (every restored entry of source "") let the group add
// maxBookPerSource more after each restart.
func TestAddrBookSourceSurvivesRestart(t *testing.T) {
	const attacker = "203.0.113.7"
	floods := func(h *coreHarness, first PeerID) {
		for id := first; id < first+maxBookPerSource; id++ {
			h.visitAdvertising(id, attacker, fmt.Sprintf("%s:%d", attacker, 1000+id))
		}
	}
	h := newCoreHarness(t, nil)
	floods(h, 1)
	saved, err := h.core.State()
	if err != nil {
		t.Fatal(err)
	}
	restarted := newCoreHarness(t, nil)
	if err := restarted.core.RestoreState(saved, restarted.now); err != nil {
		t.Fatal(err)
	}
	floods(restarted, 1+maxBookPerSource)
	theirs := 0
	for _, a := range restarted.core.KnownAddrs() {
		if strings.HasPrefix(a, attacker+":") {
			theirs++
		}
	}
	if theirs > maxBookPerSource {
		t.Fatalf("after a restart the book holds %d addresses one group gave, at most %d wanted", theirs, maxBookPerSource)
	}
}

// The peers the node dialed by host name are one source group: each name
// its own let one operator, whose names the node dials one after another,
// add maxBookPerSource addresses per name (1,536 from three here).
func TestAddrBookNamesOneSource(t *testing.T) {
	h := newCoreHarness(t, func(c *Config) { c.NoDiscovery = false })
	for id := PeerID(1); id <= 3; id++ {
		h.core.Connected(h.now, id, fmt.Sprintf("n%d.attacker.example:9444", id), false, "")
		h.core.Receive(h.now, id, h.version(uint64(id)+100, 0))
		h.core.Receive(h.now, id, &MsgVerAck{}) // the node asks for addresses
		var addrs []NetAddress
		for i := range MaxAddrPerMsg {
			addrs = append(addrs, NetAddress{Addr: fmt.Sprintf("%d.%d.%d.1:9444", 100+i/200, i%200, id), LastSeen: h.now.Unix()})
		}
		h.core.Receive(h.now, id, &MsgAddr{Addrs: addrs})
	}
	given := 0
	for _, a := range h.core.KnownAddrs() {
		if !strings.Contains(a, ".attacker.example:") {
			given++
		}
	}
	if given > maxBookPerSource {
		t.Fatalf("%d addresses from the peers dialed by name, at most %d wanted", given, maxBookPerSource)
	}
}

// routable follows Bitcoin Core's IsRoutable at the edges of each range.
func TestRoutable(t *testing.T) {
	for addr, want := range map[string]bool{
		"1.1.1.1:9444": true, "0.1.2.3:9444": false, "127.0.0.2:9444": false,
		"9.255.255.255:9444": true, "10.0.0.1:9444": false, "11.0.0.0:9444": true,
		"100.63.255.255:9444": true, "100.64.0.1:9444": false, "100.127.255.255:9444": false, "100.128.0.0:9444": true,
		"169.254.9.9:9444": false, "169.255.0.1:9444": true,
		"172.15.255.255:9444": true, "172.16.0.0:9444": false, "172.31.255.255:9444": false, "172.32.0.0:9444": true,
		"192.0.2.7:9444": false, "192.0.3.7:9444": true, "192.168.1.1:9444": false, "192.169.0.1:9444": true,
		"198.17.255.255:9444": true, "198.18.0.0:9444": false, "198.19.255.255:9444": false, "198.20.0.0:9444": true,
		"198.51.100.9:9444": false, "203.0.113.2:9444": false, "203.0.114.2:9444": true, "255.255.255.255:9444": false,
		"[2a00:1450::1]:9444": true, "[::1]:9444": false, "[::ffff:127.0.0.1]:9444": false, "[::ffff:8.8.8.8]:9444": true,
		"[2001:db8::1]:9444": false, "[2001:db9::1]:9444": true,
		"[2001:10::1]:9444": false, "[2001:2f::1]:9444": false, "[2001:30::1]:9444": true,
		"[fc00::1]:9444": false, "[fdff::1]:9444": false, "[fe80::1]:9444": false, "[fe80::1%eth0]:9444": false,
		"[febf::1]:9444": false, "[fec0::1]:9444": true, "[2a00:1450::1%eth0]:9444": false,
		"seed.example.org:9444": false, "localhost:9444": false,
	} {
		a, err := normalizeAddr(addr)
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		if got := routable(a); got != want {
			t.Errorf("routable(%s) = %v, want %v", a, got, want)
		}
	}
}

// unroutableAddrs are addresses a stranger could send that no node on the
// internet is reached at.
var unroutableAddrs = []string{
	"127.0.0.1:9444", "10.5.0.1:9444", "192.168.1.1:9444", "172.20.0.1:9444", "169.254.1.1:9444",
	"[fe80::1]:9444", "[fc00::1]:9444", "198.51.100.1:9444", "node.example.org:9444", "localhost:9444",
}

// On a network whose nodes are on the internet (chain.Params.LocalAddrs
// false), the loopback, private, documentation addresses and host names
// peers send (in addr or as an inbound peer's listen address) are neither
// kept nor relayed nor shared, and neither are configured ones; on a local
// network they all are, as its nodes find each other through them. Before,
// every network kept and relayed them all.
func TestAddrUnroutableKeptOnlyOnLocalNetworks(t *testing.T) {
	const routableAddr, private = "8.8.4.4:9444", "192.168.5.5:9444"
	for _, local := range []bool{false, true} {
		params := testParams()
		params.LocalAddrs = local
		h := newCoreHarnessOn(t, params, func(c *Config) { c.AddNode = []string{private} })
		for id := PeerID(1); id <= 4; id++ {
			h.connect(id, 0)
		}
		relayed := make(map[string]bool)
		for batch := range slices.Chunk(append([]string{routableAddr}, unroutableAddrs...), maxRelayedAddrMsg) {
			h.now = h.now.Add(time.Duration(len(batch)) * 10 * time.Second) // a token per address
			var msg MsgAddr
			for _, a := range batch {
				msg.Addrs = append(msg.Addrs, NetAddress{Addr: a, LastSeen: h.now.Unix()})
			}
			for _, addrs := range addrsSent(h.core.Receive(h.now, 1, &msg)) {
				for _, a := range addrs {
					relayed[a] = true
				}
			}
		}
		listens := []string{"127.0.0.1:9555", "10.9.9.9:9555", "listen.example.org:9555", "8.8.8.8:9555"}
		for i, listen := range listens {
			h.visitAdvertising(PeerID(10+i), "8.8.0.1", listen)
		}
		// Shared: among the addresses getaddr answers are drawn from (a
		// few percent of them in an answer, off local networks).
		var answer []string
		for _, na := range h.core.book.sample(maxBookSize, 0, "", h.now, h.core.shareable, rand.New(rand.NewPCG(1, 1))) {
			answer = append(answer, na.Addr)
		}
		book := h.core.KnownAddrs()
		check := func(a string, wantKept, wantShared, wantRelayed bool) {
			a, _ = normalizeAddr(a)
			kept, shared := slices.Contains(book, a), slices.Contains(answer, a)
			if kept != wantKept || shared != wantShared || relayed[a] != wantRelayed {
				t.Errorf("local network %v: %s kept %v, shared %v, relayed %v; want %v, %v, %v",
					local, a, kept, shared, relayed[a], wantKept, wantShared, wantRelayed)
			}
		}
		for _, a := range append([]string{routableAddr}, unroutableAddrs...) {
			ok := local || routable(a)
			check(a, ok, ok, ok)
		}
		for _, a := range listens { // relayed to peers visitAdvertising does not watch
			ok := local || routable(a)
			check(a, ok, ok, false)
		}
		check(private, true, local, false) // configured: kept, shared only on local networks
	}
}

// A book saved by an older version, which kept any address, loses on a
// network whose nodes are on the internet what a peer could no longer
// give it; a local network's keeps them.
func TestAddrBookRestoreDropsUnroutable(t *testing.T) {
	const routableAddr = "8.8.4.4:9444"
	saved, err := AddressBookState(append([]string{routableAddr}, unroutableAddrs...), coreStart)
	if err != nil {
		t.Fatal(err)
	}
	for _, local := range []bool{false, true} {
		params := testParams()
		params.LocalAddrs = local
		h := newCoreHarnessOn(t, params, nil)
		if err := h.core.RestoreState(saved, h.now); err != nil {
			t.Fatal(err)
		}
		want := []string{routableAddr}
		if local {
			want = append(want, unroutableAddrs...)
		}
		if got := h.core.KnownAddrs(); !sameAddrs(got, want) {
			t.Errorf("local network %v: restored %v, want %v", local, got, want)
		}
	}
}

// sameAddrs reports whether got and want hold the same addresses
// (normalized), in any order.
func sameAddrs(got, want []string) bool {
	var norm []string
	for _, a := range want {
		n, _ := normalizeAddr(a)
		norm = append(norm, n)
	}
	return slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(norm)))
}

// getAddrBook returns a harness on a network whose nodes are on the
// internet (LocalAddrs false, unless local) whose book holds n routable
// addresses.
func getAddrBook(t *testing.T, n int, local bool) *coreHarness {
	t.Helper()
	params := testParams()
	params.LocalAddrs = local
	h := newCoreHarnessOn(t, params, nil)
	h.addBook(n)
	return h
}

// addBook adds the routable addresses 8.x.y.1:9444 numbered 0 to n-1 to
// the book.
func (h *coreHarness) addBook(n int) {
	h.t.Helper()
	var addrs []string
	for i := range n {
		addrs = append(addrs, fmt.Sprintf("8.%d.%d.1:9444", 1+i/250, i%250))
	}
	saved, err := AddressBookState(addrs, h.now)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.core.RestoreState(saved, h.now); err != nil {
		h.t.Fatal(err)
	}
}

// getAddr connects inbound peer id from addr to the node's address local,
// advertising listen (so "" adds nothing to the book), asks it for
// addresses and hangs up: the node's actions on the getaddr.
func (h *coreHarness) getAddr(id PeerID, addr, local, listen string) []Action {
	h.t.Helper()
	h.core.Connected(h.now, id, addr, true, local)
	v := h.version(uint64(id)+100, 0)
	v.ListenAddr = listen
	h.core.Receive(h.now, id, v)
	h.core.Receive(h.now, id, &MsgVerAck{})
	acts := h.core.Receive(h.now, id, &MsgGetAddr{})
	h.core.Disconnected(h.now, id, nil)
	return acts
}

// askAddrs is getAddr's answer: the addresses sent, sorted.
func (h *coreHarness) askAddrs(id PeerID, addr, local, listen string) []string {
	h.t.Helper()
	return slices.Sorted(slices.Values(addrsSent(h.getAddr(id, addr, local, listen))[id]))
}

// A getaddr that finds nothing to share is answered with no addr message
// at all, as Bitcoin Core's MaybeSendAddr sends none empty: an empty book,
// or one whose answer holds only the requester's own listen address (on
// main a book of 5 caches 1 address, 23%). Before, the node sent an empty
// addr.
func TestGetAddrNothingToShareSendsNothing(t *testing.T) {
	const local = "8.8.8.8:9444"
	for _, onLocal := range []bool{false, true} {
		h := getAddrBook(t, 0, onLocal)
		if got := types(sent(h.getAddr(1, "9.0.0.1:40000", local, ""), 1)); slices.Contains(got, TypeAddr) {
			t.Errorf("local network %v: empty book answered a getaddr with %v, want no addr", onLocal, got)
		}
		n := 5
		if onLocal {
			n = 1
		}
		h.addBook(n)
		shared := h.askAddrs(2, "9.0.0.2:40000", local, "")
		if len(shared) != 1 {
			t.Fatalf("local network %v: answer %v, want one address", onLocal, shared)
		}
		host, _, _ := strings.Cut(shared[0], ":")
		if got := types(sent(h.getAddr(3, host+":40000", local, "0.0.0.0:9444"), 3)); slices.Contains(got, TypeAddr) {
			t.Errorf("local network %v: a peer listening on %s, the only address to share, was sent %v, want no addr", onLocal, shared[0], got)
		}
	}
}

// Peers that connect again and again, from as many hosts as they like,
// learn no more of the address book than one getaddr answer holds: 23% of
// the addresses the node would share (460 of 2,000), the same for
// everyone for 21 to 27 hours, as Bitcoin Core's cache of answers. Before,
// each connection got a fresh sample of up to 1,000, and 30 reconnecting
// peers together learned every address in the book.
func TestGetAddrAnswerCached(t *testing.T) {
	const book, want = 2000, 2000 * getAddrPct / 100
	h := getAddrBook(t, book, false)
	const local = "8.8.8.8:9444"
	first := h.askAddrs(1, "9.0.0.1:40000", local, "")
	learned := make(map[string]bool)
	for _, a := range first {
		learned[a] = true
	}
	differ := 0
	for id := PeerID(2); id <= 30; id++ {
		h.now = h.now.Add(30 * time.Minute)
		answer := h.askAddrs(id, fmt.Sprintf("9.%d.0.1:40000", id), local, "")
		for _, a := range answer {
			learned[a] = true
		}
		if !slices.Equal(answer, first) {
			differ++
		}
	}
	if len(first) != want || len(learned) != want || differ > 0 {
		t.Fatalf("30 peers connecting over 14.5 hours learned %d of the book's %d addresses (answers of %d, %d unlike the first); want one answer of %d",
			len(learned), book, len(first), differ, want)
	}

	// A peer is not sent its own listen address: it gets the rest.
	own := first[0]
	host, _, _ := strings.Cut(own, ":")
	if got := h.askAddrs(31, host+":40000", local, "0.0.0.0:9444"); len(got) != want-1 || slices.Contains(got, own) {
		t.Errorf("peer listening on %s, which the cache holds: %d addresses (own included: %v), want the other %d",
			own, len(got), slices.Contains(got, own), want-1)
	}
}

// Each cache lives 21 to 27 hours; then the next getaddr draws a new one.
// One built empty (the book had nothing to share) is drawn again at the
// next getaddr.
func TestGetAddrCacheExpires(t *testing.T) {
	const local = "8.8.8.8:9444"
	h := getAddrBook(t, 0, false)
	if got := h.askAddrs(1, "9.0.0.1:40000", local, ""); len(got) != 0 {
		t.Fatalf("empty book answered %v", got)
	}
	h.addBook(2000)
	start := h.now
	first := h.askAddrs(2, "9.0.0.2:40000", local, "")
	if len(first) != 460 {
		t.Fatalf("after an empty answer, the book of 2,000 answered %d addresses, want 460", len(first))
	}
	h.now = start.Add(getAddrCacheLife - time.Second)
	if got := h.askAddrs(3, "9.0.0.3:40000", local, ""); !slices.Equal(got, first) {
		t.Fatalf("answer changed before the cache's lifetime")
	}
	h.now = start.Add(getAddrCacheLife + getAddrCacheSpread)
	second := h.askAddrs(4, "9.0.0.4:40000", local, "")
	if len(second) != len(first) || slices.Equal(second, first) {
		t.Fatalf("after %v: %d addresses, same as before: %v; want a new draw of %d",
			getAddrCacheLife+getAddrCacheSpread, len(second), slices.Equal(second, first), len(first))
	}
	h.now = h.now.Add(getAddrCacheLife - time.Second)
	if got := h.askAddrs(5, "9.0.0.5:40000", local, ""); !slices.Equal(got, second) {
		t.Fatalf("the new cache changed before its lifetime")
	}
}

// One cache per network the peer came over and address of the node: two
// of the node's addresses cannot be told to be one node by their answers.
func TestGetAddrCachePerNetworkAndAddress(t *testing.T) {
	h := getAddrBook(t, 2000, false)
	v4a := h.askAddrs(1, "9.0.0.1:40000", "8.8.8.8:9444", "")
	cases := []struct {
		addr, local string
		same        bool
	}{
		{"9.0.0.2:40000", "8.8.8.8:1234", true},  // same address of the node
		{"9.0.0.3:40000", "8.8.4.4:9444", false}, // another of its IPv4 addresses
		{"[2a00::1]:40000", "", false},           // IPv6
		{"9.0.0.4:40000", "", false},             // IPv4, the node's address unknown
	}
	for i, tc := range cases {
		got := h.askAddrs(PeerID(2+i), tc.addr, tc.local, "")
		if slices.Equal(got, v4a) != tc.same {
			t.Errorf("peer %s to %q: same answer as 9.0.0.1 to 8.8.8.8: %v, want %v", tc.addr, tc.local, !tc.same, tc.same)
		}
	}
}

// On local networks every getaddr gets a fresh sample of up to 1,000: the
// nodes find each other through these answers as they start.
func TestGetAddrFreshOnLocalNetworks(t *testing.T) {
	h := getAddrBook(t, 2000, true)
	first := h.askAddrs(1, "10.1.0.1:40000", "10.0.0.1:9444", "")
	second := h.askAddrs(2, "10.1.0.2:40000", "10.0.0.1:9444", "")
	if len(first) != MaxAddrPerMsg || len(second) != MaxAddrPerMsg || slices.Equal(first, second) {
		t.Fatalf("answers of %d and %d addresses, equal %v; want two different samples of %d",
			len(first), len(second), slices.Equal(first, second), MaxAddrPerMsg)
	}
}

// A getaddr from a peer the node dialed gets no answer, as in Bitcoin
// Core: the node asks only the peers it dials, and a peer it dials over
// several of its addresses could link them by their answers. Inbound
// peers still get theirs.
func TestGetAddrIgnoredFromOutbound(t *testing.T) {
	for _, local := range []bool{false, true} {
		h := getAddrBook(t, 2000, local)
		h.core.Connected(h.now, 1, "9.0.0.1:9444", false, "8.8.8.8:40000")
		h.core.Receive(h.now, 1, h.version(101, 0))
		h.core.Receive(h.now, 1, &MsgVerAck{})
		acts := h.core.Receive(h.now, 1, &MsgGetAddr{})
		if slices.ContainsFunc(sent(acts, 1), func(m Message) bool { _, ok := m.(*MsgAddr); return ok }) {
			t.Errorf("local network %v: a peer the node dialed was answered its getaddr", local)
		}
		if got := h.askAddrs(2, "9.0.0.2:40000", "8.8.8.8:9444", ""); len(got) == 0 {
			t.Errorf("local network %v: an inbound peer's getaddr got no addresses", local)
		}
	}
}

// A banned address is not shared, as Bitcoin Core leaves banned addresses
// out of getaddr answers: the node would send its peers to a host it
// refuses (and that it banned for misbehaving).
func TestGetAddrLeavesOutBanned(t *testing.T) {
	for _, local := range []bool{false, true} {
		h := getAddrBook(t, 40, local) // 8.1.0.1 to 8.1.39.1
		banned := make(map[string]bool)
		for i := 0; i < 40; i += 2 {
			h.core.SetBan(h.now, fmt.Sprintf("8.1.%d.1", i), 10*365*24*time.Hour, "test")
			banned[fmt.Sprintf("8.1.%d.1:9444", i)] = true
		}
		// On main each cache holds 23% of the 20 addresses not banned
		// (4); on local networks every answer holds all 20.
		seen := make(map[string]bool)
		for id := PeerID(1); id <= 30; id++ {
			h.now = h.now.Add(getAddrCacheLife + getAddrCacheSpread)
			for _, a := range h.askAddrs(id, fmt.Sprintf("9.0.0.%d:40000", id), "8.8.8.8:9444", "") {
				seen[a] = true
			}
		}
		shared := slices.Sorted(maps.Keys(seen))
		if slices.ContainsFunc(shared, func(a string) bool { return banned[a] }) || len(shared) == 0 || (local && len(shared) != 20) {
			t.Errorf("local network %v: answers shared %v; want only addresses that are not banned (all 20 on a local network)", local, shared)
		}
	}
}
