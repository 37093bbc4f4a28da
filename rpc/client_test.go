package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestClientCallsAndErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); u != "u" || p != "p" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var req Request
		json.NewDecoder(r.Body).Decode(&req)
		switch req.Method {
		case "getblockcount":
			json.NewEncoder(w).Encode(Response{JSONRPC: "2.0", ID: req.ID, Result: json.RawMessage("42")})
		default:
			json.NewEncoder(w).Encode(Response{JSONRPC: "2.0", ID: req.ID, Error: NewError(CodeMethodNotFound, "Method not found")})
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	ctx := context.Background()

	n, err := NewClient(addr, "u", "p").GetBlockCount(ctx)
	if err != nil || n != 42 {
		t.Fatalf("getblockcount: %d %v", n, err)
	}
	var rpcErr *Error
	if err := NewClient(addr, "u", "p").Call(ctx, "nope", nil, nil); !errors.As(err, &rpcErr) || rpcErr.Code != CodeMethodNotFound {
		t.Fatalf("unknown method: %v", err)
	}
	if _, err := NewClient(addr, "u", "wrong").GetBlockCount(ctx); err == nil || !strings.Contains(err.Error(), "authorization failed") {
		t.Fatalf("bad credentials: %v", err)
	}
	if _, err := NewClient("127.0.0.1:1", "u", "p").GetBlockCount(ctx); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("nothing listening: %v", err)
	}
}

func TestEndpointFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadEndpoint(dir); !errors.Is(err, ErrNoEndpoint) {
		t.Fatalf("empty dir: %v", err)
	}
	user, pass, err := NewCookie()
	if err != nil || user == "" || len(pass) != 64 {
		t.Fatalf("cookie %q %q %v", user, pass, err)
	}
	if err := WriteEndpoint(dir, "127.0.0.1:5", user, pass); err != nil {
		t.Fatal(err)
	}
	addr, err := ReadEndpoint(dir)
	u, p, err2 := ReadCookie(filepath.Join(dir, CookieFile))
	if err != nil || err2 != nil || addr != "127.0.0.1:5" || u != user || p != pass {
		t.Fatalf("read back %q %q %q %v %v", addr, u, p, err, err2)
	}
	RemoveEndpoint(dir)
	if _, err := ReadEndpoint(dir); !errors.Is(err, ErrNoEndpoint) {
		t.Fatalf("after remove: %v", err)
	}
}

// TestClientAnswersInUserTerms: a server that is not a powchain node, or a
// result of another shape, gives an error that says so without Go's
// decoding details.
func TestClientAnswersInUserTerms(t *testing.T) {
	serve := func(body string) *Client {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(body)) }))
		t.Cleanup(srv.Close)
		return NewClient(strings.TrimPrefix(srv.URL, "http://"), "u", "p")
	}
	_, err := serve(`{"jsonrpc":"2.0","id":1,"result":"not a number"}`).GetBlockCount(t.Context())
	if err == nil || !strings.Contains(err.Error(), `the node's result is not what this client expects (another version?): "not a number"`) || strings.Contains(err.Error(), "Go value") {
		t.Errorf("result of another shape: %v", err)
	}
	_, err = serve("<html>not json</html>").GetBlockCount(t.Context())
	if err == nil || !strings.Contains(err.Error(), "did not answer with a JSON-RPC response (HTTP 200); is it a powchain node's RPC address?") {
		t.Errorf("not a JSON-RPC server: %v", err)
	}
	// Nothing listening: what failed, without net/http's wrapping of it
	// (Post "http://...": ...).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = NewClient(addr, "u", "p").GetBlockCount(t.Context())
	if want := "node unreachable at http://" + addr + "/: dial tcp " + addr + ": connect: connection refused"; err == nil || err.Error() != want || !errors.Is(err, ErrUnreachable) {
		t.Errorf("nothing listening: %v, want %q", err, want)
	}
	// No answer within the client's timeout: said so, without net/http's
	// field names (Client.Timeout exceeded while awaiting headers).
	hold := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-hold }))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(hold) })
	c := NewClient(strings.TrimPrefix(srv.URL, "http://"), "u", "p")
	c.http.Timeout = time.Millisecond
	_, err = c.GetBlockCount(t.Context())
	if want := "node unreachable at " + srv.URL + "/: no answer within 1ms"; err == nil || err.Error() != want {
		t.Errorf("no answer: %v, want %q", err, want)
	}
}

// TestClientDecodesResultsAsTwoPasses: Call decodes a response in one pass
// where it can, with what decoding the envelope and then the result gave:
// a null result reaches a json.RawMessage as null and leaves a struct as
// it was, an error answered with a result is the error, and a result that
// does not fit says so with the result's text.
func TestClientDecodesResultsAsTwoPasses(t *testing.T) {
	serve := func(body string) *Client {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(body)) }))
		t.Cleanup(srv.Close)
		return NewClient(strings.TrimPrefix(srv.URL, "http://"), "u", "p")
	}
	var raw json.RawMessage
	if err := serve(`{"jsonrpc":"2.0","id":1,"result":null}`).Call(t.Context(), "m", nil, &raw); err != nil || string(raw) != "null" {
		t.Errorf("null into a RawMessage: %q %v", raw, err)
	}
	info := MempoolInfo{Size: 7}
	if err := serve(`{"jsonrpc":"2.0","id":1,"result":null}`).Call(t.Context(), "m", nil, &info); err != nil || info.Size != 7 {
		t.Errorf("null into a struct: %+v %v", info, err)
	}
	if err := serve(` {"result" : {"size": 3},"id":1, "jsonrpc":"2.0"}`).Call(t.Context(), "m", nil, &info); err != nil || info.Size != 3 {
		t.Errorf("a result: %+v %v", info, err)
	}
	var rpcErr *Error
	err := serve(`{"jsonrpc":"2.0","id":1,"result":{"size":4},"error":{"code":-8,"message":"no"}}`).Call(t.Context(), "m", nil, &info)
	if !errors.As(err, &rpcErr) || rpcErr.Code != -8 {
		t.Errorf("an error with a result: %v", err)
	}
	err = serve(`{"jsonrpc":"2.0","id":1,"result":{"size":"x"}}`).Call(t.Context(), "m", nil, &info)
	if err == nil || !strings.HasSuffix(err.Error(), `another version?): {"size":"x"}`) {
		t.Errorf("a result of another shape: %v", err)
	}
}
