package p2p

import (
	"fmt"
	"math/big"
	"slices"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// FuzzCore drives a Core, on a real chain and mempool, with an arbitrary
// sequence of inputs from five peer slots: connections and disconnections,
// handshakes, the blocks and headers of a valid chain in any order, invalid
// blocks and transactions, a low-work fork's headers (presync and
// redownload), announcements, requests, pings, protocol violations,
// arbitrary decoded messages and the passing of time. After every input it
// checks that the Core's state is bounded and consistent, that every
// message it sends encodes, and that the tip is only ever a block of the
// valid chain (never moved by invalid data).
//
// CI runs it for a few seconds (.ci/run); a long run:
//
//	go test ./p2p -run '^$' -fuzz '^FuzzCore$' -fuzztime 30m -fuzzminimizetime 50x
//
// (a run costs about 40 ms, mostly opening its chain database, so the
// default minimisation of every new input, up to 60 s, would take most of
// the time).
func FuzzCore(f *testing.F) {
	fx := newFuzzFixtures(f)
	for _, seed := range fuzzSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, ops []byte) {
		d := newFuzzDriver(t, fx)
		for len(ops) > 0 && d.steps < maxFuzzSteps {
			ops = d.step(ops)
			d.checkInvariants()
		}
	})
}

// maxFuzzSteps bounds the inputs of one run, so every run is quick.
const maxFuzzSteps = 200

// fuzzFixtures are the valid and invalid data the ops refer to by index.
type fuzzFixtures struct {
	params  *chain.Params
	blocks  []*wire.Block // a valid chain
	valid   map[wire.Hash]bool
	invalid []*wire.Block // valid proof of work, broken rules
	txs     []*wire.Tx    // valid then invalid
	fork    []wire.BlockHeader
	minWork *big.Int // the valid chain's work: more than one message of the fork
}

const fuzzChainLen = 30

func newFuzzFixtures(t testing.TB) *fuzzFixtures {
	params := testParams()
	g := chaintest.NewGenerator(t, params)
	fx := &fuzzFixtures{params: params, valid: map[wire.Hash]bool{params.GenesisHash: true}}
	for i := 1; i <= fuzzChainLen; i++ {
		var txs []*wire.Tx
		if i == 3 {
			txs = append(txs, g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 1000, 2))
		}
		b := g.NextBlock(fmt.Sprintf("b%d", i), txs)
		fx.blocks = append(fx.blocks, b)
		fx.valid[b.BlockHash()] = true
	}
	g.SetTip("b2")
	fx.invalid = append(fx.invalid,
		g.NextBlock("badcb", nil, func(b *wire.Block) { b.Transactions[0].Outputs[0].Amount++ }),
		g.NextBlock("badsig", []*wire.Tx{g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 1000, 1)},
			func(b *wire.Block) { b.Transactions[1].Inputs[0].Signature[0] ^= 1 }))
	pooled := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b2")}, 2000, 1)
	bad := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b4")}, 2000, 1)
	bad.Inputs[0].Signature[5] ^= 1
	fx.txs = []*wire.Tx{pooled, bad}
	fx.fork = lowWorkFork(t, params, 2*MaxHeadersPerMsg+100, 50_000)
	headers := []wire.BlockHeader{params.GenesisBlock.Header}
	for _, b := range fx.blocks {
		headers = append(headers, b.Header)
	}
	fx.minWork = chainWork(headers)
	if chainWork(fx.fork[:MaxHeadersPerMsg]).Cmp(fx.minWork) >= 0 {
		t.Fatal("one message of the fork reaches the minimum work: no presync to fuzz")
	}
	return fx
}

