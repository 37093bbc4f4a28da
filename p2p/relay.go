package p2p

import (
	"errors"
	"slices"
	"time"

	"powchain/chain"
	"powchain/wire"
)

// announce queues iv for every handshaken peer that does not know it,
// except skip. The queue is flushed as one inv per peer when the input
// ends.
func (c *Core) announce(iv InvVect, skip *peer) {
	for _, id := range c.peerIDs() {
		p := c.peers[id]
		if p == skip || !p.handshaken() || p.knownInv.has(iv.Hash) {
			continue
		}
		p.knownInv.add(iv.Hash, maxKnownInv)
		p.pendingInv = append(p.pendingInv, iv)
	}
}

// rebroadcast announces the unbroadcast transactions still in the pool
// again, as Bitcoin Core's ReattemptInitialBroadcast: announce skips the
// peers already told of one, so they go to the peers that came since (a
// transaction submitted while the node had no peers, or told only to
// peers that left, would otherwise never leave it). The pool keeps the
// set (TxPool.Unbroadcast, saved across restarts); a transaction leaves
// it once a peer asks for it (handleGetData) or it leaves the pool.
// The next round comes RebroadcastInterval plus a random part of half of
// it later, so peers cannot time it.
func (c *Core) rebroadcast(now time.Time) {
	half := c.cfg.RebroadcastInterval / 2
	c.nextRebroadcast = now.Add(c.cfg.RebroadcastInterval + time.Duration(c.rng.Int64N(int64(half)+1)))
	for _, txid := range c.pool.Unbroadcast() {
		c.announce(InvVect{Type: InvTx, Hash: txid}, nil)
	}
}

// announceBlock announces the new tip to every handshaken peer that does
// not know it: as a compact block to a peer that asked for them pushed
// (high bandwidth) and has the parent; by header to a peer that asked for
// it (sendheaders) when the headers from a block it knows to the tip are
// few; else by inv.
func (c *Core) announceBlock(tip chain.BlockInfo) {
	for _, id := range c.peerIDs() {
		p := c.peers[id]
		if !p.handshaken() || p.knownInv.has(tip.Hash) {
			continue
		}
		if c.wantsCompact(p, tip.Header.PrevBlock) && c.sendCompactTip(p, tip) {
			continue
		}
		if p.sendHeaders {
			if headers := c.headersToAnnounce(p, tip); headers != nil {
				for i := range headers {
					p.knownInv.add(headers[i].BlockHash(), maxKnownInv)
				}
				c.send(p, &MsgAnnounce{Headers: headers})
				continue
			}
		}
		p.knownInv.add(tip.Hash, maxKnownInv)
		p.pendingInv = append(p.pendingInv, InvVect{Type: InvBlock, Hash: tip.Hash})
	}
}

// headersToAnnounce returns the headers from the first block after one p
// is known to have up to tip, oldest first, or nil if there are more than
// MaxAnnounceHeaders (p is behind, or on another branch: an inv makes it
// ask with a locator).
func (c *Core) headersToAnnounce(p *peer, tip chain.BlockInfo) []wire.BlockHeader {
	headers := []wire.BlockHeader{tip.Header}
	for {
		prev := headers[len(headers)-1].PrevBlock
		if prev == c.params.GenesisHash || p.knownInv.has(prev) {
			slices.Reverse(headers)
			return headers
		}
		parent, ok := c.chain.BlockInfoByHash(prev)
		if !ok || len(headers) == MaxAnnounceHeaders {
			return nil
		}
		headers = append(headers, parent.Header)
	}
}

// handleAnnounce handles blocks p announced by header: headers that build
// on a known block and reach the work threshold are stored and their
// blocks requested from p at once (no getheaders round trip); headers that
// do not connect are treated as an inv of an unknown block (getheaders).
func (c *Core) handleAnnounce(p *peer, now time.Time, headers []wire.BlockHeader) {
	if !c.chained(p, now, headers) {
		return
	}
	for i := range headers {
		p.knownInv.add(headers[i].BlockHash(), maxKnownInv)
	}
	if !c.storeAnnounced(p, now, headers) {
		return
	}
	c.requestAnnounced(p, now, headers)
	c.fillDownloads(now)
}

