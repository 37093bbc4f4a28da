package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"powchain/rpc"
	"powchain/rpc/server"
)

// post sends body to the env's server with the given credentials and
// returns the status and body of the answer.
func (e *env) post(ctx context.Context, body, user, pass string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+e.addr+"/", strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func batchOf(n int, call string) string {
	calls := make([]string, n)
	for i := range calls {
		calls[i] = fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,%s}`, i, call)
	}
	return "[" + strings.Join(calls, ",") + "]"
}

// errorOf decodes a single JSON-RPC error response.
func errorOf(t *testing.T, body string) *rpc.Error {
	t.Helper()
	var r rpc.Response
	if err := json.Unmarshal([]byte(body), &r); err != nil || r.Error == nil {
		t.Fatalf("want one JSON-RPC error, got %.300s (%v)", body, err)
	}
	return r.Error
}

// TestBatchLimit: a batch above MaxBatchCalls is refused as a whole with a
// -32600 that names the limit; a batch at the limit is answered in full.
func TestBatchLimit(t *testing.T) {
	e := newEnvWith(t, func(s *server.Server) { s.SetLimits(server.Limits{MaxBatchCalls: 3}) })
	ctx := context.Background()
	_, body, err := e.post(ctx, batchOf(3, `"method":"getblockcount"`), "user", "pass")
	var resps []rpc.Response
	if err != nil || json.Unmarshal([]byte(body), &resps) != nil || len(resps) != 3 {
		t.Fatalf("batch at the limit: %s (%v)", body, err)
	}
	_, body, err = e.post(ctx, batchOf(4, `"method":"getblockcount"`), "user", "pass")
	if err != nil {
		t.Fatal(err)
	}
	if re := errorOf(t, body); re.Code != rpc.CodeInvalidRequest || !strings.Contains(re.Message, "batch of 4 calls exceeds the limit of 3") {
		t.Fatalf("batch over the limit: %+v", re)
	}
}

// TestReplyLimit: a reply that would exceed MaxReplyBytes is replaced by a
// -32600 error, for a batch and for a single call, and what is sent stays
// small; replies under the limit are unchanged.
func TestReplyLimit(t *testing.T) {
	const limit = 4096
	e := newEnvWith(t, func(s *server.Server) { s.SetLimits(server.Limits{MaxReplyBytes: limit}) })
	var hashes []string
	e.must("generatetoaddress", &hashes, 1, e.address(e.miner.KeyHash()))
	ctx := context.Background()
	getblock := fmt.Sprintf(`"method":"getblock","params":["%s",2]`, hashes[0])
	_, one, err := e.post(ctx, `{"jsonrpc":"2.0","id":1,`+getblock+`}`, "user", "pass")
	if err != nil || !strings.Contains(one, `"result":{`) {
		t.Fatalf("one getblock: %.300s (%v)", one, err)
	}
	n := limit/len(one) + 1 // enough calls to go over the limit
	_, body, err := e.post(ctx, batchOf(n, getblock), "user", "pass")
	if err != nil {
		t.Fatal(err)
	}
	if re := errorOf(t, body); re.Code != rpc.CodeInvalidRequest || !strings.Contains(re.Message, "reply too large") || len(body) > 1000 {
		t.Fatalf("batch reply over the limit (%d bytes): %+v", len(body), re)
	}
	_, body, err = e.post(ctx, batchOf(n-2, getblock), "user", "pass")
	var resps []rpc.Response
	if err != nil || json.Unmarshal([]byte(body), &resps) != nil || len(resps) != n-2 || resps[n-3].Error != nil {
		t.Fatalf("batch under the limit: %.300s (%v)", body, err)
	}
}

// TestReplyLimitSingleCall: a single call whose result would exceed
// MaxReplyBytes gets the error, under its own id.
func TestReplyLimitSingleCall(t *testing.T) {
	const limit = 512 // the help list is longer
	e := newEnvWith(t, func(s *server.Server) { s.SetLimits(server.Limits{MaxReplyBytes: limit}) })
	var count uint64
	e.must("getblockcount", &count)
	_, body, err := e.post(context.Background(), `{"jsonrpc":"2.0","id":"x","method":"help"}`, "user", "pass")
	if err != nil {
		t.Fatal(err)
	}
	var r rpc.Response
	if json.Unmarshal([]byte(body), &r) != nil || string(r.ID) != `"x"` || r.Error == nil || r.Error.Code != rpc.CodeInvalidRequest {
		t.Fatalf("single reply over the limit: %.300s", body)
	}
}

// TestConcurrencyLimit: with one request running and the one queue place
// taken, the next request is refused at once with HTTP 503 and a JSON-RPC
// error; the queued one runs when the first finishes.
func TestConcurrencyLimit(t *testing.T) {
	e := newEnvWith(t, func(s *server.Server) { s.SetLimits(server.Limits{MaxRunning: 1, MaxQueued: 1}) })
	g := newGate()
	e.generateGate.Store(g)
	ctx := context.Background()
	generate := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"generatetoaddress","params":[1,"%s"]}`, e.address(e.miner.KeyHash()))
	type answer struct {
		status int
		body   string
	}
	answers := make(chan answer, 3)
	send := func() {
		status, body, err := e.post(ctx, generate, "user", "pass")
		if err != nil {
			t.Error(err)
		}
		answers <- answer{status, body}
	}
	go send()
	server.Receive(t, g.entered) // the first request runs and holds the only slot
	go send()
	go send()
	refused := server.Receive(t, answers) // one of the two others waits in the queue
	if refused.status != http.StatusServiceUnavailable {
		t.Fatalf("over the queue: HTTP %d %s", refused.status, refused.body)
	}
	if re := errorOf(t, refused.body); !strings.Contains(re.Message, "Work queue depth exceeded") {
		t.Fatalf("over the queue: %+v", re)
	}
	close(g.open)
	for range 2 {
		if a := server.Receive(t, answers); a.status != http.StatusOK || !strings.Contains(a.body, `"result":[`) {
			t.Fatalf("admitted request: HTTP %d %s", a.status, a.body)
		}
	}
}

// TestFailedAuthDelay: every request with wrong credentials waits out the
// delay before its 401, at most FailedAuthSlots at once (the rest queue
// behind them), while an authenticated client is answered meanwhile.
func TestFailedAuthDelay(t *testing.T) {
	const slots, failures = 2, 6
	var waiting, maxWaiting, waited atomic.Int32
	entered := make(chan struct{}, failures)
	release := make(chan struct{})
	e := newEnvWith(t, func(s *server.Server) {
		s.SetLimits(server.Limits{FailedAuthSlots: slots})
		s.SetWaitForTest(func(ctx context.Context, d time.Duration) {
			if d != 250*time.Millisecond {
				t.Errorf("failed authentication waits %v, want Bitcoin Core's 250ms", d)
			}
			n := waiting.Add(1)
			for m := maxWaiting.Load(); n > m && !maxWaiting.CompareAndSwap(m, n); m = maxWaiting.Load() {
			}
			entered <- struct{}{}
			<-release
			waiting.Add(-1)
			waited.Add(1)
		})
	})
	ctx := context.Background()
	var answered atomic.Int32
	var wg sync.WaitGroup
	for range failures {
		wg.Go(func() {
			status, _, err := e.post(ctx, `{"jsonrpc":"2.0","id":1,"method":"getblockcount"}`, "user", "wrong")
			if err != nil || status != http.StatusUnauthorized {
				t.Errorf("wrong password: HTTP %d, %v", status, err)
			}
			answered.Add(1)
		})
	}
	for range slots {
		server.Receive(t, entered)
	}
	var count uint64
	e.must("getblockcount", &count) // not slowed by the failures
	if n := answered.Load(); n != 0 {
		t.Fatalf("%d wrong passwords answered before their delay ended", n)
	}
	close(release)
	wg.Wait()
	if waited.Load() != failures || maxWaiting.Load() > slots {
		t.Fatalf("%d of %d failures waited, up to %d at once (limit %d)", waited.Load(), failures, maxWaiting.Load(), slots)
	}
}

// TestContentLength: every reply, a single response or a batch, large or
// small, goes with its exact Content-Length rather than chunked.
func TestContentLength(t *testing.T) {
	e := newEnv(t)
	var hashes []string
	e.must("generatetoaddress", &hashes, 1, e.address(e.miner.KeyHash()))
	getblock := fmt.Sprintf(`"method":"getblock","params":["%s",2]`, hashes[0])
	for _, body := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"getblockcount"}`,
		batchOf(1, `"method":"getblockcount"`),
		batchOf(40, getblock), // well over net/http's 2 KiB before it would chunk
	} {
		req, err := http.NewRequest(http.MethodPost, "http://"+e.addr+"/", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("user", "pass")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !json.Valid(got) {
			t.Fatalf("%.60s: status %d, %.300s (%v)", body, resp.StatusCode, got, err)
		}
		if resp.ContentLength != int64(len(got)) || len(resp.TransferEncoding) > 0 {
			t.Errorf("%.60s: Content-Length %d, transfer encoding %v, for %d bytes", body, resp.ContentLength, resp.TransferEncoding, len(got))
		}
	}
}
