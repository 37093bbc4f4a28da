package p2p

import (
	"fmt"
	"slices"
	"testing"

	"powchain/chain/chaintest"
	"powchain/wire"
)

// link joins two harnessed Cores: each is the other's peer 1, and the
// messages one sends to peer 1 are delivered to the other, in order,
// until both are quiet. Every message type that crossed is counted.
type link struct {
	t      *testing.T
	a, b   *coreHarness
	g      *chaintest.Generator
	counts map[MsgType]int
}

// newLink connects a sender a and a receiver b (each adjusted by its mod),
// both with blocks b1 and b2 of a common chain, b2's coinbase spendable.
func newLink(t *testing.T, modA, modB func(*Config)) *link {
	l := &link{t: t, a: newCoreHarness(t, modA), b: newCoreHarness(t, modB), counts: map[MsgType]int{}}
	l.g = chaintest.NewGenerator(t, l.a.params)
	for _, blk := range buildChain(l.g, "b", 2) {
		l.process(l.a, blk)
		l.process(l.b, blk)
	}
	actsA, actsB := l.a.connect(1, 2), l.b.connect(1, 2)
	l.deliver(l.a, actsA)
	l.deliver(l.b, actsB)
	return l
}

func (l *link) process(h *coreHarness, blk *wire.Block) {
	l.t.Helper()
	if _, err := h.chain.ProcessBlock(blk); err != nil {
		l.t.Fatal(err)
	}
}

// deliver hands what from sent to peer 1 to the other side, through the
// frame codec, and so on until nothing more is sent; a stored block is
// loaded from the sender's chain as it is sent (LoadStoredBlock), as a
// driver does. The handshake messages are not delivered:
// the harness made each side's handshake already.
func (l *link) deliver(from *coreHarness, acts []Action) {
	l.t.Helper()
	type hop struct {
		from *coreHarness
		msg  Message
	}
	var queue []hop
	push := func(from *coreHarness, acts []Action) {
		for _, m := range sent(acts, 1) {
			if m.Type() != TypeVersion && m.Type() != TypeVerAck {
				queue = append(queue, hop{from, LoadStoredBlock(from.chain, m)})
			}
		}
	}
	push(from, acts)
	for n := 0; len(queue) > 0; n++ {
		if n > 1000 {
			l.t.Fatal("the two Cores keep talking")
		}
		h := queue[0]
		queue = queue[1:]
		l.counts[h.msg.Type()]++
		to := l.a
		if h.from == l.a {
			to = l.b
		}
		push(to, validated(to, to.core.Receive(to.now, 1, overTheWire(l.t, to.params.Magic, h.msg))))
	}
}

// validated carries out an ActValidate among acts, as a driver does:
// it returns acts followed by what Validate did.
func validated(h *coreHarness, acts []Action) []Action {
	if hasKind(acts, ActValidate, 0) {
		acts = append(acts, h.core.Validate(h.now)...)
	}
	return acts
}

// mine makes blk a's new tip and lets a announce it to b.
func (l *link) mine(blk *wire.Block) {
	l.t.Helper()
	l.process(l.a, blk)
	clear(l.counts)
	l.deliver(l.a, l.a.core.ChainChanged(l.a.now, nil))
}

// spends returns two transactions, spending b1's and b2's coinbases.
func (l *link) spends() []*wire.Tx {
	return []*wire.Tx{
		l.g.SpendTx([]chaintest.SpendableOut{l.g.CoinbaseOut("b1")}, 1000, 2),
		l.g.SpendTx([]chaintest.SpendableOut{l.g.CoinbaseOut("b2")}, 1000, 2),
	}
}

// addToPool puts txs in h's pool.
func addToPool(t *testing.T, h *coreHarness, txs ...*wire.Tx) {
	t.Helper()
	for _, tx := range txs {
		if _, _, err := h.pool.ProcessTransaction(tx, false, 0); err != nil {
			t.Fatal(err)
		}
	}
}

func (l *link) wantTip(h *coreHarness, blk *wire.Block) {
	l.t.Helper()
	if got := h.chain.Tip().Hash; got != blk.BlockHash() {
		l.t.Fatalf("tip %s, want %s (messages %v)", got, blk.BlockHash(), l.counts)
	}
}

