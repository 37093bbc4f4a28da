package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"powchain/rpc/server"
)

// FuzzServeHTTP sends arbitrary bodies, with and without valid credentials,
// to a server over a real chain and mempool (in process, no socket). The
// server must never panic and must always answer with a valid JSON-RPC
// reply (one response object, or a non-empty array of them, each with
// jsonrpc "2.0", an id and exactly one of result and error; replies to
// JSON-RPC 1.x requests take the same form), with 204 and no body for
// notifications, or with 401 for wrong credentials.
func FuzzServeHTTP(f *testing.F) {
	e, srv := newUnservedEnv(f, false, func(*env, *server.Backend) {})
	srv.SetWaitForTest(func(context.Context, time.Duration) {}) // no 250 ms per wrong password
	hashes, err := e.generate(context.Background(), 3, e.miner.KeyHash())
	if err != nil {
		f.Fatal(err)
	}
	e.maxGenerate = 2
	block := hashes[1].String()
	for _, seed := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"getblockcount"}`,
		`{"jsonrpc":"2.0","id":"a","method":"getblock","params":["` + block + `",2]}`,
		`[{"jsonrpc":"2.0","id":1,"method":"getblockheader","params":["` + block + `",false]},{"jsonrpc":"2.0","method":"getbestblockhash"}]`,
		`{"jsonrpc":"2.0","id":null,"method":"getrawtransaction","params":["00",true,"` + block + `"]}`,
		`{"jsonrpc":"2.0","id":[],"method":"gettxout","params":["` + block + `",0]}`,
		`{"jsonrpc":"2.0","id":1,"method":"decoderawtransaction","params":["0100"]}`,
		`{"jsonrpc":"2.0","id":1,"method":"getaddressutxos","params":[{"addresses":["x"]}]}`,
		`{"jsonrpc":"2.0","id":1,"method":"invalidateblock","params":["` + block + `"]}`,
		`{"jsonrpc":"2.0","id":1,"method":"reconsiderblock","params":["` + block + `"]}`,
		`{"jsonrpc":"2.0","id":1,"method":"setban","params":["10.0.0.1","add",-1]}`,
		`{"jsonrpc":"2.0","id":1,"method":"help","params":{"a":1}}`,
		`{"jsonrpc":"1.0","method":"getblockcount"}`, `{"method":"getblockcount","params":{}}`,
		`{"jsonrpc":"3.0","method":"getblockcount"}`, `{"jsonrpc":2,"id":1,"method":"getblockcount"}`,
		`[]`, `[1,2]`, `{`, `null`, `"x"`, ` [ {"id":1} ] `,
	} {
		f.Add([]byte(seed), true)
	}
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"getblockcount"}`), false)
	f.Fuzz(func(t *testing.T, body []byte, authorized bool) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		if authorized {
			req.SetBasicAuth("user", "pass")
		} else {
			req.SetBasicAuth("user", "wrong")
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		checkReply(t, rec, authorized)
	})
}

func checkReply(t *testing.T, rec *httptest.ResponseRecorder, authorized bool) {
	t.Helper()
	body := bytes.TrimSpace(rec.Body.Bytes())
	switch {
	case !authorized:
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("wrong credentials answered with HTTP %d", rec.Code)
		}
	case rec.Code == http.StatusNoContent:
		if len(body) != 0 {
			t.Fatalf("HTTP 204 with a body: %q", body)
		}
	case rec.Code != http.StatusOK:
		t.Fatalf("HTTP %d: %q", rec.Code, body)
	case len(body) > 0 && body[0] == '[':
		var batch []json.RawMessage
		if err := json.Unmarshal(body, &batch); err != nil || len(batch) == 0 {
			t.Fatalf("batch reply %q: %v", body, err)
		}
		for _, r := range batch {
			checkResponse(t, r)
		}
	default:
		checkResponse(t, body)
	}
}

// checkResponse checks one JSON-RPC 2.0 response object.
func checkResponse(t *testing.T, raw []byte) {
	t.Helper()
	var r map[string]json.RawMessage
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("response %q: %v", raw, err)
	}
	_, hasResult := r["result"]
	rawErr, hasError := r["error"]
	if string(r["jsonrpc"]) != `"2.0"` || r["id"] == nil || hasResult == hasError {
		t.Fatalf("not a JSON-RPC 2.0 response: %q", raw)
	}
	if hasError {
		var e struct {
			Code    *int    `json:"code"`
			Message *string `json:"message"`
		}
		if json.Unmarshal(rawErr, &e) != nil || e.Code == nil || e.Message == nil || *e.Message == "" {
			t.Fatalf("malformed error object: %q", raw)
		}
	}
}
