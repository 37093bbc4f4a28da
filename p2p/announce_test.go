package p2p

import (
	"testing"

	"powchain/chain/chaintest"
	"powchain/wire"
)

// A node asks its peers for header announcements unless it relays full
// blocks by inv.
func TestCoreAsksForHeaderAnnouncements(t *testing.T) {
	for _, mode := range []RelayMode{RelayCompact, RelayHeaders, RelayFull} {
		h := newCoreHarness(t, func(c *Config) { c.Relay = mode })
		asked := false
		for _, m := range sent(h.connect(1, 0), 1) {
			asked = asked || m.Type() == TypeSendHeaders
		}
		if asked != (mode != RelayFull) {
			t.Errorf("relay %s: sendheaders sent %v", mode, asked)
		}
	}
}

// A new tip is announced by header to a peer that asked (sendheaders) and
// by inv to one that did not; a peer that does not know the parent gets
// the headers from the last block it knows.
func TestCoreAnnouncesByHeader(t *testing.T) {
	h := newCoreHarness(t, nil)
	h.connect(1, 0)
	h.connect(2, 0)
	h.core.Receive(h.now, 1, &MsgSendHeaders{})
	g := chaintest.NewGenerator(t, h.params)
	blocks := buildChain(g, "b", 3)
	for _, b := range blocks {
		if _, err := h.chain.ProcessBlock(b); err != nil {
			t.Fatal(err)
		}
	}
	acts := h.core.ChainChanged(h.now, nil)
	ann, ok := only[*MsgAnnounce](t, sent(acts, 1))
	if !ok {
		return
	}
	if len(ann.Headers) != 3 || ann.Headers[2].BlockHash() != blocks[2].BlockHash() || ann.Headers[0].PrevBlock != h.params.GenesisHash {
		t.Fatalf("announced %d headers, want b1..b3 from genesis", len(ann.Headers))
	}
	if inv, ok := only[*MsgInv](t, sent(acts, 2)); ok && inv.Items[0].Hash != blocks[2].BlockHash() {
		t.Fatalf("peer 2 got inv %v, want the tip", inv.Items)
	}

	// The next block: one header, its parent known to the peer.
	b4 := g.NextBlock("b4", nil)
	if _, err := h.chain.ProcessBlock(b4); err != nil {
		t.Fatal(err)
	}
	acts = h.core.ChainChanged(h.now, nil)
	if ann, ok := only[*MsgAnnounce](t, sent(acts, 1)); ok && (len(ann.Headers) != 1 || ann.Headers[0] != b4.Header) {
		t.Fatalf("announced %d headers, want b4 alone", len(ann.Headers))
	}
}

// More new blocks than an announce holds, past what the peer is known to
// have, are announced by inv.
func TestCoreAnnouncesLongRunByInv(t *testing.T) {
	h := newCoreHarness(t, nil)
	h.connect(1, 0)
	h.core.Receive(h.now, 1, &MsgSendHeaders{})
	g := chaintest.NewGenerator(t, h.params)
	for _, b := range buildChain(g, "b", MaxAnnounceHeaders+1) {
		if _, err := h.chain.ProcessBlock(b); err != nil {
			t.Fatal(err)
		}
	}
	only[*MsgInv](t, sent(h.core.ChainChanged(h.now, nil), 1))
}

// A header announcement that connects makes the node request the block
// from the announcer at once (no getheaders); the block becomes the tip.
func TestCoreHeaderAnnouncementFetchesBlock(t *testing.T) {
	h := newCoreHarness(t, nil)
	h.connect(1, 0)
	g := chaintest.NewGenerator(t, h.params)
	b1 := g.NextBlock("b1", nil)
	acts := h.core.Receive(h.now, 1, &MsgAnnounce{Headers: []wire.BlockHeader{b1.Header}})
	gd, ok := only[*MsgGetData](t, sent(acts, 1))
	if !ok {
		return
	}
	if len(gd.Items) != 1 || gd.Items[0] != (InvVect{Type: InvBlock, Hash: b1.BlockHash()}) {
		t.Fatalf("getdata %v, want block b1", gd.Items)
	}
	h.core.Receive(h.now, 1, &MsgBlock{Block: b1})
	if h.chain.Tip().Hash != b1.BlockHash() {
		t.Fatal("announced block not connected")
	}
	if len(h.core.peers) != 1 || h.core.peers[1].score != 0 {
		t.Fatal("announcer penalised")
	}
}

// An announcement whose first header's parent is unknown is answered with
// getheaders, like an inv of an unknown block; one whose headers do not
// chain bans.
func TestCoreUnconnectedAnnouncement(t *testing.T) {
	h := newCoreHarness(t, nil)
	h.connect(1, 0)
	h.connect(2, 0)
	g := chaintest.NewGenerator(t, h.params)
	b1 := g.NextBlock("b1", nil)
	b2 := g.NextBlock("b2", nil)
	h.core.Receive(h.now, 1, &MsgHeaders{}) // answer the handshake's getheaders
	acts := h.core.Receive(h.now, 1, &MsgAnnounce{Headers: []wire.BlockHeader{b2.Header}})
	only[*MsgGetHeaders](t, sent(acts, 1))
	acts = h.core.Receive(h.now, 2, &MsgAnnounce{Headers: []wire.BlockHeader{b2.Header, b1.Header}})
	if droppedFor(acts, 2) == 0 {
		t.Fatal("headers that do not chain did not drop the peer")
	}
}

// only returns the one message of msgs, which must be an M.
func only[M Message](t *testing.T, msgs []Message) (M, bool) {
	t.Helper()
	var zero M
	if len(msgs) != 1 {
		t.Errorf("sent %v, want one %T", types(msgs), zero)
		return zero, false
	}
	m, ok := msgs[0].(M)
	if !ok {
		t.Errorf("sent %s, want %T", msgs[0].Type(), zero)
	}
	return m, ok
}
