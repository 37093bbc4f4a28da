package metrics_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
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
		Heights: func() (uint64, uint64) { return zero(), zero() },
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

// TestScrapeReadsEachSourceOnce: one scrape calls Mempool and Heights once
// each (the mempool's lock is taken once), and the four mempool gauges and
// the two heights come from that one reading: every reading differs
// from the others, so values taken from two readings would show it. The
// names and help texts are the documented ones.
func TestScrapeReadsEachSourceOnce(t *testing.T) {
	var mempoolCalls, heightCalls atomic.Int64
	m := metrics.NewNode(metrics.NodeSource{
		Heights: func() (uint64, uint64) {
			k := uint64(heightCalls.Add(1))
			return 1000*k + 1, 1000*k + 2
		},
		Mempool: func() metrics.Mempool {
			k := int(mempoolCalls.Add(1))
			return metrics.Mempool{Transactions: 1000*k + 3, Bytes: 1000*k + 4, MinFeeRate: uint64(1000*k + 5), Unbroadcast: 1000*k + 6}
		},
		Peers:  func() (int, int) { return 7, 8 },
		Banned: func() int { return 9 },
	}, func(string) bool { return false })
	for scrape := 1; scrape <= 3; scrape++ {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		body := rec.Body.String()
		if got := mempoolCalls.Load(); got != int64(scrape) {
			t.Fatalf("after %d scrapes Mempool was called %d times", scrape, got)
		}
		if got := heightCalls.Load(); got != int64(scrape) {
			t.Fatalf("after %d scrapes Heights was called %d times", scrape, got)
		}
		k := 1000 * scrape
		for _, want := range []string{
			"# HELP powchain_chain_height Height of the best chain's tip.\n# TYPE powchain_chain_height gauge\n" +
				fmt.Sprintf("powchain_chain_height %d\n", k+1),
			"# HELP powchain_chain_header_height Height of the best known header (ahead of chain_height while syncing).\n# TYPE powchain_chain_header_height gauge\n" +
				fmt.Sprintf("powchain_chain_header_height %d\n", k+2),
			"# HELP powchain_mempool_transactions Transactions in the mempool.\n# TYPE powchain_mempool_transactions gauge\n" +
				fmt.Sprintf("powchain_mempool_transactions %d\n", k+3),
			"# HELP powchain_mempool_bytes Total size of the mempool's transactions.\n# TYPE powchain_mempool_bytes gauge\n" +
				fmt.Sprintf("powchain_mempool_bytes %d\n", k+4),
			"# HELP powchain_mempool_min_fee_rate Lowest fee rate the mempool admits now, in base units per 1000 bytes.\n# TYPE powchain_mempool_min_fee_rate gauge\n" +
				fmt.Sprintf("powchain_mempool_min_fee_rate %d\n", k+5),
			"# HELP powchain_mempool_unbroadcast Mempool transactions submitted to this node that no peer has asked for yet.\n# TYPE powchain_mempool_unbroadcast gauge\n" +
				fmt.Sprintf("powchain_mempool_unbroadcast %d\n", k+6),
			"# HELP powchain_peers Connected peers by direction.\n# TYPE powchain_peers gauge\n" +
				"powchain_peers{direction=\"inbound\"} 7\npowchain_peers{direction=\"outbound\"} 8\n",
			"# HELP powchain_banned_peers Hosts banned now.\n# TYPE powchain_banned_peers gauge\npowchain_banned_peers 9\n",
		} {
			if !strings.Contains(body, want) {
				t.Fatalf("scrape %d: no\n%s\nin\n%s", scrape, want, body)
			}
		}
	}
}