// The receiver asks for compact blocks; its peer announces a block by
// header, the receiver requests it in compact form and rebuilds it from its
// pool: no transaction crosses the link again.
func TestCompactLowBandwidthFromPool(t *testing.T) {
	l := newLink(t, nil, nil)
	txs := l.spends()
	addToPool(t, l.a, txs...)
	addToPool(t, l.b, txs...)
	b3 := l.g.NextBlock("b3", txs)
	l.mine(b3)
	l.wantTip(l.b, b3)
	if l.counts[TypeAnnounce] != 1 || l.counts[TypeCmpctBlock] != 1 || l.counts[TypeBlock] != 0 ||
		l.counts[TypeGetBlockTxn] != 0 {
		t.Fatalf("messages %v, want announce, getdata, cmpctblock", l.counts)
	}
}

// Transactions missing from the receiver's pool are fetched with
// getblocktxn/blocktxn, and the rebuilt block is connected.
func TestCompactMissingTransactions(t *testing.T) {
	l := newLink(t, nil, nil)
	txs := l.spends()
	addToPool(t, l.a, txs...)
	addToPool(t, l.b, txs[0])
	b3 := l.g.NextBlock("b3", txs)
	l.mine(b3)
	l.wantTip(l.b, b3)
	if l.counts[TypeGetBlockTxn] != 1 || l.counts[TypeBlockTxn] != 1 || l.counts[TypeBlock] != 0 {
		t.Fatalf("messages %v, want one getblocktxn/blocktxn round trip and no full block", l.counts)
	}
}

// A peer that gives the node a new block becomes a high-bandwidth peer;
// after that the sender pushes compact blocks unasked (one message per
// hop), before it validates them when it relays.
func TestCompactHighBandwidth(t *testing.T) {
	l := newLink(t, nil, nil)
	l.mine(l.g.NextBlock("b3", nil))
	if got := l.b.core.HighBandwidthPeers(); !slices.Equal(got, []PeerID{1}) {
		t.Fatalf("high-bandwidth peers %v, want the peer that gave the block", got)
	}
	if !l.a.core.peers[1].compactHB {
		t.Fatal("the sender was not asked for high-bandwidth relay")
	}
	txs := l.spends()
	addToPool(t, l.a, txs...)
	addToPool(t, l.b, txs...)
	b4 := l.g.NextBlock("b4", txs)
	l.mine(b4)
	l.wantTip(l.b, b4)
	if l.counts[TypeCmpctBlock] != 1 || len(l.counts) != 1 {
		t.Fatalf("messages %v, want one cmpctblock", l.counts)
	}
}

// A node pushes a block to its high-bandwidth peers as soon as the header
// checks out, before the body is validated: even a block whose body turns
// out invalid was pushed (which is why a block that came as a compact
// block bans nobody), while its sender, which sent it whole, is banned.
func TestCompactPushedBeforeValidation(t *testing.T) {
	h := newCoreHarness(t, nil)
	h.connect(1, 0)
	h.connect(2, 0)
	h.core.Receive(h.now, 2, &MsgSendCmpct{HighBandwidth: true, Version: CompactVersion})
	g := chaintest.NewGenerator(t, h.params)
	bad := g.NextBlock("bad", nil, func(b *wire.Block) { b.Transactions[0].Outputs[0].Amount++ })
	acts := h.core.Receive(h.now, 1, &MsgAnnounce{Headers: []wire.BlockHeader{bad.Header}})
	if gd := getData(acts, 1); len(gd) != 1 {
		t.Fatalf("announcement answered with %v", types(sent(acts, 1)))
	}
	acts = h.core.Receive(h.now, 1, &MsgBlock{Block: bad})
	if cb, ok := only[*MsgCmpctBlock](t, sent(acts, 2)); ok && cb.Header != bad.Header {
		t.Fatal("pushed another block")
	}
	// The block waits for the driver to have pushed it: not processed
	// yet, so its sender is not banned yet either.
	if !hasKind(acts, ActValidate, 0) || droppedFor(acts, 1) != 0 {
		t.Fatalf("block processed before the push went out: %+v", acts)
	}
	if droppedFor(h.core.Validate(h.now), 1) != CauseBanned {
		t.Fatal("the sender of the invalid block was not banned")
	}
	if h.chain.Tip().Hash == bad.BlockHash() {
		t.Fatal("invalid block connected")
	}

	// The high-bandwidth peer rebuilds it, finds it invalid, and bans
	// nobody.
	r := newCoreHarness(t, nil)
	r.connect(1, 0)
	acts = validated(r, r.core.Receive(r.now, 1, sent(acts, 2)[0]))
	if droppedFor(acts, 1) != 0 || r.chain.Tip().Hash == bad.BlockHash() {
		t.Fatalf("invalid compact block: dropped %v, tip %s", droppedFor(acts, 1), r.chain.Tip().Hash)
	}
}

