package p2p

import (
	"slices"
	"time"

	"powchain/chain"
	"powchain/wire"
)

// Compact block relay, after BIP152 (docs/PROTOCOL.md, "Compact blocks").
//
// A compact block is a block's header, a nonce, the 6-byte short id of
// each transaction the receiver probably has, and the others whole (the
// coinbase at least). The receiver rebuilds the block from its pool (and a
// few recently seen transactions the pool refused), asks the sender for
// what it lacks with getblocktxn, and falls back to the full block when a
// short id is ambiguous or the rebuilt block's merkle root does not match:
// neither proves the sender dishonest.
//
// A node in RelayCompact mode asks every peer able to (sendcmpct version
// 1) for low-bandwidth relay: the peer announces new blocks (by header)
// and the node requests the blocks near its tip in compact form (nearTip:
// the next one, or a fork's other branch). It
// asks the last maxHBPeers peers that gave it a new best block first for
// high-bandwidth relay: they push compact blocks unasked, as soon as the
// header and proof of work check out and the body matches the header's
// merkle root, before validating the body, which saves the request's
// round trip on every hop.
//
// A block is fetched from one peer at a time, but for one exception taken
// from Bitcoin Core: a high-bandwidth peer that pushes a block another
// peer is already fetching (whole, compact, or its missing transactions)
// is asked for the transactions the node lacks too, up to
// maxFetchesPerBlock peers per block (fetchesToo), and the first answer
// completes the block. Without it, a first peer that never answers would
// hold the block back until its request stalls, though the pusher could
// deliver it in one round trip.

const (
	// maxHBPeers: peers asked at once for high-bandwidth relay.
	maxHBPeers = 3
	// maxCompactDepth: a compact block is served for blocks at most this
	// far below the tip; deeper ones are served whole (a peer that far
	// behind lacks their transactions).
	maxCompactDepth = 5
	// maxCompactAhead: a block is fetched and rebuilt in compact form at
	// most this far above the tip (Bitcoin Core's bound for rebuilding
	// compact blocks).
	maxCompactAhead = 2
	// maxBlockTxnDepth: getblocktxn is answered for blocks at most this
	// far below the tip, with the whole block beyond.
	maxBlockTxnDepth = 10
	// maxRecentBlocks: blocks near the tip kept decoded, with their
	// compact form once built (recentBlocks), for the peers that ask for
	// them in compact form (at most maxCompactDepth below the tip, or a
	// push's, up to maxCompactAhead above) or for their transactions (at
	// most maxBlockTxnDepth below): every such block fits.
	maxRecentBlocks = maxBlockTxnDepth + maxCompactAhead + 1
	// maxExtraTxs: recently received transactions the pool did not take
	// (orphans, policy refusals), kept to rebuild compact blocks.
	maxExtraTxs = 100
	// maxExtraTxSize: larger ones are not kept (as in Bitcoin Core), so
	// the extras hold at most 10 MB: a refusal by policy costs a peer
	// nothing, and it could otherwise have the node hold 100 transactions
	// of a block's size. The default policy admits none larger to a pool.
	maxExtraTxSize = 100_000
	// maxFetchesPerBlock: peers fetching one block at once, the one asked
	// first and high-bandwidth peers that pushed it (Bitcoin Core's
	// MAX_CMPCTBLOCKS_INFLIGHT_PER_BLOCK).
	maxFetchesPerBlock = 3
)

// partialBlock is a compact block being rebuilt: its transactions where
// known, the short id of each other index, and the indexes still missing,
// asked of the sender with getblocktxn.
type partialBlock struct {
	hash    wire.Hash
	header  wire.BlockHeader
	key     shortIDKey
	txs     []*wire.Tx
	ids     []uint64 // short id by index (prefilled: unused)
	missing []int
}

// extraTxs is a ring of recently received transactions that are not in
// the pool, each at most maxExtraTxSize, searched when rebuilding a
// compact block.
type extraTxs struct {
	ids  []wire.Hash
	txs  []*wire.Tx
	next int
}

