package p2p

import (
	"fmt"
	"slices"
	"testing"

	"powchain/chain/chaintest"
	"powchain/wire"
)

// fetchFirst is how the node is already fetching a block from peer 1
// when a high-bandwidth peer pushes it.
type fetchFirst int

const (
	firstWhole    fetchFirst = iota // a getdata for the whole block
	firstCompact                    // a getdata for its compact form
	firstBlockTxn                   // a getblocktxn, the rebuild's missing transactions
)

func (f fetchFirst) String() string {
	return [...]string{"whole block", "compact block", "missing transactions"}[f]
}

// parallelScene is a node at b3 with peers 1 (inbound), 2 and 3
// (inbound, high-bandwidth: each gave the node a block first) and 4
// (outbound, high-bandwidth), and blk (b4), the block on its tip, whose
// two transactions its pool lacks, as src sends it.
type parallelScene struct {
	h   *coreHarness
	src *coreHarness
	blk *wire.Block
	g   *chaintest.Generator // made blk: NextBlock builds on it
}

func newParallelScene(t *testing.T) *parallelScene {
	h := newCoreHarness(t, nil)
	g := chaintest.NewGenerator(t, h.params)
	h.connect(1, 0)
	h.connect(2, 0)
	h.connect(3, 0)
	h.core.Connected(h.now, 4, "10.2.0.4:9444", false, "")
	h.core.Receive(h.now, 4, h.version(104, 0))
	h.core.Receive(h.now, 4, &MsgVerAck{})
	for i, id := range []PeerID{2, 3, 4} {
		b := g.NextBlock(fmt.Sprintf("b%d", i+1), nil)
		h.core.Receive(h.now, id, &MsgSendCmpct{Version: CompactVersion})
		h.core.Receive(h.now, id, &MsgAnnounce{Headers: []wire.BlockHeader{b.Header}})
		validated(h, h.core.Receive(h.now, id, &MsgBlock{Block: b}))
	}
	if got := h.core.HighBandwidthPeers(); !slices.Equal(got, []PeerID{2, 3, 4}) {
		t.Fatalf("high-bandwidth peers %v, want 2, 3 and 4", got)
	}
	txs := []*wire.Tx{
		g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 1000, 2),
		g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b2")}, 1000, 2),
	}
	return &parallelScene{h: h, src: newCoreHarness(t, nil), blk: g.NextBlock("b4", txs), g: g}
}

func (s *parallelScene) compact() *MsgCmpctBlock {
	return s.src.core.compactFor(s.blk, s.blk.BlockHash(), nil)
}

// fetchFrom1 has the node fetch blk from peer 1 as first says, and checks
// that it asked.
func (s *parallelScene) fetchFrom1(t *testing.T, first fetchFirst) {
	t.Helper()
	h, hash := s.h, s.blk.BlockHash()
	if first != firstWhole {
		h.core.Receive(h.now, 1, &MsgSendCmpct{Version: CompactVersion})
	}
	acts := h.core.Receive(h.now, 1, &MsgAnnounce{Headers: []wire.BlockHeader{s.blk.Header}})
	want := InvVect{Type: InvBlock, Hash: hash}
	if first != firstWhole {
		want.Type = InvCmpctBlock
	}
	if gd, ok := only[*MsgGetData](t, sent(acts, 1)); !ok || !slices.Equal(gd.Items, []InvVect{want}) {
		t.Fatalf("peer 1 asked for %v, want %v", gd, want)
	}
	if first == firstBlockTxn {
		only[*MsgGetBlockTxn](t, sent(h.core.Receive(h.now, 1, s.compact()), 1))
	}
}

// askedForTxs checks that acts ask peer id, and nobody else, for blk's two
// transactions.
func (s *parallelScene) askedForTxs(t *testing.T, acts []Action, id PeerID) {
	t.Helper()
	for _, a := range acts {
		if _, ok := a.Msg.(*MsgGetBlockTxn); ok && a.Peer != id {
			t.Fatalf("getblocktxn sent to peer %d, want only to %d", a.Peer, id)
		}
	}
	m, ok := only[*MsgGetBlockTxn](t, sent(acts, id))
	if ok && (m.Block != s.blk.BlockHash() || !slices.Equal(m.Indexes, []int{1, 2})) {
		t.Fatalf("getblocktxn %v %v, want blk's indexes 1 and 2", m.Block, m.Indexes)
	}
}