// requestAnnounced asks p for the blocks of headers the node lacks and
// nobody is fetching, as far as p has request slots: in compact form the
// block next on the tip from a peer that exchanges compact blocks, in
// RelayCompact mode; whole otherwise (further blocks' transactions are
// less likely in the pool).
func (c *Core) requestAnnounced(p *peer, now time.Time, headers []wire.BlockHeader) {
	var want []InvVect
	for i := range headers {
		h := headers[i].BlockHash()
		info, ok := c.chain.BlockInfoByHash(h)
		if _, busy := c.blockReq[h]; busy || !ok || info.HaveData || info.Invalid {
			continue
		}
		if len(p.blocks) >= c.cfg.MaxBlocksInFlight {
			break
		}
		c.requestBlock(p, now, h)
		want = append(want, InvVect{Type: c.fetchType(p, info.Height), Hash: h})
	}
	if len(want) > 0 {
		c.send(p, &MsgGetData{Items: want})
	}
}

func (c *Core) handleInv(p *peer, now time.Time, items []InvVect) {
	var want []InvVect
	unknownBlock := false
	for _, iv := range items {
		p.knownInv.add(iv.Hash, maxKnownInv)
		switch iv.Type {
		case InvBlock:
			if c.noteBlock(p, iv.Hash) {
				unknownBlock = true
			}
		case InvTx:
			if c.wantTx(p, iv.Hash) {
				p.txs[iv.Hash] = now
				c.txReq[iv.Hash] = p.id
				want = append(want, iv)
			} else {
				c.noteAnnouncer(p, iv.Hash)
			}
		}
	}
	if len(want) > 0 {
		c.send(p, &MsgGetData{Items: want})
	}
	if unknownBlock {
		c.requestHeaders(p, now, nil)
	}
	c.fillDownloads(now)
}

// noteBlock records that p has block h and reports whether its header is
// unknown (so headers must be asked for).
func (c *Core) noteBlock(p *peer, h wire.Hash) bool {
	delete(p.avoid, h)
	info, ok := c.chain.BlockInfoByHash(h)
	if !ok {
		return true
	}
	p.bestHeight = max(p.bestHeight, info.Height)
	p.shownHeight = max(p.shownHeight, int64(info.Height))
	if !info.Invalid && (p.shownValid == (wire.Hash{}) || info.Height > p.shownValidAt) {
		p.shownValid, p.shownValidAt = h, info.Height
	}
	return false
}

func (c *Core) wantTx(p *peer, txid wire.Hash) bool {
	if len(p.txs) >= maxTxInFlight || c.rejects.has(txid) {
		return false
	}
	if _, busy := c.txReq[txid]; busy {
		return false
	}
	return !c.pool.Knows(txid)
}

// handleGetData answers a getdata: at most maxBlocksPerGet blocks, and
// answers that take at most half the peer's send budget
// (MaxSendQueueBytes; plus the one answer that crosses it), the rest
// answered notfound. The driver queues the answers at once, takes no
// further message from the peer while more than a quarter of the budget
// waits (so this getdata found at most that much queued), and drops a
// peer whose queue outgrows the budget: anything past the budget would be
// thrown away with the connection, and the half left over is for the
// notfound and whatever else waits for the peer (a blocktxn of up to a
// block, headers), so an honest peer that asks for many large
// transactions at once gets notfound for the excess instead of being
// dropped. A whole block is answered with a reference the driver loads as
// it writes it (MsgStoredBlock without Encoded), which counts its own few
// dozen bytes against the budget, not the block's: blocks are bounded by
// maxBlocksPerGet (and the queue by maxQueuedMsgs), what is answered from
// memory (transactions, compact blocks) by the budget.
func (c *Core) handleGetData(p *peer, items []InvVect) {
	var missing []InvVect
	blocks, queued := 0, 0
	for _, iv := range items {
		var m Message
		room := queued < c.cfg.MaxSendQueueBytes/2
		switch iv.Type {
		case InvBlock:
			if blocks++; blocks <= maxBlocksPerGet && room {
				m = c.serveWhole(iv.Hash, InvBlock)
			}
		case InvCmpctBlock:
			if blocks++; blocks <= maxBlocksPerGet && room {
				m = c.serveCompact(iv.Hash)
			}
		case InvTx:
			if tx, ok := c.pool.Tx(iv.Hash); ok && room {
				m = &MsgTx{Tx: tx}
				c.pool.ClearUnbroadcast(iv.Hash)
			}
		}
		if m == nil {
			missing = append(missing, iv)
			continue
		}
		queued += sizeHint(m)
		p.knownInv.add(iv.Hash, maxKnownInv)
		c.send(p, m)
	}
	if len(missing) > 0 {
		c.send(p, &MsgNotFound{Items: missing})
	}
}