func (e *extraTxs) add(txid wire.Hash, tx *wire.Tx) {
	if tx.SerializeSize() > maxExtraTxSize {
		return
	}
	if len(e.txs) < maxExtraTxs {
		e.ids, e.txs = append(e.ids, txid), append(e.txs, tx)
		return
	}
	e.ids[e.next], e.txs[e.next] = txid, tx
	e.next = (e.next + 1) % maxExtraTxs
}

// handleSendCmpct records what p asked for: compact blocks of a version
// this node speaks, pushed unasked (high bandwidth) or not. Other
// versions are ignored, as BIP152 says.
func (c *Core) handleSendCmpct(p *peer, m *MsgSendCmpct) {
	if m.Version != CompactVersion {
		return
	}
	p.compact = true
	p.compactHB = m.HighBandwidth
}

// fastPeer notes that p gave the node a new best block: in RelayCompact
// mode, p becomes (or stays) one of the high-bandwidth peers, the one
// chosen longest ago making way for it, unless that one is the only
// outbound peer among them: inbound peers, which anyone can open, then
// cannot take every high-bandwidth slot.
func (c *Core) fastPeer(p *peer) {
	if c.cfg.Relay != RelayCompact || !p.compact {
		return
	}
	if i := slices.Index(c.hbPeers, p.id); i >= 0 {
		c.hbPeers = append(slices.Delete(c.hbPeers, i, i+1), p.id)
		return
	}
	c.hbPeers = append(c.hbPeers, p.id)
	c.send(p, &MsgSendCmpct{HighBandwidth: true, Version: CompactVersion})
	if len(c.hbPeers) <= maxHBPeers {
		return
	}
	drop := 0
	if p.inbound && !c.peers[c.hbPeers[0]].inbound && c.outboundHB() == 1 {
		drop = 1
	}
	c.send(c.peers[c.hbPeers[drop]], &MsgSendCmpct{HighBandwidth: false, Version: CompactVersion})
	c.hbPeers = slices.Delete(c.hbPeers, drop, drop+1)
}

// outboundHB counts the outbound high-bandwidth peers.
func (c *Core) outboundHB() int {
	n := 0
	for _, id := range c.hbPeers {
		if !c.peers[id].inbound {
			n++
		}
	}
	return n
}

// HighBandwidthPeers lists the peers the node asked to push compact
// blocks, the one chosen longest ago first.
func (c *Core) HighBandwidthPeers() []PeerID { return slices.Clone(c.hbPeers) }

// wantsCompact reports whether p asked for compact blocks pushed unasked
// and is known to have parent, so it can rebuild the block on its tip (a
// peer that is behind gets an announcement instead).
func (c *Core) wantsCompact(p *peer, parent wire.Hash) bool {
	return p.compact && p.compactHB && c.knowsBlock(p, parent)
}

// knowsBlock reports whether p is known to have block h.
func (c *Core) knowsBlock(p *peer, h wire.Hash) bool {
	return h == c.params.GenesisHash || p.knownInv.has(h)
}

// recentBlock is a block near the tip kept decoded (Core.recent), with its
// compact form once built.
type recentBlock struct {
	hash  wire.Hash
	blk   *wire.Block
	cmpct *MsgCmpctBlock
}

// recentBlocks is the last maxRecentBlocks blocks the node pushed, served
// or rebuilt from in compact form, or served the transactions of, oldest
// first: asking for them again costs no read or decode of a block (which
// took milliseconds per request, so a peer could keep the event loop busy
// with small requests), and every peer gets the same compact block.
type recentBlocks []*recentBlock

// find returns block h if it is kept, else nil.
func (r recentBlocks) find(h wire.Hash) *recentBlock {
	for _, b := range r {
		if b.hash == h {
			return b
		}
	}
	return nil
}

