package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"powchain/rpc"
	"powchain/rpc/server"
	"powchain/wire"
)

// BenchmarkAddressHistoryReadAll reads every page (100 entries each) of a
// miner's address history, as a wallet does on every command, by page
// number and by the previous answer's next, at 1,000 and 6,000 entries
// (blocks). By number the node counts the entries before each page again,
// so a read costs the square of the history's length; by cursor each entry
// once. In mode cursor+blocks a block arrives between every two pages (its
// making not timed), and the node carries the read over, reading the
// block for what it changed on the earlier pages. ns/entry is the read's
// time over the entries read.
func BenchmarkAddressHistoryReadAll(b *testing.B) {
	e, srv := newUnservedEnv(b, true, func(*env, *server.Backend) {})
	kh := e.miner.KeyHash()
	block := func(b *testing.B) {
		b.StopTimer()
		if _, err := e.generate(context.Background(), 1, wire.KeyHash{9}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	mined := 0 // blocks paying the miner: its history's entries
	for _, n := range []int{1000, 6000} {
		if _, err := e.generate(context.Background(), n-mined, kh); err != nil {
			b.Fatal(err)
		}
		mined = n
		for _, mode := range []string{"page", "cursor", "cursor+blocks"} {
			b.Run(fmt.Sprintf("entries=%d/%s", n, mode), func(b *testing.B) {
				between := func() {}
				if mode == "cursor+blocks" {
					between = func() { block(b) }
				}
				for b.Loop() {
					if got := readAllHistory(b, srv, e.address(kh), mode != "page", between); got != n {
						b.Fatalf("read %d entries, want %d", got, n)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/entry")
			})
		}
	}
}

// readAllHistory reads every page of addr's history, calling between after
// each page but the last, and returns how many entries it read. A read by
// cursor must be carried over every block between its pages.
func readAllHistory(b *testing.B, srv *server.Server, addr string, byCursor bool, between func()) int {
	req := rpc.AddressHistoryRequest{Addresses: []string{addr}, PageSize: 100}
	read, best := 0, ""
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
		if byCursor && req.After != "" && h.BestBlock != best && h.Changed == nil {
			b.Fatalf("page %d at a new tip was not carried over", h.Page)
		}
		best = h.BestBlock
		if h.Next != "" {
			between()
		}
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