// servedWhole reports whether a block may be sent whole: the node
// connected it once, so it is valid (as Bitcoin Core serves only validated
// blocks), and it is not marked invalid since (the operator's
// invalidateblock, see servedAtAll). A peer bans whoever sends it an
// invalid whole block, and the node keeps the bodies of blocks it found
// invalid, or stored and never validated (a branch it is not on): serving
// those, it would be banned for blocks whoever mines one can have it
// store. Compact blocks and blocktxn answers, which ban nobody, are
// served unvalidated.
func servedWhole(info chain.BlockInfo) bool { return info.Valid && servedAtAll(info) }

// servedAtAll reports whether a block may be served in any form: the node
// has its body and does not know it to be invalid. A block the operator
// invalidated was valid by consensus, but the operator said the node
// should not have it, and Bitcoin Core serves no block marked failed.
func servedAtAll(info chain.BlockInfo) bool { return info.HaveData && !info.Invalid }

// serveWhole answers a request for block h (of type asked) with a
// reference to the block as stored (MsgStoredBlock without Encoded),
// which the driver loads when it writes it (LoadStoredBlock), or nil if
// the node lacks it or may not serve it whole (servedWhole). The Core
// reads no block body for it.
func (c *Core) serveWhole(h wire.Hash, asked InvType) Message {
	if info, ok := c.chain.BlockInfoByHash(h); !ok || !servedWhole(info) {
		return nil
	}
	return &MsgStoredBlock{Hash: h, Asked: asked}
}

// LoadStoredBlock returns what a driver writes for m when m's turn to be
// written comes: m itself, unless it is a reference to a stored block
// (MsgStoredBlock without Encoded, the Core's answer to a request for a
// whole block). That is loaded from ch, the sending node's chain, if the
// node may still serve it whole (servedWhole, checked again as it costs
// one index lookup: the rule must hold when the block is sent, whatever
// changed since the Core answered), or else answered with the notfound the
// Core would have sent (of the reference's Asked type), so every item a
// getdata asked for is still answered. m is not modified. ch must be safe
// for concurrent use if the driver calls this off its event loop
// (*chain.Chain is).
func LoadStoredBlock(ch ChainReader, m Message) Message {
	ref, ok := m.(*MsgStoredBlock)
	if !ok || ref.Encoded != nil {
		return m
	}
	if info, ok := ch.BlockInfoByHash(ref.Hash); ok && servedWhole(info) {
		if raw, err := ch.BlockBytes(ref.Hash); err == nil && raw != nil {
			return &MsgStoredBlock{Hash: ref.Hash, Encoded: raw, Asked: ref.Asked}
		}
	}
	return &MsgNotFound{Items: []InvVect{{Type: ref.Asked, Hash: ref.Hash}}}
}

func (c *Core) handleNotFound(p *peer, now time.Time, items []InvVect) {
	var lacks []wire.Hash
	for _, iv := range items {
		if iv.Type != InvTx && c.takeRequest(p, now, iv.Hash) {
			c.avoidBlock(p, iv.Hash, true)
		}
		if _, ok := p.txs[iv.Hash]; ok && iv.Type == InvTx {
			lacks = append(lacks, iv.Hash)
		}
	}
	c.txFailed(p, now, lacks)
	c.fillDownloads(now)
}

// noteAnnouncer records that p announced txid while another peer is asked
// for it, so that p is asked next if that request fails; p keeps at most
// maxTxInFlight such announcements.
func (c *Core) noteAnnouncer(p *peer, txid wire.Hash) {
	owner, busy := c.txReq[txid]
	if _, dup := p.txAlso[txid]; !busy || owner == p.id || dup || len(p.txAlso) >= maxTxInFlight {
		return
	}
	p.txAlso[txid] = struct{}{}
	c.txAnnouncers[txid] = append(c.txAnnouncers[txid], p.id)
}

// txFailed ends p's requests for txids, which it did not deliver (it
// answered notfound, timed out or left), and asks their next announcers
// (askNextAnnouncers): at once, or at the next Tick if now is unknown (a
// peer the Core dropped). Otherwise the first announcer alone would
// decide whether the node ever gets a transaction: a peer could keep any
// from it by announcing it first and not delivering.
func (c *Core) txFailed(p *peer, now time.Time, txids []wire.Hash) {
	if len(txids) == 0 {
		return
	}
	for _, txid := range txids {
		delete(p.txs, txid)
		delete(c.txReq, txid)
	}
	if now.IsZero() {
		c.txLost = append(c.txLost, txids...)
		return
	}
	c.askNextAnnouncers(now, txids)
}