// keep returns block h, kept from now on if it was not (blk is the block).
func (r *recentBlocks) keep(h wire.Hash, blk *wire.Block) *recentBlock {
	if b := r.find(h); b != nil {
		return b
	}
	if len(*r) == maxRecentBlocks {
		*r = slices.Delete(*r, 0, 1)
	}
	b := &recentBlock{hash: h, blk: blk}
	*r = append(*r, b)
	return b
}

// recentBlock returns block h decoded, kept among the recent blocks, or
// nil if the node lacks it.
func (c *Core) recentBlock(h wire.Hash) *recentBlock {
	if b := c.recent.find(h); b != nil {
		return b
	}
	blk, err := c.chain.BlockByHash(h)
	if err != nil || blk == nil {
		return nil
	}
	return c.recent.keep(h, blk)
}

// compactFor returns blk (whose id is hash) as a compact block: the
// coinbase and the transactions at the prefill indexes whole, short ids for
// the rest, under a fresh nonce. It is built once while the block is among
// the recent ones, so all peers get the same for one block.
func (c *Core) compactFor(blk *wire.Block, hash wire.Hash, prefill []int) *MsgCmpctBlock {
	b := c.recent.keep(hash, blk)
	if b.cmpct != nil {
		return b.cmpct
	}
	m := &MsgCmpctBlock{Header: blk.Header, Nonce: c.rng.Uint64()}
	key := newShortIDKey(&blk.Header, m.Nonce)
	for i, tx := range blk.Transactions {
		if i == 0 || slices.Contains(prefill, i) {
			m.Prefilled = append(m.Prefilled, PrefilledTx{Index: i, Tx: tx})
		} else {
			m.ShortIDs = append(m.ShortIDs, key.shortID(tx.TxID()))
		}
	}
	b.cmpct = m
	return m
}

// relayEarly pushes blk, whose header the chain has stored and whose body
// it has not yet validated, as a compact block to the peers that asked for
// high-bandwidth relay, if its chain has at least as much work as the tip:
// a new tip, or a block competing with the tip at equal work (see
// docs/PROTOCOL.md: if it wins, every node has it already). It reports
// whether it pushed it to any. prefill lists the indexes of transactions
// the node itself lacked, which its peers likely lack too. A block that
// came whole (not rebuilt, which completeCompact checked) is pushed only if
// its transactions are the ones its header commits to: anyone can put a
// valid header on another body without doing any work.
func (c *Core) relayEarly(blk *wire.Block, hash wire.Hash, prefill []int, rebuilt bool) bool {
	var to []*peer
	for _, id := range c.peerIDs() {
		p := c.peers[id]
		if p.handshaken() && !p.knownInv.has(hash) && c.wantsCompact(p, blk.Header.PrevBlock) {
			to = append(to, p)
		}
	}
	if len(to) == 0 {
		return false
	}
	info, ok := c.chain.BlockInfoByHash(hash)
	if !ok || info.HaveData || info.Invalid || info.ChainWork.Cmp(c.chain.Tip().ChainWork) < 0 {
		return false
	}
	if !rebuilt && !matchesHeader(blk) {
		return false
	}
	cb := c.compactFor(blk, hash, prefill)
	for _, p := range to {
		p.knownInv.add(hash, maxKnownInv)
		c.push(p, cb)
	}
	return true
}

// sendCompactTip pushes the new tip as a compact block to p; it reports
// false if the block cannot be read.
func (c *Core) sendCompactTip(p *peer, tip chain.BlockInfo) bool {
	b := c.recentBlock(tip.Hash)
	if b == nil {
		return false
	}
	p.knownInv.add(tip.Hash, maxKnownInv)
	c.push(p, c.compactFor(b.blk, tip.Hash, nil))
	return true
}

// serveCompact answers a getdata for block h in compact form: compact if
// the block is near the tip, whole (as stored) if deeper or further
// above the tip, nil if the node lacks it or may not serve it
// (servedAtAll).
func (c *Core) serveCompact(h wire.Hash) Message {
	info, ok := c.chain.BlockInfoByHash(h)
	if !ok || !servedAtAll(info) {
		return nil
	}
	if c.chain.Tip().Height > info.Height+maxCompactDepth || c.farAboveTip(info.Height) {
		return c.serveWhole(h, InvCmpctBlock)
	}
	if b := c.recentBlock(h); b != nil {
		return c.compactFor(b.blk, h, nil)
	}
	return nil
}