// At most three peers are asked for high-bandwidth relay: the last three
// that gave the node a new block; the one chosen longest ago is told to
// stop.
func TestCompactHighBandwidthPeersLimited(t *testing.T) {
	h := newCoreHarness(t, nil)
	g := chaintest.NewGenerator(t, h.params)
	for id := PeerID(1); id <= 4; id++ {
		h.connect(id, 0)
		h.core.Receive(h.now, id, &MsgSendCmpct{Version: CompactVersion})
	}
	stopped := map[PeerID]int{}
	for id := PeerID(1); id <= 4; id++ {
		b := g.NextBlock(fmt.Sprintf("b%d", id), nil)
		h.core.Receive(h.now, id, &MsgAnnounce{Headers: []wire.BlockHeader{b.Header}})
		acts := h.core.Receive(h.now, id, &MsgBlock{Block: b})
		for _, a := range acts {
			if m, ok := a.Msg.(*MsgSendCmpct); ok {
				if m.HighBandwidth != (a.Peer == id) {
					t.Fatalf("block from %d: sendcmpct %+v to %d", id, m, a.Peer)
				}
				if !m.HighBandwidth {
					stopped[a.Peer]++
				}
			}
		}
	}
	if got := h.core.HighBandwidthPeers(); !slices.Equal(got, []PeerID{2, 3, 4}) {
		t.Fatalf("high-bandwidth peers %v, want 2, 3, 4", got)
	}
	if len(stopped) != 1 || stopped[1] != 1 {
		t.Fatalf("told to stop: %v, want peer 1 once", stopped)
	}
}

// The only outbound peer among the high-bandwidth ones keeps its place
// when an inbound peer joins them: the next oldest makes way.
func TestCompactHighBandwidthKeepsAnOutboundPeer(t *testing.T) {
	h := newCoreHarness(t, nil)
	g := chaintest.NewGenerator(t, h.params)
	h.core.Connected(h.now, 1, "10.2.0.1:9444", false, "")
	h.core.Receive(h.now, 1, h.version(101, 0))
	h.core.Receive(h.now, 1, &MsgVerAck{})
	for id := PeerID(2); id <= 5; id++ {
		h.connect(id, 0)
	}
	for id := PeerID(1); id <= 5; id++ {
		h.core.Receive(h.now, id, &MsgSendCmpct{Version: CompactVersion})
		b := g.NextBlock(fmt.Sprintf("b%d", id), nil)
		h.core.Receive(h.now, id, &MsgAnnounce{Headers: []wire.BlockHeader{b.Header}})
		h.core.Receive(h.now, id, &MsgBlock{Block: b})
	}
	if got := h.core.HighBandwidthPeers(); !slices.Equal(got, []PeerID{1, 4, 5}) {
		t.Fatalf("high-bandwidth peers %v, want the outbound 1 kept, then 4 and 5", got)
	}
}

// A compact block pushed by a peer the node never asked for high-bandwidth
// relay is taken like one asked for (BIP152 lets any peer push one; its
// proof of work makes it costly): rebuilt, connected, no penalty.
func TestCompactUnsolicitedFromOtherPeer(t *testing.T) {
	l := newLink(t, nil, nil)
	l.b.connect(2, 0)
	l.b.core.Receive(l.b.now, 2, &MsgSendCmpct{Version: CompactVersion})
	txs := l.spends()
	addToPool(t, l.a, txs...)
	addToPool(t, l.b, txs...)
	b3 := l.g.NextBlock("b3", txs)
	l.process(l.a, b3)
	cb := l.a.core.compactFor(b3, b3.BlockHash(), nil)
	acts := l.b.core.Receive(l.b.now, 2, cb)
	l.wantTip(l.b, b3)
	if l.b.core.peers[2].score != 0 {
		t.Fatalf("pushing peer scored %d", l.b.core.peers[2].score)
	}
	// It gave the node a new block: it is now a high-bandwidth peer.
	if m, ok := only[*MsgSendCmpct](t, sent(acts, 2)); ok && !m.HighBandwidth {
		t.Fatalf("sent %+v to the pushing peer, want a high-bandwidth request", m)
	}
}

