package server

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// requestSeeds are request bodies in and out of scanRequest's plain form.
var requestSeeds = []string{
	`{"jsonrpc":"2.0","id":1,"method":"sendrawtransaction","params":["0100ab"]}`,
	` { "jsonrpc" : "2.0" , "id" : "x" , "method" : "getblock" , "params" : [ "00" , 2 , true , null , -1.5e+3 ] } `,
	`{"method":"getblockcount","id":null}`,
	`{"method":"help","params":[]}`,
	`{"id":false,"method":"help"}`,
	`{"id":1,"id":2,"method":"help"}`,
	`{"Method":"help"}`,
	`{"method":"he\u006cp"}`,
	`{"method":"h\u00e9lp"}`,
	"{\"method\":\"h\xc3\xa9lp\"}",
	`{"method":"help","params":[["nested"]]}`,
	`{"method":"help","params":[{"a":1}]}`,
	`{"method":"help","params":{"a":1}}`,
	`{"method":"help","params":null}`,
	`{"method":"help","params":[01]}`,
	`{"method":"help","params":[1.]}`,
	`{"method":"help","params":[1e]}`,
	`{"method":"help","params":[tru]}`,
	`{"method":"help"} x`,
	`{"method":"help",}`,
	`{"method":1}`,
	`{}`,
	`[{"method":"help"}]`,
	`{"jsonrpc":2,"method":"help"}`,
	`{"jsonrpc":"2\u002e0","method":"help"}`,
}

// FuzzScanRequest checks scanRequest against encoding/json: whatever it
// accepts, encoding/json decodes to the same request.
func FuzzScanRequest(f *testing.F) {
	for _, seed := range requestSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, ok := scanRequest(raw)
		if !ok {
			return
		}
		var want request
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatalf("scanRequest accepted %q, which encoding/json refuses: %v", raw, err)
		}
		if !sameRequest(got, want) {
			t.Fatalf("%q: scanRequest read %+v, encoding/json %+v", raw, got, want)
		}
	})
}

func sameRequest(a, b request) bool {
	if !bytes.Equal(a.JSONRPC, b.JSONRPC) || (a.JSONRPC == nil) != (b.JSONRPC == nil) || a.Method != b.Method || (a.ID == nil) != (b.ID == nil) ||
		!bytes.Equal(a.ID, b.ID) || len(a.Params) != len(b.Params) || (a.Params == nil) != (b.Params == nil) {
		return false
	}
	for i := range a.Params {
		if !bytes.Equal(a.Params[i], b.Params[i]) {
			return false
		}
	}
	return true
}

// TestScanRequest checks which bodies take the one-pass path: requests in
// the form clients send do (so the fast path is not dead), anything that
// encoding/json reads differently or refuses does not.
func TestScanRequest(t *testing.T) {
	for i, seed := range requestSeeds {
		req, ok := scanRequest([]byte(seed))
		if wantOK := i < 5; ok != wantOK {
			t.Errorf("%s: scanRequest ok = %v, want %v", seed, ok, wantOK)
			continue
		}
		var want request
		if ok && (json.Unmarshal([]byte(seed), &want) != nil || !sameRequest(req, want)) {
			t.Errorf("%s: scanRequest read %+v, encoding/json %+v", seed, req, want)
		}
	}
	req, _ := scanRequest([]byte(requestSeeds[1]))
	var params []string
	for _, p := range req.Params {
		params = append(params, string(p))
	}
	if got := strings.Join(params, "|"); got != `"00"|2|true|null|-1.5e+3` || string(req.ID) != `"x"` || req.Method != "getblock" {
		t.Errorf("params %s, id %s, method %q", got, req.ID, req.Method)
	}
	if _, ok := scanRequest([]byte(strings.Repeat(" ", 10) + requestSeeds[0])); !ok {
		t.Error("leading white space refused")
	}
}
