package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"powchain/chain/chaintest"
	"powchain/rpc/server"
	"powchain/wire"
)

// BenchmarkLargestRequest measures the node's heap growth under the largest
// request the limits allow: a batch of MaxBatchCalls getblock calls at
// verbosity 2 on a full block (one transaction of 35,000 outputs, the
// encoding that expands most in JSON). The reply would be MaxBatchCalls
// times one getblock reply; the server stops at MaxReplyBytes and answers
// with an error. peak_heap_MiB is the peak of live heap objects during the
// request above the level before it (sampled every 100 µs);
// peak_over_reply_limit is that growth over MaxReplyBytes, the bound the
// limits promise (plus one result). one_reply_MiB is one getblock reply,
// unbounded_GiB the reply the batch would make without a limit.
func BenchmarkLargestRequest(b *testing.B) {
	limits := server.DefaultLimits()
	e, srv := newUnservedEnv(b, false, func(*env, *server.Backend) {})
	g := e.miner
	first := g.NextBlock("b1", nil)
	for _, blk := range []*wire.Block{first, g.NextBlock("b2", nil)} {
		if _, err := e.chain.ProcessBlock(blk); err != nil {
			b.Fatal(err)
		}
	}
	fan := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 0, 35_000)
	full := g.NextBlock("full", []*wire.Tx{fan})
	if _, err := e.chain.ProcessBlock(full); err != nil {
		b.Fatal(err)
	}
	call := fmt.Sprintf(`"method":"getblock","params":["%s",2]`, full.BlockHash())
	one := serve(srv, `{"jsonrpc":"2.0","id":1,`+call+`}`)
	if !strings.Contains(one, `"result"`) {
		b.Fatalf("one getblock: %.300s", one)
	}
	batch := batchOf(limits.MaxBatchCalls, call)
	var peak float64
	for b.Loop() {
		runtime.GC()
		base := liveHeap()
		var highest atomic.Uint64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			for {
				if h := liveHeap(); h > highest.Load() {
					highest.Store(h)
				}
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Microsecond):
				}
			}
		}()
		reply := serve(srv, batch)
		close(stop)
		<-sampled
		if !strings.Contains(reply, "reply too large") {
			b.Fatalf("largest batch: %.300s", reply)
		}
		peak = max(peak, float64(highest.Load()-min(base, highest.Load())))
	}
	b.ReportMetric(peak/(1<<20), "peak_heap_MiB")
	b.ReportMetric(peak/float64(limits.MaxReplyBytes), "peak_over_reply_limit")
	b.ReportMetric(float64(len(one))/(1<<20), "one_reply_MiB")
	b.ReportMetric(float64(len(one))*float64(limits.MaxBatchCalls)/(1<<30), "unbounded_GiB")
	b.ReportMetric(float64(full.SerializeSize())/1e6, "block_MB")
}

// serve answers body with the user's credentials, in process.
func serve(srv *server.Server, body string) string {
	req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/", strings.NewReader(body))
	req.SetBasicAuth("user", "pass")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	return rec.Body.String()
}

// liveHeap is the bytes of heap objects, live or not yet swept.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