// askNextAnnouncers asks, for each of txids not in flight, the first peer
// in its txAnnouncers that has room for another request; each announcer
// is asked once. One the node has by now, or that no announcer is left
// for, is forgotten until it is announced again.
func (c *Core) askNextAnnouncers(now time.Time, txids []wire.Hash) {
	want := make(map[PeerID][]InvVect)
	for _, txid := range txids {
		if _, busy := c.txReq[txid]; busy {
			continue
		}
		p := c.nextAnnouncer(txid)
		if p == nil {
			continue
		}
		p.txs[txid] = now
		c.txReq[txid] = p.id
		want[p.id] = append(want[p.id], InvVect{Type: InvTx, Hash: txid})
	}
	for _, id := range c.peerIDs() {
		if items := want[id]; len(items) > 0 {
			c.send(c.peers[id], &MsgGetData{Items: items})
		}
	}
}

// nextAnnouncer takes off txid's list, and returns, the announcer to ask
// next: the first outbound one (a peer the node dialed, which an attacker
// cannot simply open more of) with room for another request, else the
// first with room. It returns nil, forgetting them all, if none has room
// or the pool knows or refused txid.
func (c *Core) nextAnnouncer(txid wire.Hash) *peer {
	var next *peer
	if !c.pool.Knows(txid) && !c.rejects.has(txid) {
		for _, id := range c.txAnnouncers[txid] {
			p := c.peers[id]
			if len(p.txs) < maxTxInFlight && (next == nil || next.inbound && !p.inbound) {
				next = p
			}
		}
	}
	if next == nil {
		c.forgetAnnouncers(txid)
		return nil
	}
	c.forgetAnnouncer(next, txid)
	return next
}

// forgetAnnouncer takes p off txid's announcers.
func (c *Core) forgetAnnouncer(p *peer, txid wire.Hash) {
	delete(p.txAlso, txid)
	removeFromList(c.txAnnouncers, txid, p.id)
}

// forgetAnnouncers forgets every announcer of txid, which the node got.
func (c *Core) forgetAnnouncers(txid wire.Hash) {
	for len(c.txAnnouncers[txid]) > 0 {
		c.forgetAnnouncer(c.peers[c.txAnnouncers[txid][0]], txid)
	}
}

// forgetConfirmed forgets the other announcers of the transactions of
// block h in flight (as Bitcoin Core forgets a connected block's): the
// node has them in its chain, which the pool does not list, and every
// announcer drops them from its pool as the block reaches it, so each
// would be asked in turn only to answer notfound.
func (c *Core) forgetConfirmed(h wire.Hash) {
	if len(c.txAnnouncers) == 0 {
		return
	}
	var blk *wire.Block
	if b := c.recent.find(h); b != nil {
		blk = b.blk
	} else if blk, _ = c.chain.BlockByHash(h); blk == nil {
		return
	}
	for _, tx := range blk.Transactions {
		c.forgetAnnouncers(tx.TxID())
	}
}

// consensusError is implemented by mempool rejections; Consensus() says
// whether the transaction breaks a consensus rule (not mere policy).
type consensusError interface {
	error
	Consensus() bool
}

func (c *Core) handleTx(p *peer, now time.Time, tx *wire.Tx) {
	txid := tx.TxID()
	p.knownInv.add(txid, maxKnownInv)
	if _, ok := p.txs[txid]; ok {
		delete(p.txs, txid)
		delete(c.txReq, txid)
		c.forgetAnnouncers(txid)
	} else if !c.unrequested(p, now, "unrequested transactions") {
		return
	}
	if c.pool.Knows(txid) || c.rejects.has(txid) {
		return
	}
	accepted, missing, err := c.pool.AcceptFromPeer(tx, uint64(p.id))
	if err != nil {
		var ce consensusError
		if errors.As(err, &ce) && ce.Consensus() {
			c.ban(p, now, "invalid transaction: "+err.Error())
			return
		}
		c.extra.add(txid, tx)
		c.rejects.add(txid, maxRecentRejects)
		c.log.Debug("transaction refused", "txid", txid, "peer", p.id, "err", err)
		return
	}
	if len(accepted) > 0 {
		p.lastTx = now
	} else if len(missing) > 0 {
		c.extra.add(txid, tx) // an orphan: the pool does not list it
	}
	c.requestParents(p, now, missing)
	for _, a := range accepted {
		c.announce(InvVect{Type: InvTx, Hash: a.TxID()}, nil)
	}
}

// requestParents asks p, which announced an orphan, for its parents.
func (c *Core) requestParents(p *peer, now time.Time, parents []wire.Hash) {
	var want []InvVect
	for _, h := range parents {
		if c.wantTx(p, h) {
			p.txs[h] = now
			c.txReq[h] = p.id
			want = append(want, InvVect{Type: InvTx, Hash: h})
		}
	}
	if len(want) > 0 {
		c.send(p, &MsgGetData{Items: want})
	}
}
