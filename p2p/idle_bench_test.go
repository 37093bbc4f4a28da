package p2p

import (
	"fmt"
	"testing"
	"time"
)

// idleCore is a Core in the state most of a network's nodes are in most of
// the time: in sync, its 8 outbound slots full, 8 inbound peers, 1,000
// addresses in its book, nothing to download.
func idleCore(b *testing.B) *coreHarness {
	h := newCoreHarness(b, func(c *Config) { c.NoDiscovery = false; c.TargetOutbound = 8 })
	var known []string
	for i := range 1000 {
		known = append(known, fmt.Sprintf("10.%d.%d.1:9444", 40+i>>8, i&0xff))
	}
	book, err := AddressBookState(known, h.now)
	if err != nil {
		b.Fatal(err)
	}
	if err := h.core.RestoreState(book, h.now); err != nil {
		b.Fatal(err)
	}
	id := PeerID(0)
	for _, a := range h.core.Start(h.now) {
		if a.Kind != ActDial {
			continue
		}
		id++
		h.core.Connected(h.now, id, a.Addr, false, "")
		h.core.Receive(h.now, id, h.version(uint64(id)+100, 0))
		h.core.Receive(h.now, id, &MsgVerAck{})
		h.core.Receive(h.now, id, &MsgHeaders{})
	}
	if id != 8 {
		b.Fatalf("%d outbound peers, want 8", id)
	}
	for range 8 {
		id++
		h.connect(id, 0)
		h.core.Receive(h.now, id, &MsgHeaders{})
	}
	if n := len(h.core.Peers()); n != 16 {
		b.Fatalf("%d peers, want 16", n)
	}
	return h
}

// BenchmarkIdleTick is one Tick of an idle node (idleCore): what each of a
// simulation's nodes pays twice a simulated second. Every peer answers its
// pings, so none times out.
//
//	go test ./p2p -run '^$' -bench IdleTick -benchmem -count 3
func BenchmarkIdleTick(b *testing.B) {
	h := idleCore(b)
	step := 500 * time.Millisecond
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		h.now = h.now.Add(step)
		for _, a := range h.core.Tick(h.now) {
			switch m := a.Msg.(type) {
			case *MsgPing:
				h.core.Receive(h.now, a.Peer, &MsgPong{Nonce: m.Nonce})
			case nil:
				if a.Kind != ActSave {
					b.Fatalf("idle tick: %+v", a)
				}
			default:
				b.Fatalf("idle tick sent %s to peer %d", m.Type(), a.Peer)
			}
		}
	}
	if n := len(h.core.Peers()); n != 16 {
		b.Fatalf("%d peers after the ticks, want 16", n)
	}
}