// farAboveTip reports whether a block at height is more than
// maxCompactAhead above the tip: a block initial sync stored before its
// parents (up to DownloadWindow of them), not served compact or for its
// transactions, as Bitcoin Core serves no unvalidated block above its tip;
// recentBlocks, which holds maxRecentBlocks, has room for the best
// chain's blocks served that way only if they stop there.
func (c *Core) farAboveTip(height uint64) bool {
	return height > c.chain.Tip().Height+maxCompactAhead
}

func (c *Core) handleGetBlockTxn(p *peer, now time.Time, m *MsgGetBlockTxn) {
	info, ok := c.chain.BlockInfoByHash(m.Block)
	var b *recentBlock
	if ok && servedAtAll(info) {
		if c.chain.Tip().Height <= info.Height+maxBlockTxnDepth && !c.farAboveTip(info.Height) {
			b = c.recentBlock(m.Block)
		} else if whole := c.serveWhole(m.Block, InvBlock); whole != nil {
			c.send(p, whole)
			return
		}
	}
	if b == nil {
		c.send(p, &MsgNotFound{Items: []InvVect{{Type: InvBlock, Hash: m.Block}}})
		return
	}
	blk := b.blk
	txs := make([]*wire.Tx, len(m.Indexes))
	for i, idx := range m.Indexes {
		if idx >= len(blk.Transactions) {
			c.ban(p, now, "getblocktxn index out of range")
			return
		}
		txs[i] = blk.Transactions[idx]
	}
	p.knownInv.add(m.Block, maxKnownInv)
	c.send(p, &MsgBlockTxn{Block: m.Block, Txs: txs})
}

// handleCmpctBlock handles a compact block, asked for or pushed. Its
// header is checked (proof of work: a failure bans) and stored as an
// announcement's would be, p noted as having the block; a block that is
// not near the tip is fetched whole; one near it is rebuilt from the
// pool, and the transactions the pool lacks are asked of p, unless another
// peer is fetching the block and p may not fetch it too (fetchesToo).
func (c *Core) handleCmpctBlock(p *peer, now time.Time, m *MsgCmpctBlock) {
	hash := m.Header.BlockHash()
	p.knownInv.add(hash, maxKnownInv)
	if _, ok := c.headerWork(&m.Header); !ok {
		c.ban(p, now, "compact block with invalid proof of work")
		return
	}
	if p.partial != nil && p.partial.hash == hash {
		return // a repeat: the block's transactions are asked for already
	}
	info, known := c.chain.BlockInfoByHash(hash)
	if known {
		c.noteBlock(p, hash) // p has it: a request stalled elsewhere can go to p
	}
	if known && (info.HaveData || info.Invalid) || c.isPending(hash) {
		c.takeRequest(p, now, hash)
		return
	}
	if !known && !c.storeAnnounced(p, now, []wire.BlockHeader{m.Header}) {
		return
	}
	if info, _ = c.chain.BlockInfoByHash(hash); !c.nearTip(info.Height) {
		c.requestFull(p, now, hash, c.takeRequest(p, now, hash))
		c.fillDownloads(now)
		return
	}
	requested := c.takeRequest(p, now, hash)
	_, busy := c.blockReq[hash]
	elsewhere := busy && !requested // another peer was asked, p was not
	pb := c.reconstruct(m, hash)
	defer c.fillDownloads(now) // an ancestor it lacks (a fork's other branch)
	switch {
	case pb == nil:
		c.log.Debug("compact block short ids collide; fetching the full block", "hash", hash, "peer", p.id)
		c.requestFull(p, now, hash, requested)
	case len(pb.missing) == 0:
		c.completeCompact(p, now, pb, requested)
	case elsewhere && !c.fetchesToo(p, hash): // another peer delivers it
	case p.partial != nil: // one rebuild per peer at a time
		c.requestFull(p, now, hash, requested)
	default:
		p.partial = pb
		c.requestBlock(p, now, hash)
		c.send(p, &MsgGetBlockTxn{Block: hash, Indexes: pb.missing})
	}
}

