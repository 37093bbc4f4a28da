package p2p

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxBookSize bounds the address book; ordinary entries are evicted from
// the source that gave the most, least recently seen first (evictOne).
const maxBookSize = 4096

// maxBookPerSource bounds the entries learned from one address group
// (spreadGroup of the peers that sent them): one operator, reconnecting
// from its own addresses, holds at most an eighth of the book.
const maxBookPerSource = maxBookSize / 8

// maxMisbehaviourBans bounds the bans for misbehaviour (not the
// operator's): a ban costs a stranger no more than a connection from an
// address it has not used yet, and each is kept for BanDuration, saved in
// the book's file and walked by every Tick. Beyond it the one that ends
// first makes way (trimBans), as Bitcoin Core's discouragement filter
// forgets its oldest entries; about 1.2 MB of file.
const maxMisbehaviourBans = 10_000

// maxAttempts is how many failed dials in a row drop an ordinary address.
const maxAttempts = 8

type addrEntry struct {
	addr        string
	lastSeen    int64 // unix seconds
	attempts    int   // failed dials since the last success
	lastAttempt time.Time
	permanent   bool // seed, addnode or connect: never dropped
	self        bool // it is this node
	// source is the spreadGroup of the peer the address was learned
	// from (saved with the book): "" if configured, or from a local or
	// private peer.
	source string
}

// BanInfo is one banned host.
type BanInfo struct {
	Host   string    `json:"host"`
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
	// Manual: set by an operator (setban), not for misbehaviour. Only
	// manual bans may cover a local address.
	Manual bool `json:"manual,omitempty"`
}

// addrBook holds known peer addresses, their dial history and the bans.
// It is part of the Core: no locks, no clock.
type addrBook struct {
	entries map[string]*addrEntry
	// sorted lists the entries' addresses in order; nil when an address
	// was added or dropped since (sortedAddrs rebuilds it).
	sorted []string
	bans   map[string]BanInfo
	dirty  bool // changed since the last save
	// perSource counts the entries of each source but "".
	perSource map[string]int
}

func newAddrBook() *addrBook {
	return &addrBook{entries: make(map[string]*addrEntry), bans: make(map[string]BanInfo), perSource: make(map[string]int)}
}

// normalizeAddr checks that s is host:port with a usable host and port and
// returns its canonical form.
func normalizeAddr(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", err
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return "", fmt.Errorf("bad port in %q", s)
	}
	if host == "" {
		return "", fmt.Errorf("no host in %q", s)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.IsUnspecified() || ip.IsMulticast() {
			return "", fmt.Errorf("unusable host in %q", s)
		}
		host = ip.Unmap().String()
	}
	return net.JoinHostPort(host, port), nil
}

// hostKey is what a ban applies to: the host of addr (an IP in canonical
// form, or a name), with or without a port.
func hostKey(addr string) string {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap().String()
	}
	return host
}

// isLocalAddr reports whether addr's host is this machine (loopback or
// unspecified, or the name localhost), which every local process shares.
func isLocalAddr(addr string) bool {
	host := hostKey(addr)
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.IsLoopback() || ip.IsUnspecified()
	}
	return strings.EqualFold(host, "localhost")
}

// unroutable are the IP ranges no node on the internet can be reached at,
// as Bitcoin Core's CNetAddr::IsRoutable lists them (fe80::/10 whole,
// where Core has fe80::/64); normalizeAddr refuses multicast and
// unspecified hosts already.
var unroutable = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),          // "this network" (RFC 1122)
	netip.MustParsePrefix("10.0.0.0/8"),         // private (RFC 1918)
	netip.MustParsePrefix("100.64.0.0/10"),      // carrier-grade NAT (RFC 6598)
	netip.MustParsePrefix("127.0.0.0/8"),        // loopback
	netip.MustParsePrefix("169.254.0.0/16"),     // link-local (RFC 3927)
	netip.MustParsePrefix("172.16.0.0/12"),      // private (RFC 1918)
	netip.MustParsePrefix("192.0.2.0/24"),       // documentation (RFC 5737)
	netip.MustParsePrefix("192.168.0.0/16"),     // private (RFC 1918)
	netip.MustParsePrefix("198.18.0.0/15"),      // benchmarking (RFC 2544)
	netip.MustParsePrefix("198.51.100.0/24"),    // documentation (RFC 5737)
	netip.MustParsePrefix("203.0.113.0/24"),     // documentation (RFC 5737)
	netip.MustParsePrefix("255.255.255.255/32"), // broadcast
	netip.MustParsePrefix("::1/128"),            // loopback
	netip.MustParsePrefix("2001:10::/28"),       // ORCHID (RFC 4843)
	netip.MustParsePrefix("2001:20::/28"),       // ORCHIDv2 (RFC 7343)
	netip.MustParsePrefix("2001:db8::/32"),      // documentation (RFC 3849)
	netip.MustParsePrefix("fc00::/7"),           // unique local (RFC 4193)
	netip.MustParsePrefix("fe80::/10"),          // link-local (RFC 4291)
}

