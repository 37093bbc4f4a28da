package node

import (
	"context"
	"testing"
	"time"

	"powchain/rpc"
)

// TestUptimeAndNetTotals: uptime counts from the node's start (New), on
// the node's clock, and getnettotals counts the bytes of the node's p2p
// connections, those closed included, as Bitcoin Core's do.
func TestUptimeAndNetTotals(t *testing.T) {
	before := time.Now()
	a, _ := startNode(t, testConfig(t.TempDir()))
	b, _ := startNode(t, testConfig(t.TempDir()))
	ca := clientOf(t, a)
	ctx := context.Background()

	uptime := func() int64 {
		t.Helper()
		var up int64
		if err := ca.Call(ctx, "uptime", nil, &up); err != nil {
			t.Fatal(err)
		}
		if most := int64(time.Since(before) / time.Second); up < 0 || up > most {
			t.Fatalf("uptime %d, but the node started less than %d s ago", up, most+1)
		}
		return up
	}
	uptime()
	totals := func() rpc.NetTotals {
		t.Helper()
		var tot rpc.NetTotals
		start := time.Now()
		if err := ca.Call(ctx, "getnettotals", nil, &tot); err != nil {
			t.Fatal(err)
		}
		if tot.TimeMillis < start.UnixMilli() || tot.TimeMillis > time.Now().UnixMilli() {
			t.Fatalf("getnettotals timemillis %d, outside the call's %d to %d", tot.TimeMillis, start.UnixMilli(), time.Now().UnixMilli())
		}
		return tot
	}
	if tot := totals(); tot.TotalBytesRecv != 0 || tot.TotalBytesSent != 0 {
		t.Fatalf("getnettotals before any peer: %+v", tot)
	}

	if err := ca.Call(ctx, "addnode", []any{b.P2PAddr(), "add"}, nil); err != nil {
		t.Fatal(err)
	}
	var peers []rpc.PeerInfo
	var open rpc.NetTotals
	waitFor(t, func() bool {
		open = totals()
		if err := ca.Call(ctx, "getpeerinfo", nil, &peers); err != nil {
			t.Fatal(err)
		}
		return len(peers) == 1 && peers[0].BytesRecv > 0 && peers[0].BytesSent > 0 &&
			open.TotalBytesRecv >= peers[0].BytesRecv && open.TotalBytesSent >= peers[0].BytesSent
	})
	// Gone with its connection, the peer's bytes stay in the totals.
	if err := ca.Call(ctx, "addnode", []any{b.P2PAddr(), "remove"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := ca.Call(ctx, "disconnectnode", []any{peers[0].ID}, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		if err := ca.Call(ctx, "getpeerinfo", nil, &peers); err != nil {
			t.Fatal(err)
		}
		return len(peers) == 0
	})
	if closed := totals(); closed.TotalBytesRecv < open.TotalBytesRecv || closed.TotalBytesSent < open.TotalBytesSent {
		t.Fatalf("getnettotals with the peer gone %+v, with it connected %+v", closed, open)
	}

	// uptime follows the node's clock: it reaches a second after the
	// node started, never more than the time since.
	waitFor(t, func() bool { return uptime() >= 1 })
}
