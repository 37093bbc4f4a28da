package p2p

import (
	"math/big"
	"slices"
	"time"

	"powchain/chain"
	"powchain/wire"
)

// Low-work header defence (docs/PROTOCOL.md, "Low-work headers").
//
// Headers are stored in the block index (and on disk) only once the chain
// they belong to has at least workThreshold of work: the tip's, and the
// network's minimum. A peer whose headers fork below that is first
// presynced: its chain is checked header by header (continuity, proof of
// work against the header's own bits, median time past, future time) and
// its work summed, keeping only the hash of every commitEvery-th header.
// If the work reaches the threshold, the same headers are downloaded again
// from the fork point and stored in chunks, each only once its last header
// matches the hash kept for it: the chain stored is the one whose work was
// counted. A peer's presync therefore costs commitEvery headers of memory at
// most, plus 32 bytes per commitEvery headers of its chain, and a chain
// that never reaches the threshold is never stored.

// commitEvery: one hash is kept per this many presynced headers, and at most
// this many redownloaded headers wait in memory to be matched.
const commitEvery = 1000

// headerSync is one peer's presync and redownload of a low-work fork.
type headerSync struct {
	fork  wire.Hash // the index block the peer's chain builds on
	last  wire.Hash // the last header received: the next answer's parent
	count uint64    // headers presynced after fork
	work  *big.Int  // the chain's work up to last (presync)
	times []int64   // up to MedianTimeBlocks timestamps ending at last (presync)

	commits []wire.Hash // hash of headers commitEvery, 2·commitEvery, ...

	// Redownload, once the presynced work reached the threshold.
	redownload bool
	final      wire.Hash // the header where the threshold was reached
	finalCount uint64    // its position after fork
	got        uint64    // headers redownloaded after fork
	buf        []wire.BlockHeader
}

// workThreshold is the work a chain needs for its headers to be stored.
func (c *Core) workThreshold() *big.Int {
	tip := c.chain.Tip().ChainWork
	if min := c.params.MinChainWork; min != nil && min.Cmp(tip) > 0 {
		return min
	}
	return tip
}

// headerWork checks a header's proof of work against its own bits and
// returns the work it proves; ok is false if the proof is invalid.
func (c *Core) headerWork(h *wire.BlockHeader) (work *big.Int, ok bool) {
	target, err := chain.TargetFromBits(h.Bits, c.params.PowLimit)
	if err != nil || chain.HashToBig(h.BlockHash()).Cmp(target) > 0 {
		return nil, false
	}
	return chain.CalcWork(target), true
}

// worthStoring reports whether an unrequested block may be processed: not
// if its parent is known and it leaves its chain short of the work
// threshold, for it would store a low-work header and body that no presync
// vetted. An orphan waits in the bounded orphan pool, in memory; a block
// with a bad proof of work is processed to be refused (and its sender
// banned).
func (c *Core) worthStoring(blk *wire.Block) bool {
	parent, ok := c.chain.BlockInfoByHash(blk.Header.PrevBlock)
	work, valid := c.headerWork(&blk.Header)
	if !ok || !valid {
		return true
	}
	if _, known := c.chain.BlockInfoByHash(blk.BlockHash()); known {
		return true
	}
	return new(big.Int).Add(parent.ChainWork, work).Cmp(c.workThreshold()) >= 0
}

// chainWork is the work of the chain that headers, each checked for its
// proof of work, add to parent; ok is false (and p banned) if one fails.
func (c *Core) chainWork(p *peer, now time.Time, parent chain.BlockInfo, headers []wire.BlockHeader) (work *big.Int, ok bool) {
	work = new(big.Int).Set(parent.ChainWork)
	for i := range headers {
		w, ok := c.headerWork(&headers[i])
		if !ok {
			c.ban(p, now, "invalid header: proof of work")
			return nil, false
		}
		work.Add(work, w)
	}
	return work, true
}

// acceptHeaders handles a chain of headers from p outside a presync: it
// stores them if they reach the work threshold, starts a presync if they do
// not but more may follow (full is true: the message was full), and drops
// them otherwise.
func (c *Core) acceptHeaders(p *peer, now time.Time, headers []wire.BlockHeader, full bool) {
	if len(headers) == 0 {
		c.afterHeaders(p, now, nil)
		return
	}
	parent, ok := c.chain.BlockInfoByHash(headers[0].PrevBlock)
	if !ok {
		c.unconnectedHeaders(p, now)
		return
	}
	work, ok := c.chainWork(p, now, parent, headers)
	if !ok {
		return
	}
	switch {
	case work.Cmp(c.workThreshold()) >= 0:
		c.storeHeaders(p, now, headers, full)
	case full:
		c.startPresync(p, now, parent, headers)
	default:
		c.log.Debug("low-work headers dropped", "peer", p.id, "count", len(headers))
		c.afterHeaders(p, now, nil)
	}
}

// storeHeaders adds headers to the index, then asks for more (full) or for
// what was announced meanwhile, and fetches the bodies. It reports whether
// they were stored.
func (c *Core) storeHeaders(p *peer, now time.Time, headers []wire.BlockHeader, full bool) bool {
	if !c.processHeaders(p, now, headers) {
		return false
	}
	last := headers[len(headers)-1].BlockHash()
	if full {
		p.wantHeaders = false
		c.requestHeaders(p, now, &last)
	} else {
		c.afterHeaders(p, now, &last)
	}
	c.fillDownloads(now)
	return true
}

