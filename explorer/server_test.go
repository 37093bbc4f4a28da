package explorer_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"powchain/chain/chaintest"
	"powchain/explorer"
)

// serve runs the env's server on a loopback port until the test ends and
// returns its base URL.
func (e *env) serve() string {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- e.srv.Serve(ln) }()
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.srv.Shutdown(ctx); err != nil {
			e.t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			e.t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// stream is an open /events connection.
type stream struct {
	t    *testing.T
	resp *http.Response
	r    *bufio.Reader
}

func openStream(t *testing.T, base string) *stream {
	t.Helper()
	resp, err := http.Get(base + "/events")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("/events: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	t.Cleanup(func() { resp.Body.Close() })
	s := &stream{t: t, resp: resp, r: bufio.NewReader(resp.Body)}
	if line, _ := s.r.ReadString('\n'); !strings.HasPrefix(line, ":") {
		t.Fatalf("stream starts with %q, want a comment", line)
	}
	return s
}

// next reads the next event, skipping comments; the stream's own read
// fails if the server ends it.
func (s *stream) next() (name string, data []byte) {
	s.t.Helper()
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			s.t.Fatalf("event stream: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = []byte(strings.TrimPrefix(line, "data: "))
		case line == "" && name != "":
			return name, data
		}
	}
}

func (s *stream) expect(name string, v any) {
	s.t.Helper()
	got, data := s.next()
	if got != name {
		s.t.Fatalf("event %q (%s), want %q", got, data, name)
	}
	if err := json.Unmarshal(data, v); err != nil {
		s.t.Fatalf("event %s data %s: %v", name, data, err)
	}
}

// TestEvents: new tips, reorganisations and accepted transactions arrive
// on every stream, in order; the subscriber cap refuses one stream more;
// shutdown ends the streams.
func TestEvents(t *testing.T) {
	e := newEnv(t, explorer.Limits{MaxSubscribers: 2})
	base := e.serve()
	s1, s2 := openStream(t, base), openStream(t, base)

	resp, err := http.Get(base + "/events")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "too many event streams") {
		t.Fatalf("third stream: %s %s", resp.Status, body)
	}

	e.block("c1", e.pending)
	for _, s := range []*stream{s1, s2} {
		var blk explorer.BlockEvent
		s.expect(explorer.EventBlock, &blk)
		if blk.Height != 16 || blk.Hash != e.hash("c1") {
			t.Fatalf("block event %+v, want c1 at 16", blk)
		}
	}

	// A two-block branch from b2 replaces c1.
	e.g.SetTip("b2")
	e.block("d1")
	e.block("d2")
	var reorg explorer.ReorgEvent
	s1.expect(explorer.EventReorg, &reorg)
	if len(reorg.Disconnected) != 1 || reorg.Disconnected[0] != e.hash("c1") || reorg.Height != 17 || reorg.Hash != e.hash("d2") {
		t.Fatalf("reorg event %+v", reorg)
	}
	var blk explorer.BlockEvent
	s1.expect(explorer.EventBlock, &blk)
	if blk.Hash != e.hash("d2") {
		t.Fatalf("block after reorg %+v", blk)
	}

	// c1's transaction returns to the mempool on the reorg: an accepted
	// transaction as far as the stream is concerned.
	var tx explorer.TxEvent
	s1.expect(explorer.EventTx, &tx)
	if tx.TxID != e.pending.TxID().String() || tx.Fee != 20000 {
		t.Fatalf("tx event %+v", tx)
	}
	fresh := e.g.SpendTx([]chaintest.SpendableOut{e.g.CoinbaseOut("a4")}, 30000, 1)
	if _, _, err := e.pool.ProcessTransaction(fresh, false, 0); err != nil {
		t.Fatal(err)
	}
	s1.expect(explorer.EventTx, &tx)
	if tx.TxID != fresh.TxID().String() || tx.Size != fresh.SerializeSize() {
		t.Fatalf("tx event %+v, want %s", tx, fresh.TxID())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown with open streams: %v", err)
	}
	if _, err := io.ReadAll(s2.r); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("stream after shutdown: %v", err)
	}
}

// TestEventsHead: a HEAD request for /events gets the stream's headers
// and is done: it holds no stream, even while its client keeps the
// connection for its next request.
func TestEventsHead(t *testing.T) {
	e := newEnv(t, explorer.Limits{MaxSubscribers: 1})
	base := e.serve()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Head(base + "/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("HEAD /events: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	openStream(t, base) // the one stream allowed
}

// TestLimits: a client that sends headers slowly is cut off, oversized
// headers are refused, and an idle event stream does not hold the server
// from answering others.
func TestLimits(t *testing.T) {
	e := newEnv(t, explorer.Limits{ReadHeaderTimeout: 200 * time.Millisecond, MaxHeaderBytes: 4 << 10})
	base := e.serve()
	addr := strings.TrimPrefix(base, "http://")

	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if _, err := io.WriteString(slow, "GET /rest/chaininfo.json HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	slow.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadAll(slow); err != nil {
		t.Fatalf("slow client: %v, want the server to close the connection", err)
	}

	req, _ := http.NewRequest(http.MethodGet, base+"/rest/chaininfo.json", nil)
	req.Header.Set("X-Padding", strings.Repeat("x", 8<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("large header: %s", resp.Status)
	}

	openStream(t, base)
	resp, err = http.Get(base + "/rest/chaininfo.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("with a stream open: %s", resp.Status)
	}
}

// TestNewRejectsIncompleteConfig: a server missing a part of its source
// would fail at its first request; it is refused up front.
func TestNewRejectsIncompleteConfig(t *testing.T) {
	e := newEnv(t, explorer.Limits{})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	full := explorer.Source{Chain: e.chain, Mempool: e.pool, Net: fakeNet{}, Clock: wallClock{}}
	for name, cfg := range map[string]explorer.Config{
		"no chain":   {Source: explorer.Source{Mempool: e.pool, Net: fakeNet{}, Clock: wallClock{}}, Log: log},
		"no mempool": {Source: explorer.Source{Chain: e.chain, Net: fakeNet{}, Clock: wallClock{}}, Log: log},
		"no network": {Source: explorer.Source{Chain: e.chain, Mempool: e.pool, Clock: wallClock{}}, Log: log},
		"no clock":   {Source: explorer.Source{Chain: e.chain, Mempool: e.pool, Net: fakeNet{}}, Log: log},
		"no log":     {Source: full},
	} {
		if srv, err := explorer.New(cfg); err == nil || srv != nil {
			t.Errorf("%s: New = %v, %v; want an error", name, srv, err)
		}
	}
}
