package node

import (
	"context"
	"encoding/hex"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"powchain/chain/chaintest"
	"powchain/metrics"
	"powchain/rpc"
	"powchain/wire"
)

// scrape reads a node's /metrics.
func scrape(t *testing.T, n *Node) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + n.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return families
}

// value is the value of the metric name with the given label pairs.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
	for _, m := range f.GetMetric() {
		if !hasLabels(m, labels) {
			continue
		}
		switch {
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue()
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue()
		case m.GetHistogram() != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	t.Fatalf("no metric %s%v", name, labels)
	return 0
}

func hasLabels(m *dto.Metric, pairs []string) bool {
	for i := 0; i+1 < len(pairs); i += 2 {
		found := false
		for _, l := range m.GetLabel() {
			if l.GetName() == pairs[i] && l.GetValue() == pairs[i+1] {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// TestMetricsAgreeWithRPC: two connected nodes, blocks, a mempool
// transaction (unbroadcast while node 1 has no peer), RPC calls and a
// reorganisation; every metric the node exports agrees with what RPC
// reports, and the Grafana dashboard queries only exported metrics.
func TestMetricsAgreeWithRPC(t *testing.T) {
	ctx := context.Background()
	n1, _ := startNode(t, testConfig(t.TempDir()))
	c1 := clientOf(t, n1)
	hashes, _ := sendFromCoinbase(t, n1, c1)
	// No peer has asked node 1 for the transaction: there is none yet.
	var alone rpc.MempoolInfo
	if err := c1.Call(ctx, "getmempoolinfo", nil, &alone); err != nil {
		t.Fatal(err)
	}
	if got := value(t, scrape(t, n1), "powchain_mempool_unbroadcast"); alone.UnbroadcastCount != 1 || got != 1 {
		t.Errorf("powchain_mempool_unbroadcast = %v, RPC says %d, the test meant 1", got, alone.UnbroadcastCount)
	}
	cfg2 := testConfig(t.TempDir())
	cfg2.Connect = []string{n1.P2PAddr()}
	n2, _ := startNode(t, cfg2)
	c2 := clientOf(t, n2)
	if err := c1.Call(ctx, "nosuchmethod", nil, nil); err == nil {
		t.Fatal("unknown method accepted")
	}
	// Node 2 follows node 1; then invalidating node 1's tip disconnects
	// one block: a reorganisation of depth 1.
	waitFor(t, func() bool { h, _ := c2.GetBlockCount(ctx); return h == uint64(len(hashes)) })
	if err := c1.Call(ctx, "invalidateblock", []any{hashes[len(hashes)-1]}, nil); err != nil {
		t.Fatal(err)
	}

	info, err := c1.GetBlockchainInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var mp rpc.MempoolInfo
	if err := c1.Call(ctx, "getmempoolinfo", nil, &mp); err != nil {
		t.Fatal(err)
	}
	var net rpc.NetworkInfo
	if err := c1.Call(ctx, "getnetworkinfo", nil, &net); err != nil {
		t.Fatal(err)
	}
	fams := scrape(t, n1)
	checks := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"powchain_chain_height", nil, float64(info.Blocks)},
		{"powchain_chain_header_height", nil, float64(info.Headers)},
		{"powchain_block_connect_seconds", nil, float64(len(hashes))}, // one observation per connected block
		{"powchain_chain_reorganizations_total", nil, 1},
		{"powchain_chain_reorganization_depth_blocks", nil, 1},
		{"powchain_mempool_transactions", nil, float64(mp.Size)},
		{"powchain_mempool_bytes", nil, float64(mp.Bytes)},
		{"powchain_mempool_min_fee_rate", nil, float64(mp.MinFeeRate)},
		{"powchain_peers", []string{"direction", "inbound"}, float64(net.ConnectionsIn)},
		{"powchain_peers", []string{"direction", "outbound"}, float64(net.ConnectionsOut)},
		{"powchain_banned_peers", nil, 0},
		{"powchain_rpc_requests_total", []string{"method", "getblock", "result", "ok"}, 1},
		{"powchain_rpc_requests_total", []string{"method", "unknown", "result", "error"}, 1},
		{"powchain_rpc_request_duration_seconds", []string{"method", "generatetoaddress"}, 1},
	}
	for _, c := range checks {
		if got := value(t, fams, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, RPC says %v", c.name, c.labels, got, c.want)
		}
	}
	if mp.Size != 1 || net.ConnectionsIn != 1 {
		t.Fatalf("the test meant a mempool of 1 and 1 inbound peer, has %d and %d", mp.Size, net.ConnectionsIn)
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("no %s", name)
		}
	}
	// Node 1 received node 2's handshake and sent it blocks.
	if v := value(t, fams, "powchain_p2p_messages_total", "direction", "in", "type", "version"); v != 1 {
		t.Errorf("version messages in: %v", v)
	}
	// Blocks go whole or, once node 2 follows the tip, as compact blocks.
	blockBytes := 0.0
	for _, m := range fams["powchain_p2p_bytes_total"].GetMetric() {
		if hasLabels(m, []string{"direction", "out", "type", "block"}) ||
			hasLabels(m, []string{"direction", "out", "type", "cmpctblock"}) {
			blockBytes += m.GetCounter().GetValue()
		}
	}
	if blockBytes <= 0 {
		t.Errorf("block and compact block bytes out: %v", blockBytes)
	}
	checkDashboard(t, fams)
	checkMetricsDoc(t, fams)
}

// sendFromCoinbase mines the network's coinbase maturity plus one blocks on
// n to key 1 and sends a transaction spending the first coinbase through
// c (sendrawtransaction); it returns the blocks' hashes and the txid.
func sendFromCoinbase(t *testing.T, n *Node, c *rpc.Client) (hashes []string, txid string) {
	t.Helper()
	ctx := context.Background()
	key := chaintest.Key(1)
	kh := wire.HashPubKey(wire.XOnlyPubKey(key))
	addr, _ := wire.EncodeAddress(n.params.AddressPrefix, kh)
	hashes, err := c.GenerateToAddress(ctx, int(n.params.CoinbaseMaturity)+1, addr)
	if err != nil {
		t.Fatal(err)
	}
	blk, err := c.GetBlock(ctx, hashes[0])
	if err != nil {
		t.Fatal(err)
	}
	cbID, _ := wire.ParseHash(blk.Tx.([]string)[0])
	tx := &wire.Tx{Version: 1, Inputs: []wire.TxIn{{PrevOut: wire.OutPoint{TxID: cbID}}},
		Outputs: []wire.TxOut{{Amount: n.params.InitialSubsidy - 10_000, KeyHash: kh}}}
	if err := wire.SignInputs(tx, []*btcec.PrivateKey{key}); err != nil {
		t.Fatal(err)
	}
	if txid, err = c.SendRawTransaction(ctx, hex.EncodeToString(tx.Bytes())); err != nil {
		t.Fatal(err)
	}
	return hashes, txid
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkDashboard: every powchain metric the Grafana dashboard in docs/
// queries is one the node (exported, after activity of every kind) or the
// miner exports.
func checkDashboard(t *testing.T, exported map[string]*dto.MetricFamily) {
	t.Helper()
	all := withMinerMetrics(t, exported)
	dash, err := os.ReadFile("../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`powchain_[a-z0-9_]+`).FindAllString(string(dash), -1)
	if len(names) < 10 {
		t.Fatalf("the dashboard queries only %d metrics", len(names))
	}
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_count"), "_sum")
		if _, ok := all[base]; !ok {
			t.Errorf("the dashboard queries %s, which nothing exports", name)
		}
	}
}

// checkMetricsDoc: docs/RPC.md's Metrics paragraphs name exactly the
// powchain metrics the node (in its table) and the miner (in the prose
// after it) export.
func checkMetricsDoc(t *testing.T, exported map[string]*dto.MetricFamily) {
	t.Helper()
	all := withMinerMetrics(t, exported)
	doc, err := os.ReadFile("../docs/RPC.md")
	if err != nil {
		t.Fatal(err)
	}
	from := strings.Index(string(doc), "**Metrics.**")
	to := strings.Index(string(doc), "**Pages.**")
	if from < 0 || to < from {
		t.Fatal("docs/RPC.md has no Metrics paragraph before Pages")
	}
	documented := map[string]bool{}
	for _, name := range regexp.MustCompile("`(powchain_[a-z0-9_]+)`").FindAllStringSubmatch(string(doc[from:to]), -1) {
		documented[name[1]] = true
		if _, ok := all[name[1]]; !ok {
			t.Errorf("docs/RPC.md documents %s, which nothing exports", name[1])
		}
	}
	for name := range all {
		if strings.HasPrefix(name, "powchain_") && !documented[name] {
			t.Errorf("%s is exported but docs/RPC.md's Metrics does not name it", name)
		}
	}
}

// withMinerMetrics is exported and what the miner exports.
func withMinerMetrics(t *testing.T, exported map[string]*dto.MetricFamily) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	zero := func() uint64 { return 0 }
	metrics.Miner(metrics.MinerSource{Hashes: zero, Found: zero, Accepted: zero, HashRate: func() float64 { return 0 }}).
		ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	miner, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	all := maps.Clone(exported)
	maps.Copy(all, miner)
	return all
}