// routable reports whether addr (normalized, so neither unspecified nor
// multicast) is an IP address a node on the internet could be reached at:
// not a host name, no IPv6 zone, in none of the unroutable ranges.
func routable(addr string) bool {
	ip, err := netip.ParseAddr(hostKey(addr))
	if err != nil || ip.Zone() != "" {
		return false
	}
	for _, r := range unroutable {
		if r.Contains(ip) {
			return false
		}
	}
	return true
}

// add records addr, learned from source (see addrEntry.source), returning
// whether it was new. A source with maxBookPerSource entries makes room
// among its own; a full book, in the source with the most entries.
func (b *addrBook) add(addr string, lastSeen int64, permanent bool, source string) bool {
	if e := b.entries[addr]; e != nil {
		e.permanent = e.permanent || permanent
		if lastSeen > e.lastSeen {
			e.lastSeen = lastSeen
			b.dirty = true
		}
		return false
	}
	if source != "" && b.perSource[source] >= maxBookPerSource && !b.evictOne(source) {
		return false
	}
	if len(b.entries) >= maxBookSize && !b.evictOne("") {
		return false
	}
	b.entries[addr] = &addrEntry{addr: addr, lastSeen: lastSeen, permanent: permanent, source: source}
	if source != "" {
		b.perSource[source]++
	}
	b.sorted = nil
	b.dirty = true
	return true
}

// evictOne drops the least recently seen ordinary entry of source, or if
// source is "", of the source with the most entries (those of source "",
// configured, local or restored from a book saved without sources,
// counting as one): a source that floods the book then
// displaces its own entries, not everyone's.
func (b *addrBook) evictOne(source string) bool {
	count := make(map[string]int)
	if source == "" {
		for _, e := range b.entries {
			if !e.permanent {
				count[e.source]++
			}
		}
	}
	var victim *addrEntry
	for _, e := range b.entries {
		if !e.permanent && (source == "" || e.source == source) && (victim == nil || evictsBefore(e, victim, count)) {
			victim = e
		}
	}
	if victim == nil {
		return false
	}
	b.drop(victim.addr)
	return true
}

// evictsBefore orders eviction: the source with the most entries (count),
// then the lower source, then the least recently seen, then the lower
// address.
func evictsBefore(e, v *addrEntry, count map[string]int) bool {
	switch {
	case count[e.source] != count[v.source]:
		return count[e.source] > count[v.source]
	case e.source != v.source:
		return e.source < v.source
	case e.lastSeen != v.lastSeen:
		return e.lastSeen < v.lastSeen
	}
	return e.addr < v.addr
}

// spreadGroup is the address group over which the node spreads its trust
// in one operator: it makes one outbound connection per group (see
// dialGroup), and takes at most maxBookPerSource addresses from the peers
// of one group. Local and private addresses are exempt (""): nobody on the
// internet can make the node dial them to reach an attacker, and test
// networks and the simulator put every node there.
func spreadGroup(addr string) string {
	if ip, err := netip.ParseAddr(hostKey(addr)); err == nil && (ip.IsPrivate() || ip.IsLinkLocalUnicast()) {
		return ""
	}
	switch g := netGroup(addr); {
	case g == "local":
		return ""
	case strings.HasPrefix(g, "name:"):
		// Every host name is one group: a name costs nothing and may
		// lead to any host, so one operator could have a group per name.
		return "name"
	default:
		return g
	}
}

func (b *addrBook) attempt(addr string, now time.Time) {
	if e := b.entries[addr]; e != nil {
		e.lastAttempt = now
	}
}

