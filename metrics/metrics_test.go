package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"powchain/metrics"
)

// TestMinerMetrics: the miner's handler exports its counters and rate
// under their documented names.
func TestMinerMetrics(t *testing.T) {
	h := metrics.Miner(metrics.MinerSource{
		Hashes:   func() uint64 { return 123456 },
		Found:    func() uint64 { return 7 },
		Accepted: func() uint64 { return 6 },
		HashRate: func() float64 { return 2.5e6 },
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		"powchain_miner_hashes_total 123456\n",
		"powchain_miner_blocks_found_total 7\n",
		"powchain_miner_blocks_accepted_total 6\n",
		"powchain_miner_hash_rate 2.5e+06\n",
		"go_goroutines ",
	} {
		if !strings.Contains(body, want) {
			t.Fatalf("no %q in\n%s", want, body)
		}
	}
}

// TestRPCMethodLabelsBounded: an unknown method is counted as "unknown",
// so clients cannot create label values at will.
func TestRPCMethodLabelsBounded(t *testing.T) {
	zero := func() uint64 { return 0 }
	m := metrics.NewNode(metrics.NodeSource{
		Height: zero, HeaderHeight: zero,
		Mempool: func() metrics.Mempool { return metrics.Mempool{} },
		Peers:   func() (int, int) { return 0, 0 },
		Banned:  func() int { return 0 },
	}, func(method string) bool { return method == "getblockcount" })
	m.RPCCall("getblockcount", 0, false)
	m.RPCCall("x1", 0, true)
	m.RPCCall("x2", 0, true)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`powchain_rpc_requests_total{method="getblockcount",result="ok"} 1`,
		`powchain_rpc_requests_total{method="unknown",result="error"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Fatalf("no %q in\n%s", want, body)
		}
	}
	if strings.Contains(body, "x1") {
		t.Fatal("an unknown method name became a label")
	}
}