// A compact block whose header's proof of work fails bans its sender.
func TestCompactInvalidProofOfWorkBans(t *testing.T) {
	l := newLink(t, nil, nil)
	b3 := l.g.NextBlock("b3", nil)
	cb := l.a.core.compactFor(b3, b3.BlockHash(), nil)
	bad := *cb
	bad.Header.Bits = 0x1d00ffff // a target the hash cannot meet
	if droppedFor(l.b.core.Receive(l.b.now, 1, &bad), 1) != CauseBanned {
		t.Fatal("compact block with invalid proof of work: sender not banned")
	}
}

// A compact block sent again while its transactions are being fetched
// changes nothing (no second search of the pool, no second getblocktxn).
func TestCompactRepeatWhileFetching(t *testing.T) {
	l := newLink(t, nil, nil)
	b3 := l.g.NextBlock("b3", l.spends())
	l.process(l.a, b3)
	cb := l.a.core.compactFor(b3, b3.BlockHash(), nil)
	only[*MsgGetBlockTxn](t, sent(l.b.core.Receive(l.b.now, 1, cb), 1))
	if acts := l.b.core.Receive(l.b.now, 1, cb); len(acts) != 0 {
		t.Fatalf("repeat answered with %v", types(sent(acts, 1)))
	}
	if l.b.core.peers[1].partial == nil || len(l.b.core.peers[1].blocks) != 1 {
		t.Fatal("the fetch in progress was dropped")
	}
}

// A blocktxn whose transactions do not match the short ids asked for, or
// that has too few, bans its sender; one nobody asked for counts as
// unrequested.
func TestCompactWrongBlockTxnBans(t *testing.T) {
	for _, tc := range []struct {
		name string
		txs  func(asked, other *wire.Tx) []*wire.Tx
	}{
		{"wrong transaction", func(asked, other *wire.Tx) []*wire.Tx { return []*wire.Tx{other} }},
		{"too few", func(asked, other *wire.Tx) []*wire.Tx { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLink(t, nil, nil)
			txs := l.spends()
			b3 := l.g.NextBlock("b3", txs[:1])
			l.process(l.a, b3)
			cb := l.a.core.compactFor(b3, b3.BlockHash(), nil)
			acts := l.b.core.Receive(l.b.now, 1, cb)
			if _, ok := only[*MsgGetBlockTxn](t, sent(acts, 1)); !ok {
				return
			}
			acts = l.b.core.Receive(l.b.now, 1, &MsgBlockTxn{Block: b3.BlockHash(), Txs: tc.txs(txs[0], txs[1])})
			if droppedFor(acts, 1) != CauseBanned {
				t.Fatalf("not banned: %v", types(sent(acts, 1)))
			}
		})
	}
	l := newLink(t, nil, nil)
	l.b.core.Receive(l.b.now, 1, &MsgBlockTxn{Block: l.g.NextBlock("x", nil).BlockHash()})
	if l.b.core.peers[1].score != unrequestedScore {
		t.Fatalf("unrequested blocktxn scored %d", l.b.core.peers[1].score)
	}
}

// liarPool is a pool that gives the wrong transaction for one txid, as if
// another transaction's short id had matched.
type liarPool struct {
	TxPool
	txid wire.Hash
	tx   *wire.Tx
}

func (p liarPool) RangeTxs(f func(wire.Hash, *wire.Tx)) {
	p.TxPool.RangeTxs(func(txid wire.Hash, tx *wire.Tx) {
		if txid == p.txid {
			tx = p.tx
		}
		f(txid, tx)
	})
}

// A rebuilt block whose merkle root does not match (a short id matched the
// wrong transaction) is fetched whole; nobody is penalised.
func TestCompactMerkleMismatchFetchesFullBlock(t *testing.T) {
	var liar *liarPool
	l := newLink(t, nil, func(c *Config) {
		liar = &liarPool{TxPool: c.TxPool}
		c.TxPool = liar
	})
	txs := l.spends()
	addToPool(t, l.a, txs...)
	addToPool(t, l.b, txs[0])
	liar.txid, liar.tx = txs[0].TxID(), txs[1]
	b3 := l.g.NextBlock("b3", txs[:1])
	l.mine(b3)
	l.wantTip(l.b, b3)
	if l.counts[TypeCmpctBlock] != 1 || l.counts[TypeBlock] != 1 {
		t.Fatalf("messages %v, want a compact block, then the full block", l.counts)
	}
	if l.b.core.peers[1] == nil || l.b.core.peers[1].score != 0 {
		t.Fatal("sender penalised for a short id collision")
	}
}