// fuzzSeeds are op sequences that reach the interesting states: sync of
// the valid chain, a presync with its redownload, slots full, misbehaviour.
func fuzzSeeds() [][]byte {
	hs := func(slot byte) []byte { return []byte{opConnect, slot, 1, opHandshake, slot, 0} }
	sync := append(hs(0), opHeaders, 0, 0, 30)
	for i := range byte(fuzzChainLen) {
		sync = append(sync, opBlock, 0, i)
	}
	presync := append(hs(1), opForkHeaders, 1, 0, opForkHeaders, 1, 1, opForkHeaders, 1, 0, opTick, 1, 20)
	full := append(append(append(append(hs(0), hs(1)...), hs(2)...), hs(3)...), hs(4)...)
	announce := append(hs(3), opAnnounce, 3, 0, 2, opBlock, 3, 0, opBlock, 3, 1, opAnnounce, 3, 2, 1, opChainChanged, 0,
		opRaw, 3, byte(TypeSendCmpct), 4, 8, 1, 16, 1, opCompact, 3, 2, 0, opCompact, 3, 2, 1, opCompact, 3, 3, 0,
		opCompact, 3, 1, 2)
	bad := append(hs(2), opInvalidBlock, 2, 0, opTx, 2, 1, opRaw, 2, byte(TypeHeaders), 3, 1, 2, 3, opViolation, 2, 1)
	return [][]byte{sync, presync, full, bad, announce, append(append(sync, presync...), bad...)}
}

// Ops: the first byte of each input, then its operands.
const (
	opConnect      = iota // slot, inbound?
	opHandshake           // slot, best height
	opDisconnect          // slot
	opTick                // -, seconds
	opHeaders             // slot, first, count: headers of the valid chain
	opBlock               // slot, index: a block of the valid chain
	opInvalidBlock        // slot, index
	opForkHeaders         // slot, message index: a full message of the fork
	opInv                 // slot, index: announce a valid block or a tx
	opTx                  // slot, index: a valid or an invalid tx
	opPing                // slot, nonce
	opPong                // slot, nonce
	opRaw                 // slot, type, length, payload: any decodable message
	opViolation           // slot, ban?
	opGetData             // slot, index
	opChainChanged        // -
	opAnnounce            // slot, first, count: announce headers of the valid chain
	opCompact             // slot, index, kind: a valid block's cmpctblock, blocktxn or getblocktxn
	numOps
)

// fuzzDriver is one run: a fresh chain, pool and Core, and five peer slots.
type fuzzDriver struct {
	t     *testing.T
	fx    *fuzzFixtures
	h     *coreHarness
	slots [5]PeerID // 0: not connected
	next  PeerID
	steps int
	tip   uint64 // the tip never goes back: the valid chain is the only one
	nonce uint64 // the last version nonce sent
	// redownloaded: a presync of the fork reached the work threshold, so
	// its headers may be stored.
	redownloaded bool
}

func newFuzzDriver(t *testing.T, fx *fuzzFixtures) *fuzzDriver {
	h := newCoreHarness(t, func(c *Config) {
		c.MaxPeers = 5
		c.TargetOutbound = 1 // four inbound slots for five slots: eviction
		c.MaxBlocksInFlight = 4
	})
	h.params.MinChainWork = fx.minWork // before any input
	return &fuzzDriver{t: t, fx: fx, h: h}
}

// slotAddr gives slots 0-2 one address group, slot 3 a local address and
// slot 4 its own group.
func slotAddr(slot int) string {
	switch slot {
	case 3:
		return "127.0.0.1:4000"
	case 4:
		return "10.9.0.1:5000"
	}
	return fmt.Sprintf("10.1.0.%d:5000", slot+1)
}

