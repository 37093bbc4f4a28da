package p2p

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"powchain/chain"
	"powchain/wire"
)

// requestHeaders asks p for the headers after our best header (or after
// from, the last header p sent, then our best header; or, in a presync,
// after the last header of p's chain). One request per peer is
// outstanding; a further need is remembered and asked when the answer
// comes.
func (c *Core) requestHeaders(p *peer, now time.Time, from *wire.Hash) {
	if !p.headersSent.IsZero() {
		p.wantHeaders = true
		return
	}
	var loc []wire.Hash
	switch {
	case p.hsync != nil: // presync or redownload: continue the peer's chain
		loc = []wire.Hash{p.hsync.last}
	case from != nil:
		loc = append([]wire.Hash{*from}, c.chain.BestHeaderLocator()...)
	default:
		loc = c.chain.BestHeaderLocator()
	}
	p.headersSent = now
	p.wantHeaders = false
	c.send(p, &MsgGetHeaders{Locator: loc[:min(len(loc), MaxLocatorHashes)]})
}

func (c *Core) handleGetHeaders(p *peer, m *MsgGetHeaders) {
	headers := c.chain.LocateHeaders(m.Locator, m.Stop, MaxHeadersPerMsg)
	for i := range headers {
		p.knownInv.add(headers[i].BlockHash(), maxKnownInv)
	}
	c.send(p, &MsgHeaders{Headers: headers})
}

func (c *Core) handleHeaders(p *peer, now time.Time, headers []wire.BlockHeader) {
	if p.headersSent.IsZero() {
		c.misbehave(p, now, unrequestedScore*4, "unrequested headers")
		return
	}
	p.headersSent = time.Time{}
	if !c.chained(p, now, headers) {
		return
	}
	if p.hsync != nil {
		c.continueHeaderSync(p, now, headers)
		return
	}
	c.acceptHeaders(p, now, headers, len(headers) == MaxHeadersPerMsg)
}

// chained reports whether each header is the parent of the next, banning
// p if not.
func (c *Core) chained(p *peer, now time.Time, headers []wire.BlockHeader) bool {
	for i := 1; i < len(headers); i++ {
		if headers[i].PrevBlock != headers[i-1].BlockHash() {
			c.ban(p, now, "headers do not form a chain")
			return false
		}
	}
	return true
}

// processHeaders adds headers to the chain's index, banning p if one is
// invalid; it reports whether they were all accepted.
func (c *Core) processHeaders(p *peer, now time.Time, headers []wire.BlockHeader) bool {
	err := c.chain.ProcessHeaders(headers)
	if errors.Is(err, chain.ErrUnknownParent) {
		c.unconnectedHeaders(p, now)
		return false
	}
	if code, ok := chain.ErrorCodeOf(err); ok && code != chain.ErrTimeTooNew {
		c.ban(p, now, "invalid header: "+err.Error())
		return false
	} else if err != nil {
		c.log.Info("headers not accepted", "peer", p.id, "err", err)
		return false
	}
	last := headers[len(headers)-1].BlockHash()
	for i := range headers {
		p.knownInv.add(headers[i].BlockHash(), maxKnownInv)
	}
	c.noteBlock(p, last)
	level := slog.LevelDebug
	if len(headers) >= MaxHeadersPerMsg {
		level = slog.LevelInfo // bulk sync: worth a progress line
	}
	c.log.Log(context.Background(), level, "headers received", "peer", p.id, "count", len(headers),
		"best_header", c.chain.BestHeader().Height, "tip", c.chain.Tip().Height)
	return true
}

// afterHeaders asks again if a block announcement arrived meanwhile.
func (c *Core) afterHeaders(p *peer, now time.Time, last *wire.Hash) {
	if p.wantHeaders {
		c.requestHeaders(p, now, last)
	}
}

// unconnectedHeaders handles headers whose first parent is unknown: the
// peer's chain left ours before our locator reached; ask with the full
// locator, and give up on peers that keep doing it.
func (c *Core) unconnectedHeaders(p *peer, now time.Time) {
	p.headerStrikes++
	if p.headerStrikes >= maxHeaderStrikes {
		c.ban(p, now, "headers that do not connect")
		return
	}
	c.requestHeaders(p, now, nil)
}

func (c *Core) handleBlock(p *peer, now time.Time, blk *wire.Block) {
	hash := blk.BlockHash()
	p.knownInv.add(hash, maxKnownInv)
	if c.takeRequest(p, now, hash) {
		p.delivered++
	} else if !c.unrequested(p, now, "unrequested blocks") || !c.worthStoring(blk) {
		return
	}
	c.acceptBlock(p, now, blk, hash, nil, false)
}