// A compact block that names one short id twice cannot be rebuilt: the
// full block is fetched. Two pool transactions on one short id (see
// TestShortIDMatcher) take the same way.
func TestCompactDuplicateShortIDsFetchFullBlock(t *testing.T) {
	l := newLink(t, nil, nil)
	txs := l.spends()
	addToPool(t, l.a, txs...)
	addToPool(t, l.b, txs...)
	b3 := l.g.NextBlock("b3", txs)
	l.process(l.a, b3)
	cb := *l.a.core.compactFor(b3, b3.BlockHash(), nil)
	cb.ShortIDs = []uint64{cb.ShortIDs[0], cb.ShortIDs[0]}
	acts := l.b.core.Receive(l.b.now, 1, &cb)
	if gd, ok := only[*MsgGetData](t, sent(acts, 1)); ok && gd.Items[0] != (InvVect{Type: InvBlock, Hash: b3.BlockHash()}) {
		t.Fatalf("getdata %v, want the full block", gd.Items)
	}
}

// A peer far behind is not pushed compact blocks (it could not rebuild
// them): it gets an inv; a getdata for a compact block deep below the tip
// is served whole.
func TestCompactNotForPeersBehind(t *testing.T) {
	h := newCoreHarness(t, nil)
	h.connect(1, 0)
	h.core.Receive(h.now, 1, &MsgSendCmpct{HighBandwidth: true, Version: CompactVersion})
	h.core.Receive(h.now, 1, &MsgSendHeaders{})
	g := chaintest.NewGenerator(t, h.params)
	blocks := buildChain(g, "b", maxCompactDepth+MaxAnnounceHeaders)
	for _, b := range blocks {
		if _, err := h.chain.ProcessBlock(b); err != nil {
			t.Fatal(err)
		}
	}
	only[*MsgInv](t, sent(h.core.ChainChanged(h.now, nil), 1))
	acts := h.core.Receive(h.now, 1, &MsgGetData{Items: []InvVect{{Type: InvCmpctBlock, Hash: blocks[0].BlockHash()}}})
	only[*MsgStoredBlock](t, sent(acts, 1)) // a block message of the block as stored
	last := blocks[len(blocks)-1].BlockHash()
	acts = h.core.Receive(h.now, 1, &MsgGetData{Items: []InvVect{{Type: InvCmpctBlock, Hash: last}}})
	only[*MsgCmpctBlock](t, sent(acts, 1))
}

// In headers and full modes the node asks for no compact blocks, and an
// announced block is requested whole.
func TestCompactOnlyInCompactMode(t *testing.T) {
	for _, mode := range []RelayMode{RelayHeaders, RelayFull} {
		l := newLink(t, nil, func(c *Config) { c.Relay = mode })
		l.mine(l.g.NextBlock("b3", nil))
		if l.counts[TypeCmpctBlock] != 0 || l.counts[TypeBlock] != 1 {
			t.Fatalf("relay %s: messages %v, want the block whole", mode, l.counts)
		}
	}
}

// Two different transactions on one short id make the block ambiguous
// (the caller then fetches it whole); the same transaction twice (in the
// pool and among the extra ones) does not.
func TestShortIDMatcher(t *testing.T) {
	a, b := &wire.Tx{Version: 1}, &wire.Tx{Version: 2}
	sm := slotMatcher{slot: map[uint64]int{7: 1}, found: make([]wire.Hash, 2), txs: make([]*wire.Tx, 2)}
	sm.match(7, a.TxID(), a)
	sm.match(7, a.TxID(), a)
	sm.match(8, b.TxID(), b)
	if sm.ambiguous || sm.txs[1] != a || sm.txs[0] != nil {
		t.Fatalf("after one match: ambiguous %v, txs %v", sm.ambiguous, sm.txs)
	}
	sm.match(7, b.TxID(), b)
	if !sm.ambiguous {
		t.Fatal("two transactions on one short id not ambiguous")
	}
}

