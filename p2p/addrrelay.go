package p2p

import (
	"crypto/sha256"
	"encoding/binary"
	"net/netip"
	"time"
)

// Address relay is bounded the way Bitcoin Core bounds it
// (net_processing's RelayAddress and its addr rate limiting), so that what
// one address costs the network grows with the number of nodes, not with
// the number of nodes times their peers:
//
//   - A new address is forwarded to at most addrRelayFanout peers, chosen
//     by a keyed hash of the address, the period and the peer: the same
//     address goes to the same peers for a whole period however often it
//     arrives, and an outsider cannot tell or steer which peers those are.
//   - Every peer has a token bucket for the addresses it sends: it fills at
//     addrTokenRate per second up to addrTokenMax and starts with one
//     token; each address processed takes one, and addresses beyond the
//     tokens are dropped unprocessed (and counted). Asking a peer for
//     addresses (getaddr) adds enough tokens for its whole answer.
const (
	addrRelayFanout = 2
	// addrRelayPeriod is how long the choice of peers for an address
	// holds; each address's periods start at their own offset, so the
	// choices do not all change at once.
	addrRelayPeriod = 24 * time.Hour
	addrTokenRate   = 0.1 // tokens per second
	addrTokenMax    = MaxAddrPerMsg
	// maxRelayedAddrMsg: addr messages up to this size are announcements
	// worth passing on; larger ones answer a getaddr and stay with us.
	maxRelayedAddrMsg = 10
)

// requestAddrs asks p for the addresses it knows, and lets its answer
// through p's token bucket.
func (c *Core) requestAddrs(p *peer) {
	p.addrTokens += MaxAddrPerMsg
	c.send(p, &MsgGetAddr{})
}

// A getaddr is answered once per connection, and only on inbound ones,
// as Bitcoin Core: the node sends getaddr only to peers it dials, and a
// peer it dials over several of its addresses could link them by the
// answers. Answers leave out banned addresses. Off local networks the
// answer comes from a cache, as Bitcoin Core's (CConnman::GetAddresses),
// so that connecting again and again, from one host or many, cannot scrape
// the whole address book, nor tell by comparing answers that two of the
// node's addresses are one node:
//
//   - one cache per network the peer reached the node over (IPv4 or
//     IPv6) and the node's own IP on the connection (getAddrCacheKey);
//   - built at the first getaddr that finds none, or finds it expired or
//     empty: getAddrPct percent (rounded down) of the addresses the node
//     would share, at most MaxAddrPerMsg, picked at random;
//   - kept getAddrCacheLife plus a random part of getAddrCacheSpread (21
//     to 27 hours), drawn per cache, so nobody can time its renewal;
//   - not saved: a restarted node builds new ones from the book it
//     restored. Expired caches are dropped when another is built.
//
// Every peer of a key gets the same addresses (with the last-seen times
// of when the cache was built), less its own listen address. A getaddr
// that finds nothing to share (an empty book or cache, or one holding only
// the peer's own address) is answered with no addr at all, as Bitcoin
// Core sends none empty (MaybeSendAddr); it still counts as the one
// answered. On local
// networks (chain.Params.LocalAddrs) every getaddr gets a fresh sample of
// up to MaxAddrPerMsg: their nodes start together and find each other
// through these answers, which a day-long cache built when the first of
// them connected would leave nearly empty, and nobody there scrapes.
const (
	getAddrPct         = 23
	getAddrCacheLife   = 21 * time.Hour
	getAddrCacheSpread = 6 * time.Hour
)

// getAddrCache is one cached getaddr answer.
type getAddrCache struct {
	addrs   []NetAddress
	expires time.Time
}

func (c *Core) handleGetAddr(p *peer, now time.Time) {
	if p.answeredGA || !p.inbound {
		return
	}
	p.answeredGA = true
	var addrs []NetAddress
	if c.params.LocalAddrs {
		addrs = c.book.sample(MaxAddrPerMsg, 0, p.listenAddr, now, c.shareable, c.rng)
	} else {
		for _, a := range c.cachedAddrs(p, now) {
			if a.Addr != p.listenAddr {
				addrs = append(addrs, a)
			}
		}
	}
	if len(addrs) == 0 {
		return // nothing to share: no addr at all, as Bitcoin Core
	}
	for _, a := range addrs {
		p.knownAddrs.add(c.addrKey(a.Addr), maxKnownAddrs)
	}
	c.send(p, &MsgAddr{Addrs: addrs})
}

// cachedAddrs is the cached getaddr answer for p's key, built anew if
// there is none or it expired or is empty. The caller must not change it.
func (c *Core) cachedAddrs(p *peer, now time.Time) []NetAddress {
	key := getAddrCacheKey(p)
	if cache := c.getAddrCaches[key]; cache != nil && now.Before(cache.expires) && len(cache.addrs) > 0 {
		return cache.addrs
	}
	for k, cache := range c.getAddrCaches { // deleting only: order cannot matter
		if !now.Before(cache.expires) {
			delete(c.getAddrCaches, k)
		}
	}
	cache := &getAddrCache{
		addrs:   c.book.sample(MaxAddrPerMsg, getAddrPct, "", now, c.shareable, c.rng),
		expires: now.Add(getAddrCacheLife + time.Duration(c.rng.Int64N(int64(getAddrCacheSpread)))),
	}
	c.getAddrCaches[key] = cache
	return cache.addrs
}

// getAddrCacheKey names p's getaddr cache: the network of p's address
// ("ipv4" or "ipv6": p is inbound, so its address is an IP) and the
// node's IP on the connection ("" if the driver did not say).
func getAddrCacheKey(p *peer) string {
	network := "ipv4"
	if ip, err := netip.ParseAddr(hostKey(p.addr)); err == nil && ip.Is6() {
		network = "ipv6"
	}
	return network + " " + hostKey(p.local)
}