// fetchesToo reports whether p, a peer that pushed block hash in compact
// form while other peers fetch it, is asked for the transactions the node
// lacks too, as Bitcoin Core does (parallel compact block download): the
// first peer asked may be slow, or never answer, and the block would wait
// for its request to stall. p must be a high-bandwidth peer (the node
// chose it), with no rebuild of its own under way and a free request slot,
// and fewer than maxFetchesPerBlock peers may be fetching the block. The
// last of those places goes to an inbound peer only if an outbound peer
// fetches the block already: inbound peers, which anyone can open, cannot
// take every place with requests they never answer.
func (c *Core) fetchesToo(p *peer, hash wire.Hash) bool {
	fetching := c.blockReq[hash]
	switch {
	case p.partial != nil || len(p.blocks) >= c.cfg.MaxBlocksInFlight || !slices.Contains(c.hbPeers, p.id):
		return false
	case len(fetching) >= maxFetchesPerBlock:
		return false
	case !p.inbound || len(fetching) < maxFetchesPerBlock-1:
		return true
	}
	return slices.ContainsFunc(fetching, func(id PeerID) bool { return !c.peers[id].inbound })
}

// nearTip reports whether a block at height is close enough to the tip
// to be exchanged in compact form: at most maxCompactAhead above it and at
// most maxCompactDepth below (as far as peers serve it compact), while the
// node is not syncing (its best header is at most maxCompactAhead above
// its tip; initial sync fetches blocks whole). A block next on the tip is,
// and so is a block of a fork the node is on the losing side of, or that
// block's parent: their transactions are in the pool or in the tip's
// block.
func (c *Core) nearTip(height uint64) bool {
	tip := c.chain.Tip().Height
	return height <= tip+maxCompactAhead && height+maxCompactDepth >= tip &&
		c.chain.BestHeader().Height <= tip+maxCompactAhead
}

// fetchType is how the node asks p for a block at height: in compact form
// in RelayCompact mode from a peer that exchanges compact blocks if the
// block is near the tip, whole otherwise (further blocks' transactions are
// less likely in the pool).
func (c *Core) fetchType(p *peer, height uint64) InvType {
	if c.cfg.Relay == RelayCompact && p.compact && c.nearTip(height) {
		return InvCmpctBlock
	}
	return InvBlock
}

// storeAnnounced stores headers p announced (by announce or compact
// block) if they build on a known block and reach the work threshold;
// headers that do not connect make it ask p with getheaders. It reports
// whether they were stored.
func (c *Core) storeAnnounced(p *peer, now time.Time, headers []wire.BlockHeader) bool {
	parent, ok := c.chain.BlockInfoByHash(headers[0].PrevBlock)
	if !ok || p.hsync != nil {
		c.requestHeaders(p, now, nil)
		return false
	}
	work, ok := c.chainWork(p, now, parent, headers)
	if !ok {
		return false
	}
	if work.Cmp(c.workThreshold()) < 0 {
		c.log.Debug("low-work announcement dropped", "peer", p.id, "count", len(headers))
		return false
	}
	return c.processHeaders(p, now, headers)
}

