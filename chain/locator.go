package chain

import "powchain/wire"

// Block locators and header lookups for headers-first sync (p2p).

// locatorFor returns hashes of n and its ancestors: the last ten one by
// one, then doubling steps back, always ending with genesis. Any node that
// shares a prefix of the chain finds the fork point within a few entries.
func locatorFor(n *blockNode) []wire.Hash {
	var loc []wire.Hash
	step := uint64(1)
	for n != nil {
		loc = append(loc, n.hash)
		if n.height == 0 {
			break
		}
		if len(loc) >= 10 {
			step *= 2
		}
		if step >= n.height {
			n = n.ancestor(0)
		} else {
			n = n.ancestor(n.height - step)
		}
	}
	return loc
}

// TipLocator is a block locator of the best chain's tip.
func (c *Chain) TipLocator() []wire.Hash {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return locatorFor(c.tip())
}

// BestHeaderLocator is a block locator of the best header, to ask peers for
// the headers that follow it.
func (c *Chain) BestHeaderLocator() []wire.Hash {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return locatorFor(c.bestHeader)
}

// LocateHeaders answers a getheaders request: the headers of the best chain
// after the first locator entry that is on it (after genesis if none is),
// up to and including stop (when non-zero) and at most max of them.
func (c *Chain) LocateHeaders(locator []wire.Hash, stop wire.Hash, max int) []wire.BlockHeader {
	c.mu.RLock()
	defer c.mu.RUnlock()
	start := uint64(0)
	for _, h := range locator {
		if n := c.index.get(h); n != nil && c.onBestChain(n) {
			start = n.height
			break
		}
	}
	var headers []wire.BlockHeader
	for h := start + 1; h < uint64(len(c.bestChain)) && len(headers) < max; h++ {
		n := c.bestChain[h]
		headers = append(headers, n.header)
		if n.hash == stop {
			break
		}
	}
	return headers
}

// HaveBlock reports whether the node stores the block's body or holds it as
// an orphan: there is no point fetching it.
func (c *Chain) HaveBlock(hash wire.Hash) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if n := c.index.get(hash); n != nil && n.status&statusDataStored != 0 {
		return true
	}
	return c.orphans.has(hash)
}

// BlockRef names a block and its height.
type BlockRef struct {
	Hash   wire.Hash
	Height uint64
}

// MissingBlocks returns up to max blocks, lowest first and no higher than
// maxHeight, on the way from the best chain to the best header whose bodies
// the node lacks: what headers-first sync downloads next. skip filters out
// blocks already being fetched.
func (c *Chain) MissingBlocks(max int, maxHeight uint64, skip func(wire.Hash) bool) []BlockRef {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var missing []BlockRef
	for h := c.headerForkHeight() + 1; h < uint64(len(c.headerChain)) && h <= maxHeight && len(missing) < max; h++ {
		n := c.headerChain[h]
		if n.status&statusDataStored == 0 && !n.status.knownInvalid() && (skip == nil || !skip(n.hash)) {
			missing = append(missing, BlockRef{Hash: n.hash, Height: n.height})
		}
	}
	return missing
}

// headerForkHeight is the height of the last block the best chain and the
// best header chain share; caller holds c.mu.
func (c *Chain) headerForkHeight() uint64 {
	h := min(uint64(len(c.bestChain)), uint64(len(c.headerChain))) - 1
	for c.bestChain[h] != c.headerChain[h] {
		h--
	}
	return h
}