// A node on the losing side of a fork gets the other branch in compact
// form: the competing block it is told of is requested compact and rebuilt
// with the help of its own tip's transactions (which connecting the tip
// took out of its pool), and the block on top of it too; the node
// reorganises without a whole block or a getblocktxn crossing the link.
func TestCompactForkLoserRebuildsOtherBranch(t *testing.T) {
	l := newLink(t, nil, nil)
	txs := l.spends()
	addToPool(t, l.a, txs...)
	addToPool(t, l.b, txs...)
	l.process(l.b, l.g.NextBlock("a3", txs[:1])) // b's branch
	l.g.SetTip("b2")
	c3 := l.g.NextBlock("c3", txs)
	l.mine(c3) // a's branch, as much work as b's
	if got := l.b.chain.Tip().Hash; got != l.g.Block("a3").BlockHash() {
		t.Fatalf("b switched to the equal-work branch: tip %s", got)
	}
	if info, _ := l.b.chain.BlockInfoByHash(c3.BlockHash()); !info.HaveData || l.counts[TypeBlock] != 0 ||
		l.counts[TypeGetBlockTxn] != 0 || l.counts[TypeCmpctBlock] != 1 {
		t.Fatalf("competing block: stored %v, messages %v, want it as one cmpctblock", info.HaveData, l.counts)
	}
	c4 := l.g.NextBlock("c4", nil)
	l.mine(c4)
	l.wantTip(l.b, c4)
	if l.counts[TypeBlock] != 0 || l.counts[TypeCmpctBlock] != 1 {
		t.Fatalf("messages %v, want the block on the other branch as one cmpctblock", l.counts)
	}
}

// A block pushed on a branch whose last block the node lacks (it knows
// only its header) is rebuilt from the compact block, and the missing
// parent is requested in compact form, not whole.
func TestCompactMissingParentRequestedCompact(t *testing.T) {
	l := newLink(t, nil, nil)
	l.process(l.b, l.g.NextBlock("a3", nil))
	l.g.SetTip("b2")
	c3, c4 := l.g.NextBlock("c3", nil), l.g.NextBlock("c4", nil)
	l.process(l.a, c3)
	l.process(l.a, c4)
	if err := l.b.chain.ProcessHeaders([]wire.BlockHeader{c3.Header}); err != nil {
		t.Fatal(err)
	}
	acts := validated(l.b, l.b.core.Receive(l.b.now, 1, l.a.core.compactFor(c4, c4.BlockHash(), nil)))
	if info, _ := l.b.chain.BlockInfoByHash(c4.BlockHash()); !info.HaveData {
		t.Fatal("the pushed block was not rebuilt and stored")
	}
	gd, ok := only[*MsgGetData](t, sent(acts, 1))
	if want := []InvVect{{Type: InvCmpctBlock, Hash: c3.BlockHash()}}; ok && !slices.Equal(gd.Items, want) {
		t.Fatalf("getdata %v, want %v", gd.Items, want)
	}
	l.deliver(l.b, acts)
	l.wantTip(l.b, c4)
}

// A block competing with the tip at equal work (a sibling of the tip) is
// pushed on to the high-bandwidth peers before validation, as a new tip
// would be, and stored without becoming the tip; a block with less work
// than the tip is not pushed.
func TestCompactCompetingBlockPushedOn(t *testing.T) {
	h := newCoreHarness(t, nil)
	g := chaintest.NewGenerator(t, h.params)
	chainBlocks := append(buildChain(g, "b", 2), g.NextBlock("a3", nil))
	for _, blk := range chainBlocks {
		if _, err := h.chain.ProcessBlock(blk); err != nil {
			t.Fatal(err)
		}
	}
	g.SetTip("b2")
	sibling := g.NextBlock("c3", nil)
	g.SetTip("b1")
	lighter := g.NextBlock("d2", nil)
	h.connect(1, 3)
	h.connect(2, 3)
	h.core.Receive(h.now, 2, &MsgSendCmpct{HighBandwidth: true, Version: CompactVersion})
	h.core.Receive(h.now, 2, &MsgInv{Items: []InvVect{{Type: InvBlock, Hash: g.Block("b2").BlockHash()}, {Type: InvBlock, Hash: g.Block("b1").BlockHash()}}})
	src := newCoreHarness(t, nil)

	acts := h.core.Receive(h.now, 1, src.core.compactFor(sibling, sibling.BlockHash(), nil))
	pushes := pushedTo(acts, 2)
	if len(pushes) != 1 || pushes[0].Header != sibling.Header || !hasKind(acts, ActValidate, 0) {
		t.Fatalf("competing block: pushed %d compact blocks, validate %v; want it pushed, then validated",
			len(pushes), hasKind(acts, ActValidate, 0))
	}
	h.core.Validate(h.now)
	if info, _ := h.chain.BlockInfoByHash(sibling.BlockHash()); !info.HaveData || h.chain.Tip().Hash != chainBlocks[2].BlockHash() {
		t.Fatalf("competing block stored %v, tip %s: want it stored beside the tip", info.HaveData, h.chain.Tip().Hash)
	}

	acts = validated(h, h.core.Receive(h.now, 1, src.core.compactFor(lighter, lighter.BlockHash(), nil)))
	if pushes := pushedTo(acts, 2); len(pushes) != 0 {
		t.Fatalf("a block with less work than the tip was pushed: %d compact blocks", len(pushes))
	}
}