// blockFailed bans a peer that sent an invalid block. Duplicates and
// blocks from slightly in the future are no fault; local failures are
// logged. A block that came as a compact block is no fault either: peers
// relay those before validating them (see relayEarly); its header's proof
// of work makes sending one costly.
func (c *Core) blockFailed(p *peer, now time.Time, hash wire.Hash, err error, viaCompact bool) {
	code, isRule := chain.ErrorCodeOf(err)
	switch {
	case !isRule:
		c.log.Error("processing block failed", "hash", hash, "err", err)
	case code == chain.ErrDuplicateBlock || code == chain.ErrTimeTooNew:
		c.log.Debug("block not accepted", "hash", hash, "peer", p.id, "err", err)
	case viaCompact:
		c.log.Info("invalid block relayed as a compact block", "hash", hash, "peer", p.id, "err", err)
	default:
		c.send(p, &MsgReject{Message: "block", Code: RejectInvalid, Reason: code.Reason(), Hash: hash})
		c.ban(p, now, "invalid block: "+err.Error())
	}
}

// fillDownloads hands the next missing blocks of the best header chain to
// peers with free request slots: the least busy peer that has the block
// (by height) and has not failed to deliver it, so several peers download
// in parallel. Blocks beyond DownloadWindow past the tip wait, so one slow
// peer cannot make the node hold an unbounded number of blocks it cannot
// connect yet. When the tip is the best header there is nothing to fetch,
// which is the case on almost every call once the node is in sync (every
// tick, inv and block), so that is checked first.
func (c *Core) fillDownloads(now time.Time) {
	tip := c.chain.Tip()
	if c.chain.BestHeader().Hash == tip.Hash {
		return
	}
	free := 0
	var cands []*peer
	for _, id := range c.peerIDs() {
		p := c.peers[id]
		if p.handshaken() && len(p.blocks) < c.cfg.MaxBlocksInFlight {
			cands = append(cands, p)
			free += c.cfg.MaxBlocksInFlight - len(p.blocks)
		}
	}
	if free == 0 {
		return
	}
	maxHeight := tip.Height + uint64(c.cfg.DownloadWindow)
	missing := c.chain.MissingBlocks(min(c.cfg.DownloadWindow, 2*free+16), maxHeight, func(h wire.Hash) bool {
		_, busy := c.blockReq[h]
		return busy || c.isPending(h)
	})
	reqs := make(map[PeerID][]InvVect)
	for _, ref := range missing {
		h := ref.Hash
		p := c.pickPeer(cands, h, ref.Height)
		if p == nil {
			continue
		}
		c.requestBlock(p, now, h)
		reqs[p.id] = append(reqs[p.id], InvVect{Type: c.fetchType(p, ref.Height), Hash: h})
		if free--; free == 0 {
			break
		}
	}
	for _, p := range cands {
		if items := reqs[p.id]; len(items) > 0 {
			c.send(p, &MsgGetData{Items: items})
		}
	}
}

// requestBlock records that block h is requested from p (the caller sends
// the getdata or getblocktxn).
func (c *Core) requestBlock(p *peer, now time.Time, h wire.Hash) {
	if len(p.blocks) == 0 {
		p.blockProgress = now
	}
	p.blocks[h] = struct{}{}
	c.blockReq[h] = append(c.blockReq[h], p.id)
}

// dropRequest forgets that block h is requested from p; other peers asked
// for it stay asked.
func (c *Core) dropRequest(p *peer, h wire.Hash) {
	delete(p.blocks, h)
	removeFromList(c.blockReq, h, p.id)
}

// pickPeer chooses who to ask for block h: among the peers with room that
// have shown a chain this high and do not lack h, one that has not stalled
// on h, then the least busy, then the oldest connection.
func (c *Core) pickPeer(cands []*peer, h wire.Hash, height uint64) *peer {
	var best *peer
	better := func(p *peer) bool {
		if best == nil {
			return true
		}
		_, ps := p.avoid[h]
		_, bs := best.avoid[h]
		if ps != bs {
			return !ps
		}
		return len(p.blocks) < len(best.blocks)
	}
	for _, p := range cands {
		if len(p.blocks) >= c.cfg.MaxBlocksInFlight || p.bestHeight < height || p.avoid[h] {
			continue
		}
		if better(p) {
			best = p
		}
	}
	return best
}