// step runs the op at the head of ops and returns the rest.
func (d *fuzzDriver) step(ops []byte) []byte {
	d.steps++
	arg := func() int {
		if len(ops) == 0 {
			return 0
		}
		b := ops[0]
		ops = ops[1:]
		return int(b)
	}
	op, slot := arg()%numOps, arg()%len(d.slots)
	id := d.slots[slot]
	h, fx := d.h, d.fx
	var acts []Action
	switch op {
	case opConnect:
		if id == 0 {
			d.next++
			d.slots[slot] = d.next
			acts = h.core.Connected(h.now, d.next, slotAddr(slot), arg()%2 == 1, "")
		}
	case opHandshake:
		d.nonce++
		acts = append(h.core.Receive(h.now, id, h.version(d.nonce+1000, uint64(arg()))),
			h.core.Receive(h.now, id, &MsgVerAck{})...)
	case opDisconnect:
		acts = h.core.Disconnected(h.now, id, nil)
	case opTick:
		h.now = h.now.Add(time.Duration(arg()) * time.Second)
		acts = h.core.Tick(h.now)
	case opHeaders:
		acts = h.core.Receive(h.now, id, &MsgHeaders{Headers: d.headers(arg(), arg())})
	case opCompact:
		acts = h.core.Receive(h.now, id, d.compactMsg(fx.blocks[arg()%fuzzChainLen], arg()))
	case opAnnounce:
		if hs := d.headers(arg(), 1+arg()%MaxAnnounceHeaders); len(hs) > 0 {
			acts = h.core.Receive(h.now, id, &MsgAnnounce{Headers: hs})
		}
	case opBlock:
		acts = h.core.Receive(h.now, id, &MsgBlock{Block: fx.blocks[arg()%fuzzChainLen]})
	case opInvalidBlock:
		acts = h.core.Receive(h.now, id, &MsgBlock{Block: fx.invalid[arg()%len(fx.invalid)]})
	case opForkHeaders:
		i := arg() % 3 * MaxHeadersPerMsg
		acts = h.core.Receive(h.now, id, &MsgHeaders{Headers: fx.fork[i:min(len(fx.fork), i+MaxHeadersPerMsg)]})
	case opInv:
		i := arg()
		iv := InvVect{Type: InvBlock, Hash: fx.blocks[i%fuzzChainLen].BlockHash()}
		if i%2 == 1 {
			iv = InvVect{Type: InvTx, Hash: fx.txs[i/2%len(fx.txs)].TxID()}
		}
		acts = h.core.Receive(h.now, id, &MsgInv{Items: []InvVect{iv}})
	case opTx:
		acts = h.core.Receive(h.now, id, &MsgTx{Tx: fx.txs[arg()%len(fx.txs)]})
	case opPing:
		acts = h.core.Receive(h.now, id, &MsgPing{Nonce: uint64(arg())})
	case opPong:
		acts = h.core.Receive(h.now, id, &MsgPong{Nonce: uint64(arg())})
	case opRaw:
		typ, n := MsgType(arg()), arg()
		payload := ops[:min(n, len(ops))]
		ops = ops[len(payload):]
		if m, err := decodePayload(typ, payload); err == nil {
			acts = h.core.Receive(h.now, id, m)
		}
	case opViolation:
		acts = h.core.ProtocolViolation(h.now, id, &ProtocolError{Reason: "fuzz", Ban: arg()%2 == 1})
	case opGetData:
		i := arg()
		acts = h.core.Receive(h.now, id, &MsgGetData{Items: []InvVect{{Type: InvBlock, Hash: fx.blocks[i%fuzzChainLen].BlockHash()}}})
	case opChainChanged:
		acts = h.core.ChainChanged(h.now, nil)
	}
	if hasKind(acts, ActValidate, 0) {
		acts = append(acts, h.core.Validate(h.now)...)
	}
	d.checkActions(acts)
	return ops
}

// compactMsg is a compact block message about blk: its cmpctblock (kind
// 0), a blocktxn of its transactions but the coinbase (1), a getblocktxn of
// its transactions (2).
func (d *fuzzDriver) compactMsg(blk *wire.Block, kind int) Message {
	hash := blk.BlockHash()
	switch kind % 3 {
	case 0:
		return d.h.core.compactFor(blk, hash, nil)
	case 1:
		return &MsgBlockTxn{Block: hash, Txs: blk.Transactions[1:]}
	}
	idx := make([]int, len(blk.Transactions))
	for i := range idx {
		idx[i] = i
	}
	return &MsgGetBlockTxn{Block: hash, Indexes: idx}
}

// headers returns up to n headers of the valid chain from index first.
func (d *fuzzDriver) headers(first, n int) []wire.BlockHeader {
	first %= fuzzChainLen
	var hs []wire.BlockHeader
	for _, b := range d.fx.blocks[first : first+min(n, fuzzChainLen-first)] {
		hs = append(hs, b.Header)
	}
	return hs
}

// checkActions: every message sent encodes within its limits (a stored
// block once loaded, as the writer loads it), and a disconnected peer is
// forgotten (its slot freed).
func (d *fuzzDriver) checkActions(acts []Action) {
	for _, a := range acts {
		switch a.Kind {
		case ActSend:
			if _, err := EncodeFrame(d.h.params.Magic, LoadStoredBlock(d.h.chain, a.Msg)); err != nil {
				d.t.Fatalf("step %d: %s to peer %d does not encode: %v", d.steps, a.Msg.Type(), a.Peer, err)
			}
		case ActDisconnect:
			if d.h.core.peers[a.Peer] != nil {
				d.t.Fatalf("step %d: peer %d disconnected but still known", d.steps, a.Peer)
			}
		}
	}
	for i, id := range d.slots {
		if id != 0 && d.h.core.peers[id] == nil {
			d.slots[i] = 0
		}
	}
}