func (b *addrBook) failed(addr string) {
	e := b.entries[addr]
	if e == nil {
		return
	}
	e.attempts++
	if e.attempts >= maxAttempts && !e.permanent {
		b.drop(addr)
	}
	b.dirty = true
}

func (b *addrBook) good(addr string, now time.Time) {
	if e := b.entries[addr]; e != nil {
		e.attempts = 0
		e.lastSeen = now.Unix()
		b.dirty = true
	}
}

func (b *addrBook) markSelf(addr string) {
	if e := b.entries[addr]; e != nil {
		e.self = true
	}
}

// remove drops an address that proved useless (another network).
func (b *addrBook) remove(addr string) {
	if e := b.entries[addr]; e != nil && !e.permanent {
		b.drop(addr)
		b.dirty = true
	}
}

// retryAt is when addr may be dialed again: exponential backoff.
func (e *addrEntry) retryAt(base, max time.Duration) time.Time {
	if e.lastAttempt.IsZero() {
		return e.lastAttempt
	}
	d := base << min(e.attempts, 30)
	if d > max || d <= 0 {
		d = max
	}
	return e.lastAttempt.Add(d)
}

func (b *addrBook) drop(addr string) {
	if e := b.entries[addr]; e != nil && e.source != "" {
		if b.perSource[e.source]--; b.perSource[e.source] == 0 {
			delete(b.perSource, e.source)
		}
	}
	delete(b.entries, addr)
	b.sorted = nil
}

// sortedAddrs lists the addresses in a fixed order, so that random picks
// from the seeded source are reproducible. The list is kept until an
// address comes or goes; callers must not change it.
func (b *addrBook) sortedAddrs() []string {
	if b.sorted == nil {
		b.sorted = slices.Sorted(maps.Keys(b.entries))
	}
	return b.sorted
}

