package p2p

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"net/netip"
	"slices"
)

// How many inbound peers each eviction criterion protects (as Bitcoin
// Core's AttemptToEvictConnection). An attacker must beat honest peers on
// every criterion to hold every slot.
const (
	protectByNetGroup = 4 // the oldest peer of each of the groups with the highest keyed hash
	protectByPing     = 8 // lowest ping
	protectByTx       = 4 // most recently relayed a new transaction
	protectByBlock    = 4 // most recently relayed a new block
)

// evictInbound makes room for newcomer when the inbound slots are full: it
// disconnects one other inbound peer, chosen so that the most useful and
// the most diverse peers stay (docs/PROTOCOL.md, "Inbound eviction"). It
// reports false, evicting nobody, when every candidate is protected.
func (c *Core) evictInbound(newcomer *peer) bool {
	cands := c.evictionCandidates(newcomer)
	victim := c.pickEviction(cands)
	if victim == nil {
		return false
	}
	c.log.Info("evicting inbound peer for a newcomer", "peer", victim.id, "addr", victim.addr,
		"newcomer", newcomer.addr)
	c.disconnect(victim, CauseEvicted, "evicted for a newcomer")
	return true
}

// evictionCandidates are the inbound peers other than newcomer, in ID
// order.
func (c *Core) evictionCandidates(newcomer *peer) []*peer {
	var cands []*peer
	for _, id := range c.peerIDs() {
		if p := c.peers[id]; p.inbound && p != newcomer {
			cands = append(cands, p)
		}
	}
	return cands
}

// pickEviction applies the protections in turn, then chooses, among the
// peers left, the youngest of the address group with the most of them.
func (c *Core) pickEviction(cands []*peer) *peer {
	// Each protection takes the best peers that have the quality at all
	// (an idle peer earns nothing), ties going to the lower ID.
	cands = c.protectGroups(cands)
	cands = protect(cands, protectByPing, func(p *peer) bool { return p.minPing > 0 },
		func(a, b *peer) int { return cmp.Compare(a.minPing, b.minPing) })
	cands = protect(cands, protectByTx, func(p *peer) bool { return !p.lastTx.IsZero() },
		func(a, b *peer) int { return b.lastTx.Compare(a.lastTx) })
	cands = protect(cands, protectByBlock, func(p *peer) bool { return !p.lastBlock.IsZero() },
		func(a, b *peer) int { return b.lastBlock.Compare(a.lastBlock) })
	cands = protect(cands, len(cands)/2, func(*peer) bool { return true }, olderFirst)
	if len(cands) == 0 {
		return nil
	}
	// Peers that have misbehaved go first.
	if bad := slices.DeleteFunc(slices.Clone(cands), func(p *peer) bool { return p.score == 0 }); len(bad) > 0 {
		cands = bad
	}
	groups := make(map[string][]*peer)
	for _, p := range cands { // cands are in ID order, so each group is too
		groups[netGroup(p.addr)] = append(groups[netGroup(p.addr)], p)
	}
	var largest []*peer
	for _, p := range cands { // walk cands, not the map: deterministic
		g := groups[netGroup(p.addr)]
		if len(g) > len(largest) || len(g) == len(largest) && youngest(g).connectedAfter(youngest(largest)) {
			largest = g
		}
	}
	return youngest(largest)
}

// protect removes from cands (in ID order) the n best by better among
// those that qualify (ties: lower ID first) and returns the rest, in ID
// order.
func protect(cands []*peer, n int, qualifies func(*peer) bool, better func(a, b *peer) int) []*peer {
	var q []*peer
	for _, p := range cands {
		if qualifies(p) {
			q = append(q, p)
		}
	}
	slices.SortStableFunc(q, better)
	keep := q[:min(n, len(q))]
	return slices.DeleteFunc(slices.Clone(cands), func(p *peer) bool { return slices.Contains(keep, p) })
}

// protectGroups keeps the oldest peer of each of the protectByNetGroup
// address groups with the highest keyed hash, and returns the rest in ID
// order: an attacker in a few groups cannot take the slots of peers spread
// over many, and cannot predict which groups win.
func (c *Core) protectGroups(cands []*peer) []*peer {
	byGroup := slices.Clone(cands)
	keys := make(map[*peer]uint64, len(cands)) // a hash per peer, not per comparison
	for _, p := range cands {
		keys[p] = c.keyedGroup(p)
	}
	slices.SortStableFunc(byGroup, func(a, b *peer) int {
		if x := cmp.Compare(keys[b], keys[a]); x != 0 {
			return x
		}
		return olderFirst(a, b)
	})
	var keep []*peer
	seen := make(map[string]bool)
	for _, p := range byGroup {
		if g := netGroup(p.addr); !seen[g] && len(seen) < protectByNetGroup {
			seen[g] = true
			keep = append(keep, p)
		}
	}
	return slices.DeleteFunc(slices.Clone(cands), func(p *peer) bool { return slices.Contains(keep, p) })
}

// olderFirst orders peers by connection time, then ID.
func olderFirst(a, b *peer) int {
	switch {
	case a == b:
		return 0
	case a.connectedAfter(b):
		return 1
	}
	return -1
}

// youngest is the peer of g connected last (the highest ID on a tie).
func youngest(g []*peer) *peer {
	var y *peer
	for _, p := range g {
		if y == nil || !y.connectedAfter(p) {
			y = p
		}
	}
	return y
}

// connectedAfter orders connections by time, then by ID.
func (p *peer) connectedAfter(o *peer) bool {
	if c := p.connected.Compare(o.connected); c != 0 {
		return c > 0
	}
	return p.id > o.id
}

// keyedGroup hashes p's address group with a key secret to this node, so
// an attacker cannot choose addresses that win the group protection.
func (c *Core) keyedGroup(p *peer) uint64 {
	h := sha256.New()
	h.Write(c.groupKey[:])
	h.Write([]byte(netGroup(p.addr)))
	return binary.LittleEndian.Uint64(h.Sum(nil))
}

// netGroup is the address group of addr: one operator rarely controls
// many. IPv4 /16, IPv6 /32, every local address one group, a host name
// itself.
func netGroup(addr string) string {
	host := hostKey(addr)
	ip, err := netip.ParseAddr(host)
	switch {
	case err != nil:
		return "name:" + host
	case isLocalAddr(host):
		return "local"
	case ip.Is4():
		return netip.PrefixFrom(ip, 16).Masked().String()
	default:
		return netip.PrefixFrom(ip, 32).Masked().String()
	}
}