// reconstruct places m's prefilled transactions and finds the others by
// short id among the pool's and the extra transactions. It returns nil if a
// short id is ambiguous: twice in m, or matched by two transactions. Every
// candidate is looked at, whatever the order the pool gives them in, so the
// outcome does not depend on it.
func (c *Core) reconstruct(m *MsgCmpctBlock, hash wire.Hash) *partialBlock {
	n := len(m.ShortIDs) + len(m.Prefilled)
	pb := &partialBlock{hash: hash, header: m.Header, key: newShortIDKey(&m.Header, m.Nonce),
		txs: make([]*wire.Tx, n), ids: make([]uint64, n)}
	for _, pt := range m.Prefilled {
		pb.txs[pt.Index] = pt.Tx
	}
	sm := slotMatcher{slot: make(map[uint64]int, len(m.ShortIDs)), found: make([]wire.Hash, n), txs: pb.txs}
	next := 0
	for i := range pb.txs {
		if pb.txs[i] != nil {
			continue
		}
		id := m.ShortIDs[next]
		next++
		if _, dup := sm.slot[id]; dup {
			return nil
		}
		sm.slot[id], pb.ids[i] = i, id
	}
	match := func(txid wire.Hash, tx *wire.Tx) { sm.match(pb.key.shortID(txid), txid, tx) }
	c.pool.RangeTxs(match)
	for i, tx := range c.extra.txs {
		match(c.extra.ids[i], tx)
	}
	if tip := c.chain.Tip().Hash; m.Header.PrevBlock != tip {
		c.matchTipBlock(tip, match)
	}
	if sm.ambiguous {
		return nil
	}
	for i, tx := range pb.txs {
		if tx == nil {
			pb.missing = append(pb.missing, i)
		}
	}
	return pb
}

// matchTipBlock offers the transactions of the tip's block (but its
// coinbase) to match: a block of another branch, being rebuilt by a node on
// the losing side of a fork, shares many of them, and connecting the tip
// took them out of the pool.
func (c *Core) matchTipBlock(tip wire.Hash, match func(wire.Hash, *wire.Tx)) {
	b := c.recentBlock(tip)
	if b == nil {
		return
	}
	for _, tx := range b.blk.Transactions[1:] {
		match(tx.TxID(), tx)
	}
}

// slotMatcher fills the slots of a compact block (txs) with the
// transactions whose short id names a slot; two different transactions on
// one slot make it ambiguous.
type slotMatcher struct {
	slot      map[uint64]int // short id to index
	found     []wire.Hash    // by index, the txid put there (where txs has one)
	txs       []*wire.Tx
	ambiguous bool
}

func (s *slotMatcher) match(id uint64, txid wire.Hash, tx *wire.Tx) {
	i, ok := s.slot[id]
	if !ok {
		return
	}
	if s.txs[i] != nil { // slot holds only short ids, never a prefilled index
		s.ambiguous = s.ambiguous || s.found[i] != txid
		return
	}
	s.found[i], s.txs[i] = txid, tx
}

func (c *Core) handleBlockTxn(p *peer, now time.Time, m *MsgBlockTxn) {
	pb := p.partial
	if pb == nil || pb.hash != m.Block {
		c.unrequested(p, now, "unrequested blocktxn")
		return
	}
	requested := c.takeRequest(p, now, pb.hash)
	if len(m.Txs) != len(pb.missing) {
		c.ban(p, now, "blocktxn with the wrong number of transactions")
		return
	}
	for i, idx := range pb.missing {
		if pb.key.shortID(m.Txs[i].TxID()) != pb.ids[idx] {
			c.ban(p, now, "blocktxn with the wrong transactions")
			return
		}
		pb.txs[idx] = m.Txs[i]
	}
	c.completeCompact(p, now, pb, requested)
}

// completeCompact hands a rebuilt block to the chain if its merkle root
// matches its header, and otherwise (short ids that matched the wrong
// transactions) fetches the full block from p.
func (c *Core) completeCompact(p *peer, now time.Time, pb *partialBlock, requested bool) {
	blk := &wire.Block{Header: pb.header, Transactions: pb.txs}
	if !matchesHeader(blk) {
		c.log.Debug("rebuilt compact block does not match its merkle root; fetching the full block",
			"hash", pb.hash, "peer", p.id)
		c.requestFull(p, now, pb.hash, requested)
		return
	}
	if requested {
		p.delivered++
	}
	c.acceptBlock(p, now, blk, pb.hash, pb.missing, true)
}

