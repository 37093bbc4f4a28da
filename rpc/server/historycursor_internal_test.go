package server

import (
	"encoding/hex"
	"strings"
	"testing"

	"powchain/chain"
	"powchain/rpc"
	"powchain/wire"
)

// FuzzHistoryCursor: decoding any string as getaddresshistory's after
// never panics, and a string that decodes is exactly the encoding of what
// it decodes to (one cursor, one spelling: encode(decode(x)) == x), given
// for the request it names and for no other.
func FuzzHistoryCursor(f *testing.F) {
	req := rpc.AddressHistoryRequest{Addresses: []string{"pcrt1qmav5dz7ju20aqfd969nrrwwm36papwdj7p9m9r"}, Mempool: true, PageSize: 4}
	placed := historyCursor{request: requestDigest(&req), tip: wire.Hash{1, 2, 3}, confirmed: 9, page: 1, hasPlace: true,
		place: chain.HistoryPlace{Height: 4, OutPoint: wire.OutPoint{TxID: wire.Hash{0xc5, 0xae}, Index: 2}}}
	pool := historyCursor{request: requestDigest(&req), tip: wire.Hash{0xff}, confirmed: 1<<64 - 1, page: 3}
	for _, s := range []string{placed.encode(), pool.encode(), strings.ToUpper(placed.encode()), placed.encode()[:20], "", "zz", "01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// The digest the string names, if it is long enough, so that the
		// fuzzer need not find a sha256 prefix to get past it.
		var want [8]byte
		if b, err := hex.DecodeString(s); err == nil && len(b) >= 9 {
			copy(want[:], b[1:9])
		}
		c, err := decodeHistoryCursor(s, want)
		if err != nil {
			if c != nil {
				t.Fatalf("decode %q: a cursor and an error (%v)", s, err)
			}
			return
		}
		if got := c.encode(); got != s {
			t.Fatalf("decode %q, encoded again: %q", s, got)
		}
		want[0]++
		if _, err := decodeHistoryCursor(s, want); err == nil {
			t.Fatalf("%q decodes for another request's digest", s)
		}
	})
}
