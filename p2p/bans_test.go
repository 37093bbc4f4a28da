package p2p

import (
	"fmt"
	"testing"
	"time"
)

// banFromNewHosts connects n inbound peers, each from an address of its
// own (an IPv6 /64 has 2^64 of them), that break the framing at once, as
// a stranger can for the price of a connection, a millisecond apart, and
// returns the actions.
func (h *coreHarness) banFromNewHosts(first, n int) []Action {
	var acts []Action
	for i := first; i < first+n; i++ {
		id := PeerID(i)
		addr := fmt.Sprintf("[2001:db8:%x:%x::1]:5000", i>>16, i&0xffff)
		acts = append(acts, h.core.Connected(h.now, id, addr, true, "")...)
		acts = append(acts, h.core.ProtocolViolation(h.now, id, &ProtocolError{Reason: "unknown message type 99", Ban: true})...)
		h.now = h.now.Add(time.Millisecond)
	}
	return acts
}

func countKind(acts []Action, k ActionKind) int {
	n := 0
	for _, a := range acts {
		if a.Kind == k {
			n++
		}
	}
	return n
}

// TestMisbehaviourBansSavedWithTheBook: a ban for misbehaviour is saved
// with the address book at its next periodic save (and at shutdown), not
// by a save of its own: each save writes the whole file (every address and
// ban) and syncs it on the event loop, so a stranger that earned a ban from
// one fresh address after another had the loop write the file once per
// connection, a file growing with each (2.3 MB and 57 ms a save at 20,000
// bans here), while every peer waited. The operator's setban still saves
// at once.
func TestMisbehaviourBansSavedWithTheBook(t *testing.T) {
	h := newCoreHarness(t, func(c *Config) { c.SaveInterval = time.Minute })
	const n = 50
	acts := h.banFromNewHosts(1, n)
	if got := countKind(acts, ActDisconnect); got != n {
		t.Fatalf("%d peers dropped, want %d", got, n)
	}
	if got := len(h.core.Bans(h.now)); got != n {
		t.Fatalf("%d bans, want %d", got, n)
	}
	if got := countKind(acts, ActSave); got != 0 {
		t.Fatalf("%d saves for %d misbehaviour bans, want none before the periodic save", got, n)
	}
	if got := countKind(h.core.Tick(h.now.Add(2*time.Minute)), ActSave); got != 1 {
		t.Fatalf("%d saves at the periodic save, want 1", got)
	}
	if got := countKind(h.core.SetBan(h.now, "198.51.100.7", time.Hour, "operator"), ActSave); got != 1 {
		t.Fatalf("setban: %d saves, want 1 at once", got)
	}
}

// TestMisbehaviourBansBounded: the bans for misbehaviour are at most
// maxMisbehaviourBans; beyond, the one that ends first makes way. A ban
// costs a stranger only a connection from an address it has not used, so
// they grew with every such connection for BanDuration (24 h): memory,
// the file every save writes, and the walk of every Tick. The operator's
// bans are not counted and never make way.
func TestMisbehaviourBansBounded(t *testing.T) {
	h := newCoreHarness(t, nil)
	h.core.SetBan(h.now, "198.51.100.7", 0, "operator")
	h.banFromNewHosts(1, maxMisbehaviourBans)
	const extra = 20
	h.banFromNewHosts(maxMisbehaviourBans+1, extra)
	bans := h.core.Bans(h.now)
	if len(bans) != maxMisbehaviourBans+1 {
		t.Fatalf("%d bans, want %d for misbehaviour and the operator's", len(bans), maxMisbehaviourBans+1)
	}
	if !h.core.book.banned("198.51.100.7:1", h.now) {
		t.Error("the operator's ban made way")
	}
	for i := 1; i <= maxMisbehaviourBans+extra; i++ {
		addr := fmt.Sprintf("[2001:db8:%x:%x::1]:5000", i>>16, i&0xffff)
		want := i > extra // the first to end made way

		if got := h.core.book.banned(addr, h.now); got != want {
			t.Fatalf("host %d banned %v, want %v", i, got, want)
		}
	}
}