// handleAddr takes the addresses p's token bucket allows, in random order
// when it cannot take all (so the sender cannot choose which get through),
// adds the shareable ones to the book and passes on the new ones of a
// small message.
func (c *Core) handleAddr(p *peer, now time.Time, addrs []NetAddress) {
	p.refillAddrTokens(now)
	if p.addrTokens < float64(len(addrs)) {
		addrs = append([]NetAddress(nil), addrs...)
		c.rng.Shuffle(len(addrs), func(i, j int) { addrs[i], addrs[j] = addrs[j], addrs[i] })
	}
	var fresh []NetAddress
	learned := false
	for _, na := range addrs {
		if p.addrTokens < 1 {
			p.addrRateLimited++
			continue
		}
		p.addrTokens--
		p.addrProcessed++
		a, err := normalizeAddr(na.Addr)
		if err != nil || a == c.self || !c.shareable(a) {
			continue
		}
		p.knownAddrs.add(c.addrKey(a), maxKnownAddrs)
		seen := min(na.LastSeen, now.Unix())
		if c.book.add(a, seen, false, spreadGroup(p.addr)) {
			learned = true
			if len(addrs) <= maxRelayedAddrMsg {
				fresh = append(fresh, NetAddress{Addr: a, LastSeen: seen})
			}
		}
	}
	c.relayAddrs(p, now, fresh)
	if learned {
		c.maintainOutbound(now)
	}
}

// shareable reports whether the node may keep an address a peer gave and
// pass it on (or share it in a getaddr answer): on a network whose nodes
// share a machine or a private network (chain.Params.LocalAddrs) any
// address, elsewhere only a routable IP address. Loopback or private
// addresses would point the node's dials at its own machine or LAN, and a
// host name at whatever it resolves to, at the sender's choice; none is a
// node others could reach.
func (c *Core) shareable(addr string) bool {
	return c.params.LocalAddrs || routable(addr)
}

// refillAddrTokens adds the tokens p earned since the last refill, up to
// the cap (tokens a getaddr added may exceed it; they are not topped up).
func (p *peer) refillAddrTokens(now time.Time) {
	if elapsed := now.Sub(p.addrTokensAt); elapsed > 0 && p.addrTokens < addrTokenMax {
		p.addrTokens = min(addrTokenMax, p.addrTokens+elapsed.Seconds()*addrTokenRate)
	}
	p.addrTokensAt = now
}

// relayAddrs passes newly learned addresses on, each to the peers
// addrRelayTargets picks (never back to from, nor to a peer known to have
// it or to the address's own node), so that nodes that meet at a seed
// also find each other. Each peer gets one addr message for all of them.
func (c *Core) relayAddrs(from *peer, now time.Time, addrs []NetAddress) {
	if len(addrs) == 0 {
		return
	}
	batches := make(map[PeerID][]NetAddress)
	for _, a := range addrs {
		for _, p := range c.addrRelayTargets(from, a.Addr, now) {
			if p == nil || a.Addr == p.listenAddr || p.knownAddrs.has(c.addrKey(a.Addr)) {
				continue
			}
			p.knownAddrs.add(c.addrKey(a.Addr), maxKnownAddrs)
			batches[p.id] = append(batches[p.id], a)
		}
	}
	for _, id := range c.peerIDs() {
		if batch := batches[id]; len(batch) > 0 {
			c.send(c.peers[id], &MsgAddr{Addrs: batch})
		}
	}
}

// addrRelayTargets picks the (at most addrRelayFanout) handshaken peers
// other than from that addr is forwarded to: those whose keyed hash with
// addr and the current period is highest. The same peers are picked for
// addr all period long while they stay connected.
func (c *Core) addrRelayTargets(from *peer, addr string, now time.Time) [addrRelayFanout]*peer {
	base := c.addrRelayHash(addr, now)
	var picked [addrRelayFanout]*peer
	var scores [addrRelayFanout]uint64
	for _, p := range c.peers {
		if p == from || !p.handshaken() {
			continue
		}
		score := splitmix64(base ^ splitmix64(uint64(p.id)))
		for i := range picked {
			if picked[i] == nil || score > scores[i] || score == scores[i] && p.id < picked[i].id {
				copy(picked[i+1:], picked[i:])
				copy(scores[i+1:], scores[i:])
				picked[i], scores[i] = p, score
				break
			}
		}
	}
	return picked
}

// addrRelayHash keys addr's relay choice: SHA-256 of the Core's secret,
// addr and the number of addr's current period (whose start is offset by a
// hash of the address).
func (c *Core) addrRelayHash(addr string, now time.Time) uint64 {
	h := sha256.Sum256(append(c.relayKey[:], addr...))
	period := int64(addrRelayPeriod / time.Second)
	offset := int64(binary.LittleEndian.Uint64(h[:]) % uint64(period))
	n := (now.Unix() + offset) / period
	h = sha256.Sum256(binary.LittleEndian.AppendUint64(h[:], uint64(n)))
	return binary.LittleEndian.Uint64(h[:])
}

// addrKey is how a peer's known addresses remember addr: 8 bytes instead
// of the string, a peer knowing up to thousands of them. It is FNV-1a
// started from the Core's secret relay key, so nobody can pick addresses
// that collide; a collision would only keep one address from one peer.
func (c *Core) addrKey(addr string) uint64 {
	const prime = 1099511628211
	h := binary.LittleEndian.Uint64(c.relayKey[8:])
	for i := 0; i < len(addr); i++ {
		h = (h ^ uint64(addr[i])) * prime
	}
	return h
}

// splitmix64 is SplitMix64's finaliser: it spreads related inputs (peer
// IDs are consecutive) over the whole range.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