// sample returns up to n addresses worth sharing (not self, seen working
// or never tried, not banned at now, shareable), in random order, without
// exclude; and if pct is not 0, at most pct percent (rounded down) of
// those there are.
func (b *addrBook) sample(n, pct int, exclude string, now time.Time, shareable func(string) bool, rng *rand.Rand) []NetAddress {
	var out []NetAddress
	for _, a := range b.sortedAddrs() {
		e := b.entries[a]
		if !e.self && e.attempts == 0 && a != exclude && !b.banned(a, now) && shareable(a) {
			out = append(out, NetAddress{Addr: a, LastSeen: e.lastSeen})
		}
	}
	if pct != 0 {
		n = min(n, len(out)*pct/100)
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out[:min(n, len(out))]
}

func (b *addrBook) banned(addr string, now time.Time) bool {
	ban, ok := b.bans[hostKey(addr)]
	return ok && now.Before(ban.Until)
}

func (b *addrBook) ban(host string, until time.Time, reason string, manual bool) {
	b.bans[hostKey(host)] = BanInfo{Host: hostKey(host), Until: until, Reason: reason, Manual: manual}
	b.dirty = true
	b.trimBans()
}

// trimBans lifts the bans for misbehaviour beyond maxMisbehaviourBans,
// those that end first (ties by host), one walk of the bans each; the
// operator's are neither counted nor lifted.
func (b *addrBook) trimBans() {
	for len(b.bans) > maxMisbehaviourBans {
		n, first, firstKey := 0, BanInfo{}, ""
		for key, ban := range b.bans { // a minimum: order cannot matter
			if ban.Manual {
				continue
			}
			n++
			if n == 1 || ban.Until.Before(first.Until) || ban.Until.Equal(first.Until) && key < firstKey {
				first, firstKey = ban, key
			}
		}
		if n <= maxMisbehaviourBans {
			return
		}
		delete(b.bans, firstKey)
	}
}

func (b *addrBook) unban(host string) bool {
	if _, ok := b.bans[hostKey(host)]; !ok {
		return false
	}
	delete(b.bans, hostKey(host))
	b.dirty = true
	return true
}

func (b *addrBook) expireBans(now time.Time) {
	for h, ban := range b.bans {
		if !now.Before(ban.Until) {
			delete(b.bans, h)
			b.dirty = true
		}
	}
}

// banList lists every ban, expired ones included, by host.
func (b *addrBook) banList() []BanInfo {
	list := make([]BanInfo, 0, len(b.bans))
	for _, ban := range b.bans {
		list = append(list, ban)
	}
	slices.SortFunc(list, func(x, y BanInfo) int {
		if x.Host < y.Host {
			return -1
		}
		if x.Host > y.Host {
			return 1
		}
		return 0
	})
	return list
}

// savedState is the JSON form of the address book file.
type savedState struct {
	Version int         `json:"version"`
	Addrs   []savedAddr `json:"addrs"`
	Bans    []BanInfo   `json:"bans"`
}

type savedAddr struct {
	Addr     string `json:"addr"`
	LastSeen int64  `json:"last_seen"`
	Attempts int    `json:"attempts,omitempty"`
	// Source is the entry's source (addrEntry.source), kept so that a
	// restart does not reset what each group may still add.
	Source string `json:"source,omitempty"`
}

const stateVersion = 1

// AddressBookState is a saved address book (the form Core.State produces
// and Core.RestoreState reads) that holds addrs, last seen at now, and no
// bans: how a driver starts a Core that knows a few addresses without
// keeping them connected (as Config.AddNode would). An address that does
// not parse is an error.
func AddressBookState(addrs []string, now time.Time) ([]byte, error) {
	b := newAddrBook()
	for _, addr := range addrs {
		a, err := normalizeAddr(addr)
		if err != nil {
			return nil, err
		}
		b.add(a, now.Unix(), false, "")
	}
	return b.marshal()
}

func (b *addrBook) marshal() ([]byte, error) {
	st := savedState{Version: stateVersion, Bans: b.banList()}
	for _, a := range b.sortedAddrs() {
		e := b.entries[a]
		if !e.self {
			st.Addrs = append(st.Addrs, savedAddr{Addr: a, LastSeen: e.lastSeen, Attempts: e.attempts, Source: e.source})
		}
	}
	return json.MarshalIndent(st, "", " ")
}

// jsonProblem says what is wrong with a saved state json.Unmarshal
// refused, in the file's terms (its Go error names Go types).
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var wrong *json.UnmarshalTypeError
	var badTime *time.ParseError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("not valid JSON at byte %d (%v)", syntax.Offset, err)
	case errors.As(err, &wrong) && wrong.Field == "":
		return fmt.Sprintf("the file holds %s, not an object", jsonKind(wrong.Value))
	case errors.As(err, &wrong):
		return fmt.Sprintf("field %q holds %s, which it cannot (byte %d)", wrong.Field, jsonKind(wrong.Value), wrong.Offset)
	case errors.As(err, &badTime):
		return fmt.Sprintf(`a ban's "until" holds %q, not a time such as "2026-12-01T07:00:00Z"`, badTime.Value)
	}
	// Any other error is time.Time's (a ban's until, the one field not
	// decoded by encoding/json itself), whose text names Time.UnmarshalJSON.
	return `a ban's "until" is not a time in quotes, such as "2026-12-01T07:00:00Z"`
}

// jsonKind is a JSON value's kind (an UnmarshalTypeError's Value: object,
// array, string, number, bool) with its article.
func jsonKind(kind string) string {
	if kind == "object" || kind == "array" {
		return "an " + kind
	}
	return "a " + kind
}

// restore loads a saved book. Entries that do not parse, or that keep
// rejects (saved by an older version that kept any address), are skipped:
// the file is a cache, not a source of truth.
func (b *addrBook) restore(data []byte, now time.Time, keep func(string) bool) error {
	var st savedState
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("not an address book: %s", jsonProblem(err))
	}
	if st.Version != stateVersion {
		return fmt.Errorf("address book version %d, want %d", st.Version, stateVersion)
	}
	for _, sa := range st.Addrs {
		if a, err := normalizeAddr(sa.Addr); err == nil && keep(a) && len(b.entries) < maxBookSize {
			b.add(a, sa.LastSeen, false, sa.Source)
			b.entries[a].attempts = sa.Attempts
		}
	}
	for _, ban := range st.Bans {
		// A misbehaviour ban of a local address (saved by an older
		// version) is dropped: local addresses are never banned for it.
		if now.Before(ban.Until) && ban.Host != "" && (ban.Manual || !isLocalAddr(ban.Host)) {
			b.bans[hostKey(ban.Host)] = ban
		}
	}
	b.trimBans() // a file saved by an older version may hold more
	b.dirty = false
	return nil
}