// checkInvariants: the state is bounded and consistent, and the tip is a
// block of the valid chain that never went back.
func (d *fuzzDriver) checkInvariants() {
	c, t := d.h.core, d.t
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("step %d: "+format, append([]any{d.steps}, args...)...)
	}
	tip := d.h.chain.Tip()
	if !d.fx.valid[tip.Hash] || tip.Height < d.tip {
		fail("tip %s at height %d (was %d): moved by invalid data or went back", tip.Hash, tip.Height, d.tip)
	}
	d.tip = tip.Height
	for _, p := range c.peers {
		d.redownloaded = d.redownloaded || p.hsync != nil && p.hsync.redownload
	}
	// fork[0] is also block 1 of the valid chain; the fork starts at fork[1].
	if _, stored := d.h.chain.BlockInfoByHash(d.fx.fork[1].BlockHash()); stored && !d.redownloaded {
		fail("a header of the low-work fork was stored without a presync reaching the threshold")
	}
	if len(c.peers) > c.cfg.MaxPeers || c.countPeers(true) > c.cfg.maxInbound() {
		fail("%d peers, %d inbound: over the limits", len(c.peers), c.countPeers(true))
	}
	inFlight := 0
	for id, p := range c.peers {
		if len(p.blocks) > c.cfg.MaxBlocksInFlight || len(p.txs) > maxTxInFlight || len(p.avoid) > maxAvoid ||
			len(p.pendingInv) != 0 {
			fail("peer %d over its bounds: %d blocks, %d txs, %d avoided, %d pending", id, len(p.blocks),
				len(p.txs), len(p.avoid), len(p.pendingInv))
		}
		if s := p.hsync; s != nil && (len(s.buf) > commitEvery || s.count > uint64(c.cfg.MaxPresyncHeaders)) {
			fail("peer %d presync over its bounds: %d held, %d counted", id, len(s.buf), s.count)
		}
		for h := range p.blocks {
			if !slices.Contains(c.blockReq[h], id) {
				fail("peer %d has block %s in flight, the Core says peers %v", id, h, c.blockReq[h])
			}
		}
		for h := range p.txs {
			if c.txReq[h] != id {
				fail("peer %d has tx %s in flight, the Core says peer %d", id, h, c.txReq[h])
			}
		}
		inFlight += len(p.blocks)
	}
	if len(c.pending) != 0 {
		fail("%d blocks wait for Validate after the driver called it", len(c.pending))
	}
	requests := 0
	for h, ids := range c.blockReq {
		if len(ids) == 0 || len(ids) > maxFetchesPerBlock || len(slices.Compact(slices.Sorted(slices.Values(ids)))) != len(ids) {
			fail("block %s in flight from peers %v: want 1 to %d distinct peers", h, ids, maxFetchesPerBlock)
		}
		requests += len(ids)
	}
	if inFlight != requests {
		fail("%d blocks in flight by peer, %d requests in total", inFlight, requests)
	}
	for h, id := range c.txReq {
		if p := c.peers[id]; p == nil || p.txs[h].IsZero() {
			fail("tx %s in flight from peer %d, which does not have it", h, id)
		}
	}
	listed := 0
	for h, ids := range c.txAnnouncers {
		for i, id := range ids {
			if p := c.peers[id]; p == nil || !hasKey(p.txAlso, h) || slices.Contains(ids[:i], id) {
				fail("tx %s lists announcer %d, which does not hold it or is listed twice", h, id)
			}
		}
		listed += len(ids)
	}
	for id, p := range c.peers {
		if len(p.txAlso) > maxTxInFlight {
			fail("peer %d holds %d announcements", id, len(p.txAlso))
		}
		listed -= len(p.txAlso)
	}
	if listed != 0 {
		fail("announcers listed and held differ by %d", listed)
	}
}

func hasKey[K comparable, V any](m map[K]V, k K) bool {
	_, ok := m[k]
	return ok
}