// answer has peer id send blk's transactions, and checks that blk is then
// the tip.
func (s *parallelScene) answer(t *testing.T, id PeerID) {
	t.Helper()
	h := s.h
	validated(h, h.core.Receive(h.now, id, &MsgBlockTxn{Block: s.blk.BlockHash(), Txs: s.blk.Transactions[1:]}))
	if h.chain.Tip().Hash != s.blk.BlockHash() {
		t.Fatalf("tip %s after peer %d's blocktxn, want blk", h.chain.Tip().Hash, id)
	}
}

// A high-bandwidth peer that pushes a compact block whose transactions the
// node lacks is asked for them at once, even while another peer is
// fetching the block (whole, compact, or its missing transactions), as
// Bitcoin Core does: otherwise a first peer that never answers holds the
// block back until its request stalls (StallTimeout, 10 s by default),
// though the pushing peer could deliver it in one round trip. The
// block then connects from the pusher's answer; the first peer's answer,
// when it comes, is a duplicate and costs it nothing.
func TestCompactPushedWhileFetchedElsewhere(t *testing.T) {
	for _, first := range []fetchFirst{firstWhole, firstCompact, firstBlockTxn} {
		t.Run(first.String(), func(t *testing.T) {
			s := newParallelScene(t)
			s.fetchFrom1(t, first)
			s.askedForTxs(t, s.h.core.Receive(s.h.now, 2, s.compact()), 2)
			s.answer(t, 2)
			var late Message = &MsgBlock{Block: s.blk}
			if first != firstWhole {
				late = s.compact()
			}
			if first == firstBlockTxn {
				late = &MsgBlockTxn{Block: s.blk.BlockHash(), Txs: s.blk.Transactions[1:]}
			}
			acts := validated(s.h, s.h.core.Receive(s.h.now, 1, late))
			if p := s.h.core.peers[1]; p == nil || p.score != 0 || len(p.blocks) != 0 || droppedFor(acts, 1) != 0 {
				t.Fatalf("peer 1's late answer (%s) was held against it", late.Type())
			}
		})
	}
}

// A peer that sends a compact block shows it has the block, even when the
// node knew the header already: when the request for the block elsewhere
// stalls, the block is asked of that peer. (Here the peer is no
// high-bandwidth peer, so its push alone does not get it asked.)
func TestCompactPusherAskedAfterStall(t *testing.T) {
	s := newParallelScene(t)
	h := s.h
	h.connect(5, 0)
	h.core.Receive(h.now, 5, &MsgSendCmpct{Version: CompactVersion})
	s.fetchFrom1(t, firstWhole)
	if acts := h.core.Receive(h.now, 5, s.compact()); len(sent(acts, 5)) != 0 {
		t.Fatalf("sent %v to a peer the node did not ask to push; want nothing while peer 1 fetches the block",
			types(sent(acts, 5)))
	}
	h.now = h.now.Add(h.core.cfg.StallTimeout + h.core.cfg.TickInterval)
	acts := h.core.Tick(h.now)
	want := []InvVect{{Type: InvCmpctBlock, Hash: s.blk.BlockHash()}}
	if got := getData(acts, 1); len(got) != 0 {
		t.Fatalf("peer 1 stalled and was asked again for %v", got)
	}
	if gd, ok := only[*MsgGetData](t, sent(acts, 5)); !ok || !slices.Equal(gd.Items, want) {
		t.Fatalf("after peer 1 stalled, peer 5 was asked for %v, want %v", gd, want)
	}
}

// At most maxFetchesPerBlock peers fetch one block, and the last place is
// kept for an outbound peer: with peer 1 fetching and inbound peer 2
// asked for the transactions too, inbound peer 3's push gets no request;
// outbound peer 4's does, and then the places are full.
func TestCompactParallelFetchesBounded(t *testing.T) {
	s := newParallelScene(t)
	h := s.h
	s.fetchFrom1(t, firstWhole)
	s.askedForTxs(t, h.core.Receive(h.now, 2, s.compact()), 2)
	if acts := h.core.Receive(h.now, 3, s.compact()); len(sent(acts, 3)) != 0 {
		t.Fatalf("inbound peer 3 took the last place: sent %v", types(sent(acts, 3)))
	}
	s.askedForTxs(t, h.core.Receive(h.now, 4, s.compact()), 4)
	if acts := h.core.Receive(h.now, 3, s.compact()); len(sent(acts, 3)) != 0 {
		t.Fatalf("a fourth peer fetches the block: sent %v to peer 3", types(sent(acts, 3)))
	}
	if got := h.core.blockReq[s.blk.BlockHash()]; !slices.Equal(got, []PeerID{1, 2, 4}) {
		t.Fatalf("block fetched from peers %v, want 1, 2 and 4", got)
	}
	s.answer(t, 4)
}

