package server_test

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"powchain/rpc"
)

// goInternals matches what must never reach a user: Go type and package
// names.
var goInternals = regexp.MustCompile(`\bGo (value|struct)|json:|\b(u?int(8|16|32|64)?|float64|string|bool)\b \(?type|rpc\.|encoding/|strconv|reflect|\*[a-z]+\.[A-Z]`)

// TestParameterErrors: every bad parameter gets Bitcoin Core's code and a
// message in the user's terms.
func TestParameterErrors(t *testing.T) {
	e := newEnv(t)
	genesis := e.params.GenesisHash.String()
	checkParamErrors(t, e, []paramCase{
		{"getblock", `["` + genesis + `", "1"]`, rpc.CodeTypeError, "Expected type number or boolean for verbosity, got string"},
		{"getrawtransaction", `["` + genesis + `", "yes"]`, rpc.CodeTypeError, "Expected type number or boolean for verbosity, got string"},
		// A number outside a method's range, or not whole, names the
		// method's range, not that of the Go type holding it.
		{"getblock", `["` + genesis + `", 4]`, rpc.CodeInvalidParameter, "verbosity out of range: must be a whole number from 0 to 3"},
		{"getblock", `["` + genesis + `", 1.5]`, rpc.CodeInvalidParameter, "verbosity out of range: must be a whole number from 0 to 3"},
		{"generatetoaddress", `[10001, "x"]`, rpc.CodeInvalidParameter, "nblocks out of range: must be a whole number from 0 to 10000"},
		{"generatetoaddress", `[1e30, "x"]`, rpc.CodeInvalidParameter, "nblocks out of range: must be a whole number from 0 to 10000"},
		{"setban", `["1.2.3.4", "add", -1]`, rpc.CodeInvalidParameter, "bantime out of range: must be a whole number from 0 to 9223372036"},
		{"getblock", `["zz"]`, rpc.CodeInvalidParameter, "blockhash: hash must be 64 hex digits, got 2 characters"},
		{"getblock", `["` + strings.Repeat("zz", 32) + `"]`, rpc.CodeInvalidParameter, `blockhash: invalid hash "` + strings.Repeat("zz", 32) + `": not hexadecimal`},
		{"getblock", `[1]`, rpc.CodeTypeError, "Expected type string for blockhash, got number"},
		{"getblockhash", `[-1]`, rpc.CodeInvalidParameter, "height out of range: must be a whole number from 0 to 18446744073709551615"},
		{"getblockhash", `[1.5]`, rpc.CodeInvalidParameter, "height out of range: must be a whole number from 0 to 18446744073709551615"},
		{"getblockhash", `["x"]`, rpc.CodeTypeError, "Expected type number for height, got string"},
		{"getblockhash", `[]`, rpc.CodeInvalidParams, "missing parameter 1 (height)"},
		{"gettxout", `["` + genesis + `", -1]`, rpc.CodeInvalidParameter, "n out of range: must be a whole number from 0 to 4294967295"},
		{"gettxout", `["` + genesis + `", 0, "yes"]`, rpc.CodeTypeError, "Expected type boolean for include_mempool, got string"},
		{"generatetoaddress", `[1, "notanaddress"]`, rpc.CodeInvalidAddress, ""},
		{"generatetoaddress", `[true, "x"]`, rpc.CodeTypeError, "Expected type number for nblocks, got boolean"},
		{"decoderawtransaction", `["xyz"]`, rpc.CodeDeserialization, "TX decode failed: hexstring is not an even number of hexadecimal digits"},
		// testmempoolaccept takes 1 to 25 transactions, as Bitcoin Core does.
		{"testmempoolaccept", `[[]]`, rpc.CodeInvalidParameter, "Array must contain between 1 and 25 transactions."},
		{"testmempoolaccept", `[[` + strings.Repeat(`"00",`, 25) + `"00"]]`, rpc.CodeInvalidParameter, "Array must contain between 1 and 25 transactions."},
		{"submitblock", `[{}]`, rpc.CodeTypeError, "Expected type string for hexdata, got object"},
		{"getaddressutxos", `[{"addresses":"x"}]`, rpc.CodeTypeError, "Expected type array for request.addresses, got string"},
		{"getaddressutxos", `[["x"]]`, rpc.CodeTypeError, "Expected type object for request, got array"},
		// No address, or a misspelt key, is not an answer of no coins.
		{"getaddressutxos", `[{}]`, rpc.CodeInvalidParameter, "no addresses given"},
		{"getaddressutxos", `[{"address":["x"]}]`, rpc.CodeInvalidParameter, `request: unknown key "address" (the keys are addresses, mempool)`},
		{"getaddresshistory", `[{"addresses":["x"],"page_size":10}]`, rpc.CodeInvalidParameter, `request: unknown key "page_size" (the keys are addresses, mempool, page, pagesize, after)`},
		{"setban", `["1.2.3.4", "add", 1e30]`, rpc.CodeInvalidParameter, "bantime out of range: must be a whole number from 0 to 9223372036"},
		{"disconnectnode", `[true]`, rpc.CodeInvalidParameter, "address must be a host:port string or a node id (a whole number)"},
		{"disconnectnode", `[7]`, 0, ""},
		// null is an optional parameter left out.
		{"getrawtransaction", `["` + genesis + `", true, null]`, rpc.CodeInvalidAddress, "No such mempool transaction. The node keeps no transaction index: restart it with --txindex, or give the block hash"},
		// More parameters than the method takes: Core's meanings of them
		// (setban's absolute, sendrawtransaction's maxfeerate) are not
		// silently dropped.
		{"getblockcount", `[5]`, rpc.CodeInvalidParams, "getblockcount takes no parameters, got 1"},
		{"getrawmempool", `[true, false]`, rpc.CodeInvalidParams, "getrawmempool takes at most 1 parameter, got 2 (usage: getrawmempool ( verbose ))"},
		{"getblockhash", `[0, 1]`, rpc.CodeInvalidParams, "getblockhash takes at most 1 parameter, got 2 (usage: getblockhash height)"},
		{"setban", `["1.2.3.4", "add", 1796133254, true]`, rpc.CodeInvalidParams, "setban takes at most 3 parameters, got 4 (usage: setban subnet command ( bantime ))"},
		{"sendrawtransaction", `["00", 0.1]`, rpc.CodeInvalidParams, "sendrawtransaction takes at most 1 parameter, got 2 (usage: sendrawtransaction hexstring)"},
		{"getrawtransaction", `["` + genesis + `", true, null, 1]`, rpc.CodeInvalidParams, "getrawtransaction takes at most 3 parameters, got 4 (usage: getrawtransaction txid ( verbosity blockhash ))"},
	})
}

