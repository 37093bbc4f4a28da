package server

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"powchain/rpc"
)

// TestAddressHistoryJSONAsMarshal: appendAddressHistory writes exactly
// what json.Marshal writes, on random results: every field at its zero,
// edge and random values, absent and empty lists, and strings that need
// escapes (quotes, backslashes, HTML characters, control characters,
// non-ASCII, invalid UTF-8, U+2028) beside plain hex and addresses.
func TestAddressHistoryJSONAsMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 20_000 {
		h := randomHistory(r)
		want, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendAddressHistory([]byte("x"), h); !bytes.Equal(got[1:], want) || got[0] != 'x' {
			t.Fatalf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

func randomHistory(r *rand.Rand) *rpc.AddressHistory {
	h := &rpc.AddressHistory{BestBlock: randomText(r), Height: randomUint(r), Page: randomUint(r),
		PageSize: randomUint(r), Pages: randomUint(r), Total: randomUint(r), Entries: randomEntries(r), Next: randomText(r)}
	if r.IntN(2) == 0 {
		changed := randomEntries(r)
		h.Changed = &changed
	}
	return h
}

func randomEntries(r *rand.Rand) []rpc.AddressHistoryEntry {
	switch r.IntN(4) {
	case 0:
		return nil
	case 1:
		return []rpc.AddressHistoryEntry{}
	}
	entries := make([]rpc.AddressHistoryEntry, r.IntN(5))
	for i := range entries {
		entries[i] = rpc.AddressHistoryEntry{Address: randomText(r), TxID: randomText(r),
			OutputIndex: uint32(randomUint(r)), Amount: rpc.Amount(randomUint(r)), Height: randomUint(r),
			BlockHash: randomText(r), Time: randomInt(r), Confirmations: randomUint(r),
			Coinbase: r.IntN(2) == 0, Mature: r.IntN(2) == 0, Mempool: r.IntN(2) == 0}
		if r.IntN(2) == 0 {
			entries[i].Spent = &rpc.AddressSpend{TxID: randomText(r), Input: uint32(randomUint(r)), Height: randomUint(r),
				BlockHash: randomText(r), Time: randomInt(r), Mempool: r.IntN(2) == 0}
		}
	}
	return entries
}

func randomUint(r *rand.Rand) uint64 {
	switch r.IntN(4) {
	case 0:
		return 0
	case 1:
		return math.MaxUint64
	}
	return r.Uint64() >> r.UintN(64)
}

func randomInt(r *rand.Rand) int64 {
	switch r.IntN(5) {
	case 0:
		return 0
	case 1:
		return math.MinInt64
	case 2:
		return math.MaxInt64
	}
	return int64(r.Uint64()) >> r.UintN(64)
}

// randomText is empty, hex, an address, or bytes that need escaping.
func randomText(r *rand.Rand) string {
	const hexDigits = "0123456789abcdef"
	switch r.IntN(5) {
	case 0:
		return ""
	case 1:
		b := make([]byte, 64)
		for i := range b {
			b[i] = hexDigits[r.IntN(16)]
		}
		return string(b)
	case 2:
		return "pcrt1qvzftlaq9zxwa3gmn9e80cx3aepq7hhxhjq7ape"
	}
	pieces := []string{"a", "Z", "0", " ", "~", `"`, `\`, "<", ">", "&", "\n", "\t", "\x00", "\x1f", "\x7f",
		"é", "\u2028", "\u2029", "\xff", "\xc3", "😀", "/"}
	var s string
	for range r.IntN(8) {
		s += pieces[r.IntN(len(pieces))]
	}
	return s
}

// BenchmarkHistoryPageJSON writes a getaddresshistory page of 1,000
// entries (a miner's unspent coinbases) with json.Marshal and with
// appendAddressHistory; ns/entry is a page's time over its entries.
func BenchmarkHistoryPageJSON(b *testing.B) {
	h := &rpc.AddressHistory{BestBlock: strings.Repeat("ab", 32), Height: 90_000, Page: 3, PageSize: 1000, Pages: 87,
		Total: 86_400, Next: strings.Repeat("cd", 130)}
	for i := range 1000 {
		h.Entries = append(h.Entries, rpc.AddressHistoryEntry{Address: "pcrt1qvzftlaq9zxwa3gmn9e80cx3aepq7hhxhjq7ape",
			TxID: strings.Repeat("0f", 32), Amount: 50_00000000, Height: uint64(3000 + i), BlockHash: strings.Repeat("1e", 32),
			Time: 1_796_046_851 + int64(i), Confirmations: uint64(87_000 - i), Coinbase: true, Mature: true})
	}
	for _, way := range []string{"marshal", "append"} {
		b.Run(way, func(b *testing.B) {
			for b.Loop() {
				if way == "marshal" {
					json.Marshal(h)
				} else {
					appendAddressHistory(make([]byte, 0, 512+400*len(h.Entries)), h)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(h.Entries)), "ns/entry")
		})
	}
}