// pushedTo returns the compact blocks of acts pushed unasked to id.
func pushedTo(acts []Action, id PeerID) []*MsgCmpctBlock {
	var out []*MsgCmpctBlock
	for _, a := range acts {
		if cb, ok := a.Msg.(*MsgCmpctBlock); ok && a.Kind == ActSend && a.Peer == id && a.Push {
			out = append(out, cb)
		}
	}
	return out
}

// A whole block whose body does not match its header's merkle root is not
// pushed on before validation: anyone can put a valid header, a block just
// mined or a fork's block the node lacks, on such a body without doing any
// work, and the push would hand the high-bandwidth peers a compact block
// they cannot rebuild and count the block as theirs, so that the real one
// then is not pushed to them. The real block, when it comes, is.
func TestCompactMutatedBlockNotPushed(t *testing.T) {
	h := newCoreHarness(t, nil)
	h.connect(1, 0)
	h.connect(2, 0)
	h.connect(3, 0)
	h.core.Receive(h.now, 2, &MsgSendCmpct{HighBandwidth: true, Version: CompactVersion})
	g := chaintest.NewGenerator(t, h.params)
	real := g.NextBlock("b1", nil)
	mutated := &wire.Block{Header: real.Header, Transactions: []*wire.Tx{g.NextBlock("other", nil).Transactions[0]}}
	h.core.Receive(h.now, 1, &MsgAnnounce{Headers: []wire.BlockHeader{real.Header}})
	acts := validated(h, h.core.Receive(h.now, 1, &MsgBlock{Block: mutated}))
	if pushes := pushedTo(acts, 2); len(pushes) != 0 {
		t.Fatalf("a body that does not match its header was pushed on: %d compact blocks", len(pushes))
	}
	if h.chain.Tip().Hash == real.BlockHash() {
		t.Fatal("the mutated block connected")
	}
	src := newCoreHarness(t, nil)
	acts = validated(h, h.core.Receive(h.now, 3, src.core.compactFor(real, real.BlockHash(), nil)))
	if pushes := pushedTo(acts, 2); len(pushes) != 1 || pushes[0].Header != real.Header {
		t.Fatalf("the real block: %d compact blocks pushed, want it pushed", len(pushes))
	}
	if h.chain.Tip().Hash != real.BlockHash() {
		t.Fatalf("tip %s, want the real block", h.chain.Tip().Hash)
	}
}

// A transaction the pool refuses is kept for rebuilding compact blocks
// only if it is small: any peer can have the node fetch transactions the
// pool refuses without a signature check (a policy refusal costs no ban),
// and 100 of a block's size each held 100 MB for as long as nothing
// newer displaced them.
func TestExtraTxsBounded(t *testing.T) {
	h := newCoreHarness(t, nil)
	h.connect(1, 0)
	spending := func(inputs int, seed byte) *wire.Tx {
		tx := &wire.Tx{Version: 1, Outputs: []wire.TxOut{{Amount: 1, KeyHash: wire.KeyHash{seed}}}}
		for i := range inputs {
			tx.Inputs = append(tx.Inputs, wire.TxIn{PrevOut: wire.OutPoint{TxID: wire.Hash{seed, 1}, Index: uint32(i)}})
		}
		return tx
	}
	small, big := spending(1, 1), spending(wire.MaxTxInputs, 2) // both pay dust; big is also too large
	for _, tx := range []*wire.Tx{small, big} {
		h.core.Receive(h.now, 1, &MsgInv{Items: []InvVect{{InvTx, tx.TxID()}}})
		h.core.Receive(h.now, 1, &MsgTx{Tx: tx})
		if h.pool.Knows(tx.TxID()) || h.core.peers[1] == nil {
			t.Fatalf("%d-byte transaction: in the pool %v, sender banned %v", tx.SerializeSize(),
				h.pool.Knows(tx.TxID()), h.core.peers[1] == nil)
		}
	}
	kept := map[wire.Hash]bool{}
	for _, id := range h.core.extra.ids {
		kept[id] = true
	}
	if !kept[small.TxID()] || kept[big.TxID()] {
		t.Fatalf("kept the %d-byte refused transaction %v, the %d-byte one %v; want only the small one",
			small.SerializeSize(), kept[small.TxID()], big.SerializeSize(), kept[big.TxID()])
	}
}

