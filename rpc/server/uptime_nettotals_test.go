package server_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"powchain/rpc"
	"powchain/rpc/server"
)

// uptime and getnettotals, as Bitcoin Core answers them.

func TestUptime(t *testing.T) {
	e := newEnv(t)
	started := e.clock.Now()
	var up int64
	if e.must("uptime", &up); up != 0 {
		t.Fatalf("uptime at the start: %d", up)
	}
	e.clock.Advance(90*time.Second + 999*time.Millisecond)
	if e.must("uptime", &up); up != 90 {
		t.Fatalf("uptime 90.999 s after the start: %d, want 90 (whole seconds)", up)
	}
	e.clock.Set(started.Add(-time.Hour)) // a clock set back
	if e.must("uptime", &up); up != 0 {
		t.Fatalf("uptime with the clock before the start: %d, want 0", up)
	}
}

func TestGetNetTotals(t *testing.T) {
	e := newEnv(t)
	e.net.recv, e.net.sent = 183204, 176931
	e.clock.Advance(1234 * time.Millisecond)
	var totals rpc.NetTotals
	e.must("getnettotals", &totals)
	want := rpc.NetTotals{TotalBytesRecv: 183204, TotalBytesSent: 176931, TimeMillis: e.clock.Now().UnixMilli()}
	if totals != want {
		t.Fatalf("getnettotals %+v, want %+v", totals, want)
	}
	e.net.down = errors.New("p2p server stopped")
	if re := e.expectCode("getnettotals", rpc.CodeClientP2PDisabled); !strings.Contains(re.Message, "stopped") {
		t.Errorf("getnettotals with the network down: %q", re.Message)
	}
}

// TestUptimeNetTotalsParameterErrors: both take no parameters.
func TestUptimeNetTotalsParameterErrors(t *testing.T) {
	checkParamErrors(t, newEnv(t), []paramCase{
		{"uptime", `[1]`, rpc.CodeInvalidParams, "uptime takes no parameters, got 1"},
		{"getnettotals", `[1]`, rpc.CodeInvalidParams, "getnettotals takes no parameters, got 1"},
	})
}

// TestBackendNeedsStarted: without the node's start time uptime could
// only make one up; RegisterNodeMethods refuses such a backend.
func TestBackendNeedsStarted(t *testing.T) {
	e := newEnv(t)
	srv, err := server.NewServer("user", "pass", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	err = srv.RegisterNodeMethods(&server.Backend{Chain: e.chain, Mempool: e.pool, Clock: e.clock, Net: e.net})
	if err == nil || !strings.Contains(err.Error(), "Started") {
		t.Fatalf("a backend without Started: %v", err)
	}
}