// paramCase is a call with parameters sent as written (a JSON array) and
// the error it must get: code 0 for none, else that code and the exact
// message (any message when msg is empty).
type paramCase struct {
	method string
	params string
	code   int
	msg    string
}

// checkParamErrors makes each call and checks its error, and that the
// message names no Go internals.
func checkParamErrors(t *testing.T, e *env, cases []paramCase) {
	t.Helper()
	for _, tc := range cases {
		err := e.call(tc.method, nil, rawParams(tc.params)...)
		if tc.code == 0 {
			if err != nil {
				t.Errorf("%s %s: %v", tc.method, tc.params, err)
			}
			continue
		}
		var rpcErr *rpc.Error
		if !errors.As(err, &rpcErr) || rpcErr.Code != tc.code || (tc.msg != "" && rpcErr.Message != tc.msg) {
			t.Errorf("%s %s: error %v (%T), want %d %q", tc.method, tc.params, err, err, tc.code, tc.msg)
			continue
		}
		if goInternals.MatchString(rpcErr.Message) {
			t.Errorf("%s %s: %q names Go internals", tc.method, tc.params, rpcErr.Message)
		}
	}
}

// rawParams sends each element of a JSON array exactly as written.
func rawParams(array string) []any {
	var raw []json.RawMessage
	json.Unmarshal([]byte(array), &raw)
	out := make([]any, len(raw))
	for i, r := range raw {
		out[i] = r
	}
	return out
}