// countingChain counts the blocks read (and decoded) from the chain.
type countingChain struct {
	Chain
	reads int
}

func (c *countingChain) BlockByHash(h wire.Hash) (*wire.Block, error) {
	c.reads++
	return c.Chain.BlockByHash(h)
}

// Blocks near the tip are decoded once for the peers that ask for them in
// compact form or for their transactions, however often and in whatever
// order they ask: before, every item of a getdata for a compact block and
// every getblocktxn read and decoded the block again (the last compact
// block built was kept, but only after the decode), so one 5 KB getdata
// of 128 such items for a block of 4,000 transactions took the event loop
// 370 ms, and a peer could repeat it.
func TestCompactServedFromRecentBlocks(t *testing.T) {
	var counted *countingChain
	h := newCoreHarness(t, func(c *Config) {
		counted = &countingChain{Chain: c.Chain}
		c.Chain = counted
	})
	items := h.mine(3, InvCmpctBlock)
	for len(items) < maxBlocksPerGet {
		items = append(items, items[len(items)%3])
	}
	h.connect(1, 0)
	counted.reads = 0
	acts := h.core.Receive(h.now, 1, &MsgGetData{Items: items})
	for _, iv := range items[:3] {
		acts = append(acts, h.core.Receive(h.now, 1, &MsgGetBlockTxn{Block: iv.Hash, Indexes: []int{0}})...)
	}
	served := 0
	for _, m := range sent(acts, 1) {
		if _, ok := m.(*MsgCmpctBlock); ok {
			served++
		}
	}
	if served != len(items) || counted.reads > 3 {
		t.Fatalf("served %d of %d compact blocks reading %d blocks from the chain; want every one, reading each of the 3 once",
			served, len(items), counted.reads)
	}
}

// Blocks the node stores more than 2 above its tip (initial sync keeps up
// to DownloadWindow of them before their parents connect) are not served
// in compact form or for their transactions, only whole once validated
// (so, here, notfound), as Bitcoin Core serves no unvalidated block above
// its tip: recentBlocks holds 13, and a getdata cycling through 14 of them
// read and decoded a block for every item, as before 19c5207.
func TestCompactNotServedFarAboveTip(t *testing.T) {
	var counted *countingChain
	h := newCoreHarness(t, func(c *Config) {
		counted = &countingChain{Chain: c.Chain}
		c.Chain = counted
	})
	g := chaintest.NewGenerator(t, h.params)
	var headers []wire.BlockHeader
	var blocks []*wire.Block
	for i := range maxRecentBlocks + 3 {
		b := g.NextBlock(fmt.Sprint("b", i), nil)
		headers, blocks = append(headers, b.Header), append(blocks, b)
	}
	if err := h.chain.ProcessHeaders(headers); err != nil {
		t.Fatal(err)
	}
	// Stored, none connected (the first is missing): blocks[1] is 2 above
	// the tip (genesis), the others further.
	far := make(map[wire.Hash]bool)
	var items []InvVect
	for i, b := range blocks[1:] {
		if _, err := h.chain.ProcessBlock(b); err != nil {
			t.Fatal(err)
		}
		far[b.BlockHash()] = i > 0
		items = append(items, InvVect{Type: InvCmpctBlock, Hash: b.BlockHash()})
	}
	for i := 0; len(items) < maxBlocksPerGet; i++ {
		items = append(items, items[i])
	}
	h.connect(1, 0)
	counted.reads = 0
	acts := h.core.Receive(h.now, 1, &MsgGetData{Items: items})
	for _, b := range blocks[1:] {
		acts = append(acts, h.core.Receive(h.now, 1, &MsgGetBlockTxn{Block: b.BlockHash(), Indexes: []int{0}})...)
	}
	servedFar := 0
	for _, m := range sent(acts, 1) {
		switch m := m.(type) {
		case *MsgCmpctBlock:
			if far[m.Header.BlockHash()] {
				servedFar++
			}
		case *MsgBlockTxn:
			if far[m.Block] {
				servedFar++
			}
		}
	}
	if servedFar != 0 || counted.reads > 1 {
		t.Fatalf("%d answers served for blocks far above the tip, %d blocks read from the chain; want none served, 1 read",
			servedFar, counted.reads)
	}
}
