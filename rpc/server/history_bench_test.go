package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"powchain/rpc"
	"powchain/rpc/server"
)

// BenchmarkAddressHistoryReadAll reads every page (100 entries each) of a
// miner's address history, as a wallet does on every command, by page
// number and by the previous answer's next, at 1,000 and 6,000 entries
// (blocks). By number the node counts the entries before each page again,
// so a read costs the square of the history's length; by cursor each entry
// once. ns/entry is the read's time over the entries read.
func BenchmarkAddressHistoryReadAll(b *testing.B) {
	e, srv := newUnservedEnv(b, true, func(*env, *server.Backend) {})
	kh := e.miner.KeyHash()
	for _, n := range []int{1000, 6000} {
		if _, err := e.generate(context.Background(), n-int(e.chain.Tip().Height), kh); err != nil {
			b.Fatal(err)
		}
		for _, mode := range []string{"page", "cursor"} {
			b.Run(fmt.Sprintf("entries=%d/%s", n, mode), func(b *testing.B) {
				for b.Loop() {
					if got := readAllHistory(b, srv, e.address(kh), mode == "cursor"); got != n {
						b.Fatalf("read %d entries, want %d", got, n)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/entry")
			})
		}
	}
}

// readAllHistory reads every page of addr's history and returns how many
// entries it read.
func readAllHistory(b *testing.B, srv *server.Server, addr string, byCursor bool) int {
	req := rpc.AddressHistoryRequest{Addresses: []string{addr}, PageSize: 100}
	read := 0
	for {
		params, _ := json.Marshal([]any{req})
		reply := serve(srv, fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"getaddresshistory","params":%s}`, params))
		var resp struct {
			Result rpc.AddressHistory `json:"result"`
		}
		if err := json.Unmarshal([]byte(reply), &resp); err != nil || len(resp.Result.Entries) == 0 {
			b.Fatalf("%v: %.300s", err, reply)
		}
		read += len(resp.Result.Entries)
		h := resp.Result
		switch {
		case h.Next == "":
			return read
		case byCursor:
			req.After = h.Next
		default:
			req.Page++
		}
	}
}