// startPresync begins counting the work of p's chain, which leaves the
// index at parent.
func (c *Core) startPresync(p *peer, now time.Time, parent chain.BlockInfo, headers []wire.BlockHeader) {
	s := &headerSync{fork: parent.Hash, last: parent.Hash, work: new(big.Int).Set(parent.ChainWork)}
	for info, ok := parent, true; ok && len(s.times) < chain.MedianTimeBlocks; info, ok = c.chain.BlockInfoByHash(info.Header.PrevBlock) {
		s.times = append(s.times, info.Header.Timestamp)
		if info.Height == 0 {
			break
		}
	}
	slices.Reverse(s.times)
	c.log.Info("presyncing a low-work header chain", "peer", p.id, "fork_height", parent.Height)
	p.hsync = s
	c.presync(p, now, headers, true)
}

// continueHeaderSync handles an answer from a peer in presync or redownload.
func (c *Core) continueHeaderSync(p *peer, now time.Time, headers []wire.BlockHeader) {
	full := len(headers) == MaxHeadersPerMsg
	switch {
	case len(headers) > 0 && headers[0].PrevBlock != p.hsync.last:
		c.disconnect(p, CauseProtocol, "header chain changed during presync")
	case p.hsync.redownload:
		c.redownload(p, now, headers, full)
	default:
		c.presync(p, now, headers, full)
	}
}

// presync checks and counts headers of p's low-work chain. Every header
// must prove its work and follow the median time past; the threshold
// reached, the redownload starts.
func (c *Core) presync(p *peer, now time.Time, headers []wire.BlockHeader, full bool) {
	s := p.hsync
	for i := range headers {
		h := &headers[i]
		work, ok := c.headerWork(h)
		switch {
		case !ok:
			c.ban(p, now, "invalid header: proof of work")
			return
		case h.Timestamp <= medianTime(s.times):
			c.ban(p, now, "invalid header: timestamp not after the median time past")
			return
		case h.Timestamp > now.Add(chain.MaxFutureBlockTime).Unix():
			c.endHeaderSync(p, now, "header from the future")
			return
		}
		s.count++
		s.work.Add(s.work, work)
		s.last = h.BlockHash()
		s.times = append(s.times, h.Timestamp)
		if len(s.times) > chain.MedianTimeBlocks {
			s.times = s.times[1:]
		}
		if s.count%commitEvery == 0 {
			s.commits = append(s.commits, s.last)
		}
		if s.count > uint64(c.cfg.MaxPresyncHeaders) {
			c.disconnect(p, CauseProtocol, "low-work header chain too long")
			return
		}
		if s.work.Cmp(c.workThreshold()) >= 0 {
			c.log.Info("presynced header chain has enough work, downloading it again", "peer", p.id, "headers", s.count)
			s.redownload, s.final, s.finalCount, s.last = true, s.last, s.count, s.fork
			s.times = nil
			c.requestHeaders(p, now, nil)
			return
		}
	}
	if !full {
		c.endHeaderSync(p, now, "chain ends with too little work")
		return
	}
	c.requestHeaders(p, now, nil)
}

// redownload stores the presynced chain again as it arrives, in chunks
// matched against the presync's hashes.
func (c *Core) redownload(p *peer, now time.Time, headers []wire.BlockHeader, full bool) {
	s := p.hsync
	for i := range headers {
		s.got++
		s.last = headers[i].BlockHash()
		s.buf = append(s.buf, headers[i])
		var want wire.Hash
		switch {
		case s.got == s.finalCount:
			want = s.final
		case s.got%commitEvery == 0:
			want = s.commits[s.got/commitEvery-1]
		default:
			continue
		}
		if s.last != want {
			c.disconnect(p, CauseProtocol, "redownloaded headers differ from the presynced ones")
			return
		}
		if !c.processHeaders(p, now, s.buf) {
			return
		}
		s.buf = s.buf[:0]
		if s.got == s.finalCount {
			p.hsync = nil
			c.log.Info("low-work presync done: header chain stored", "peer", p.id, "headers", s.got)
			c.afterPresync(p, now, s.last, headers[i+1:], full)
			return
		}
	}
	if !full {
		c.disconnect(p, CauseProtocol, "header chain ended during redownload")
		return
	}
	c.requestHeaders(p, now, nil)
}

// afterPresync continues once the presynced chain is stored up to last:
// the rest of the message is handled as any headers, and more are asked
// for if the message was full.
func (c *Core) afterPresync(p *peer, now time.Time, last wire.Hash, rest []wire.BlockHeader, full bool) {
	switch {
	case len(rest) > 0:
		c.acceptHeaders(p, now, rest, full)
		return
	case full:
		c.requestHeaders(p, now, &last)
	default:
		c.afterHeaders(p, now, &last)
	}
	c.fillDownloads(now)
}

// endHeaderSync abandons p's presync without blame and goes back to
// ordinary header requests when something is announced.
func (c *Core) endHeaderSync(p *peer, now time.Time, why string) {
	c.log.Info("low-work header chain dropped", "peer", p.id, "reason", why, "headers", p.hsync.count)
	p.hsync = nil
	c.afterHeaders(p, now, nil)
}

// medianTime is the median of times (a chain's last timestamps), as the
// median time past a new header must exceed.
func medianTime(times []int64) int64 {
	s := slices.Clone(times)
	slices.Sort(s)
	return s[len(s)/2]
}