// The other order: a high-bandwidth peer's compact block comes first and
// its missing transactions are asked of it; a peer that then announces
// the block is not asked for it as well (one request per block, as
// before), but if the first peer never answers, its request stalls and
// the block is fetched from the announcer.
func TestCompactStalledRebuildFetchedElsewhere(t *testing.T) {
	s := newParallelScene(t)
	h := s.h
	s.askedForTxs(t, h.core.Receive(h.now, 2, s.compact()), 2)
	h.core.Receive(h.now, 1, &MsgSendCmpct{Version: CompactVersion})
	if acts := h.core.Receive(h.now, 1, &MsgAnnounce{Headers: []wire.BlockHeader{s.blk.Header}}); len(getData(acts, 1)) != 0 {
		t.Fatalf("the block was asked of peer 1 while peer 2 fetches it: %v", getData(acts, 1))
	}
	h.now = h.now.Add(h.core.cfg.StallTimeout + h.core.cfg.TickInterval)
	acts := h.core.Tick(h.now)
	want := []InvVect{{Type: InvCmpctBlock, Hash: s.blk.BlockHash()}}
	if gd, ok := only[*MsgGetData](t, sent(acts, 1)); !ok || !slices.Equal(gd.Items, want) {
		t.Fatalf("after peer 2 stalled, peer 1 was asked for %v, want %v", gd, want)
	}
	if p := h.core.peers[2]; p.partial != nil || len(p.blocks) != 0 {
		t.Fatal("the stalled peer still holds its rebuild")
	}
}

// A peer asked for a block in compact form whose compact block cannot be
// rebuilt (two transactions share a short id) is asked for the whole
// block at once, as when it alone fetches the block (and as Bitcoin Core
// does), even while a high-bandwidth peer that pushed the block is asked
// for its transactions too: that peer may never answer, and the block
// would wait for its request to stall.
func TestCompactFallbackWhileFetchedElsewhere(t *testing.T) {
	s := newParallelScene(t)
	h := s.h
	s.fetchFrom1(t, firstCompact)
	s.askedForTxs(t, h.core.Receive(h.now, 2, s.compact()), 2)
	collide := *s.compact()
	collide.ShortIDs = slices.Clone(collide.ShortIDs)
	collide.ShortIDs[1] = collide.ShortIDs[0]
	acts := h.core.Receive(h.now, 1, &collide)
	want := []InvVect{{Type: InvBlock, Hash: s.blk.BlockHash()}}
	if gd, ok := only[*MsgGetData](t, sent(acts, 1)); !ok || !slices.Equal(gd.Items, want) {
		t.Fatalf("peer 1's compact block could not be rebuilt and it was asked for %v, want %v", gd, want)
	}
	if got := h.core.blockReq[s.blk.BlockHash()]; !slices.Equal(got, []PeerID{2, 1}) {
		t.Fatalf("block fetched from peers %v, want 2 and 1", got)
	}
	validated(h, h.core.Receive(h.now, 1, &MsgBlock{Block: s.blk}))
	if h.chain.Tip().Hash != s.blk.BlockHash() {
		t.Fatal("peer 1's block did not connect")
	}
}

// The same when the block is no longer near the tip by the time the
// asked peer's compact block comes (peer 3 announced 3 blocks on top of
// it, so the node is syncing): the asked peer is asked for it whole, not
// left to the pusher fetching it too.
func TestCompactFarFallbackWhileFetchedElsewhere(t *testing.T) {
	s := newParallelScene(t)
	h := s.h
	s.fetchFrom1(t, firstCompact)
	s.askedForTxs(t, h.core.Receive(h.now, 2, s.compact()), 2)
	var above []wire.BlockHeader
	for i := range maxCompactAhead + 1 {
		above = append(above, s.g.NextBlock(fmt.Sprint("above", i), nil).Header)
	}
	h.core.Receive(h.now, 3, &MsgAnnounce{Headers: above})
	acts := h.core.Receive(h.now, 1, s.compact())
	want := []InvVect{{Type: InvBlock, Hash: s.blk.BlockHash()}}
	if gd, ok := only[*MsgGetData](t, sent(acts, 1)); !ok || !slices.Equal(gd.Items, want) {
		t.Fatalf("peer 1's compact block came after the node fell behind and it was asked for %v, want %v", gd, want)
	}
}