// matchesHeader reports whether blk's transactions are the ones its header
// commits to: their merkle root, with no duplicate that leaves the root
// unchanged (CVE-2012-2459).
func matchesHeader(blk *wire.Block) bool {
	root, mutated := wire.MerkleRoot(blk.TxIDs())
	return !mutated && root == blk.Header.MerkleRoot
}

// requestFull asks p for the whole block hash, the fallback when a compact
// block cannot be rebuilt. A peer the block was not requested from leaves
// it to the download scheduler if another peer fetches it or p has no
// free request slot; one it was requested from is asked whatever other
// peers fetch it too (its request goes on whole), since those may be
// high-bandwidth peers that pushed it and never answer.
func (c *Core) requestFull(p *peer, now time.Time, hash wire.Hash, requested bool) {
	if _, busy := c.blockReq[hash]; !requested && (busy || len(p.blocks) >= c.cfg.MaxBlocksInFlight) {
		c.fillDownloads(now)
		return
	}
	c.requestBlock(p, now, hash)
	c.send(p, &MsgGetData{Items: []InvVect{{Type: InvBlock, Hash: hash}}})
}

// takeRequest ends p's request for block hash (and any rebuilding of it),
// reporting whether there was one.
func (c *Core) takeRequest(p *peer, now time.Time, hash wire.Hash) bool {
	if p.partial != nil && p.partial.hash == hash {
		p.partial = nil
	}
	if _, ok := p.blocks[hash]; !ok {
		return false
	}
	c.dropRequest(p, hash)
	p.blockProgress = now
	return true
}

// pendingBlock is a block pushed to high-bandwidth peers and waiting for
// Validate: who sent it, and whether as a compact block.
type pendingBlock struct {
	from       *peer
	blk        *wire.Block
	hash       wire.Hash
	viaCompact bool
}

// acceptBlock hands blk, received from p (as a compact block if
// viaCompact), to the chain. If it would be the new tip (or compete with
// the tip at equal work), it is first pushed to the high-bandwidth peers
// (see relayEarly) and processed only when the driver, having sent those,
// calls Validate (ActValidate).
func (c *Core) acceptBlock(p *peer, now time.Time, blk *wire.Block, hash wire.Hash, prefill []int, viaCompact bool) {
	if c.relayEarly(blk, hash, prefill, viaCompact) {
		c.pending = append(c.pending, pendingBlock{from: p, blk: blk, hash: hash, viaCompact: viaCompact})
		c.out = append(c.out, Action{Kind: ActValidate})
		return
	}
	c.processBlock(p, now, blk, hash, viaCompact)
}

// Validate processes the blocks that were pushed to high-bandwidth peers
// before validation (ActValidate asks for this call).
func (c *Core) Validate(now time.Time) []Action {
	pending := c.pending
	c.pending = nil
	for _, pb := range pending {
		c.processBlock(pb.from, now, pb.blk, pb.hash, pb.viaCompact)
	}
	return c.flush()
}

// isPending reports whether block h waits for Validate.
func (c *Core) isPending(h wire.Hash) bool {
	return slices.ContainsFunc(c.pending, func(pb pendingBlock) bool { return pb.hash == h })
}

// processBlock hands blk, received from p, to the chain; p becomes a
// high-bandwidth peer if blk became the new tip. p may have disconnected
// meanwhile (between acceptBlock and Validate): an invalid block still
// bans its address.
func (c *Core) processBlock(p *peer, now time.Time, blk *wire.Block, hash wire.Hash, viaCompact bool) {
	res, err := c.chain.ProcessBlock(blk)
	switch {
	case err != nil:
		c.blockFailed(p, now, hash, err, viaCompact)
	case res.Orphan:
		c.requestHeaders(p, now, nil)
	default:
		p.lastBlock = now
		if c.chain.Tip().Hash == hash && c.peers[p.id] == p {
			c.fastPeer(p)
		}
	}
	c.noteBlock(p, hash)
	c.fillDownloads(now)
}
