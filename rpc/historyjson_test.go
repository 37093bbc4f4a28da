package rpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// decodeBothWays decodes data into an empty AddressHistory with its
// UnmarshalJSON and with encoding/json alone, and fails t when the two
// differ in value or in whether they fail.
func decodeBothWays(t *testing.T, data []byte) {
	t.Helper()
	var fast AddressHistory
	fastErr := json.Unmarshal(data, &fast)
	var plain addressHistoryFields
	plainErr := json.Unmarshal(data, &plain)
	if (fastErr == nil) != (plainErr == nil) || !reflect.DeepEqual(fast, AddressHistory(plain)) {
		t.Fatalf("%.600s\nUnmarshalJSON: %+v, %v\nencoding/json: %+v, %v", data, fast, fastErr, AddressHistory(plain), plainErr)
	}
	var direct AddressHistory
	directErr := direct.UnmarshalJSON(data)
	if (directErr == nil) != (plainErr == nil) || !reflect.DeepEqual(direct, AddressHistory(plain)) {
		t.Fatalf("%.600s\ncalled directly: %+v, %v\nencoding/json: %+v, %v", data, direct, directErr, AddressHistory(plain), plainErr)
	}
}

// TestAddressHistoryDecodeAsJSON: AddressHistory's UnmarshalJSON decodes
// what encoding/json decodes, on the node's form of 2,000 random results (every
// field at its zero, edges and random values, strings that need escapes)
// and on that text changed: spaces added, a byte changed, cut short, keys
// in capitals, numbers rewritten.
func TestAddressHistoryDecodeAsJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	direct := 0 // texts the decoder read itself
	for range 2_000 {
		data, err := json.Marshal(randomHistory(r))
		if err != nil {
			t.Fatal(err)
		}
		decodeBothWays(t, data)
		d := historyDecoder{data: data, ok: true}
		if d.history(); d.ok && d.pos == len(data) {
			direct++
		}
		for range 4 {
			decodeBothWays(t, mutate(r, data))
		}
	}
	if direct < 400 {
		t.Fatalf("the decoder read %d of 2,000 texts itself: the test compares encoding/json with itself", direct)
	}
	// Into a result that is not empty, encoding/json's merge.
	data, _ := json.Marshal(AddressHistory{Height: 3, Entries: []AddressHistoryEntry{}})
	h := AddressHistory{Next: "kept", Page: 9}
	if err := json.Unmarshal(data, &h); err != nil || h.Next != "kept" || h.Page != 0 || h.Height != 3 {
		t.Fatalf("into a non-empty result: %+v %v", h, err)
	}
}

// FuzzAddressHistoryDecode: on any text, AddressHistory's UnmarshalJSON
// and encoding/json agree.
func FuzzAddressHistoryDecode(f *testing.F) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 20 {
		data, _ := json.Marshal(randomHistory(r))
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) { decodeBothWays(t, data) })
}

func mutate(r *rand.Rand, data []byte) []byte {
	b := []byte(string(data))
	switch r.IntN(6) {
	case 0: // a space somewhere
		i := r.IntN(len(b) + 1)
		return append(b[:i], append([]byte(" "), b[i:]...)...)
	case 1: // a byte changed
		const bytes = "0123456789-.e\"\\,:{}[]ntfa "
		b[r.IntN(len(b))] = bytes[r.IntN(len(bytes))]
		return b
	case 2: // cut short
		return b[:r.IntN(len(b))]
	case 3: // a key in capitals
		return []byte(strings.Replace(string(b), `"txid"`, `"TxID"`, 1))
	case 4: // a number rewritten
		return []byte(strings.Replace(string(b), `:0,`, []string{`:-0,`, `:0.0,`, `:1e2,`, `:00,`, `:18446744073709551616,`, `:"0",`, `:null,`}[r.IntN(7)], 1))
	}
	return []byte(strings.Replace(string(b), `"spent":null`, `"spent":{}`, 1))
}

func randomHistory(r *rand.Rand) *AddressHistory {
	escapes := r.IntN(2) == 0
	randomText := func(r *rand.Rand) string { return randomString(r, escapes) }
	h := &AddressHistory{BestBlock: randomText(r), Height: randomUint(r), Page: randomUint(r),
		PageSize: randomUint(r), Pages: randomUint(r), Total: randomUint(r), Entries: randomEntries(r, randomText), Next: randomText(r)}
	if r.IntN(2) == 0 {
		changed := randomEntries(r, randomText)
		h.Changed = &changed
	}
	return h
}

func randomEntries(r *rand.Rand, randomText func(*rand.Rand) string) []AddressHistoryEntry {
	switch r.IntN(5) {
	case 0:
		return nil
	case 1:
		return []AddressHistoryEntry{}
	}
	entries := make([]AddressHistoryEntry, 1+r.IntN(4))
	for i := range entries {
		entries[i] = AddressHistoryEntry{Address: randomText(r), TxID: randomText(r),
			OutputIndex: uint32(randomUint(r)), Amount: Amount(randomUint(r) % 2_100_000_000_000_002), Height: randomUint(r),
			BlockHash: randomText(r), Time: randomInt(r), Confirmations: randomUint(r),
			Coinbase: r.IntN(2) == 0, Mature: r.IntN(2) == 0, Mempool: r.IntN(2) == 0}
		if r.IntN(2) == 0 {
			entries[i].Spent = &AddressSpend{TxID: randomText(r), Input: uint32(randomUint(r)), Height: randomUint(r),
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

// randomString is empty, hex, an address, or (with escapes) bytes that
// need escapes.
func randomString(r *rand.Rand, escapes bool) string {
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
	case 3:
		if !escapes {
			return "pcrt1q/~ x"
		}
	}
	if !escapes {
		return ""
	}
	pieces := []string{"a", "Z", "0", " ", "~", `"`, `\`, "<", ">", "&", "\n", "\t", "\x00", "\x1f", "\x7f",
		"é", "\u2028", "\u2029", "\xff", "\xc3", "😀", "/"}
	var s string
	for range r.IntN(8) {
		s += pieces[r.IntN(len(pieces))]
	}
	return s
}

// TestHistoryResponseAsTwoPasses: a response that decodeHistoryResponse
// decodes is one the envelope's and then the result's decoding by
// encoding/json (Call's slow way) takes without an error, with the same
// result; it decodes the node's responses, and leaves other texts (an
// error beside the result, another id, spaces, a changed byte) alone.
func TestHistoryResponseAsTwoPasses(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	direct := 0
	for i := range 2_000 {
		result, _ := json.Marshal(randomHistory(r))
		body := []byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"result":%s}`+"\n", i, result))
		if i%2 == 1 {
			body = mutateResponse(r, body)
		}
		var h AddressHistory
		if !decodeHistoryResponse(body, &h) {
			if !reflect.DeepEqual(h, AddressHistory{}) {
				t.Fatalf("%s: refused, yet wrote %+v", body, h)
			}
			continue
		}
		direct++
		var resp Response
		var want addressHistoryFields
		if err := json.Unmarshal(body, &resp); err != nil || resp.Error != nil {
			t.Fatalf("%s: decoded, but the envelope is %+v, %v", body, resp, err)
		}
		if err := json.Unmarshal(resp.Result, &want); err != nil || !reflect.DeepEqual(h, AddressHistory(want)) {
			t.Fatalf("%s:\ndecoded %+v\n   want %+v, %v", body, h, AddressHistory(want), err)
		}
	}
	if direct < 400 {
		t.Fatalf("decoded %d of 2,000 responses: the test compares nothing", direct)
	}
	full := AddressHistory{Next: "x"}
	if decodeHistoryResponse([]byte(`{"jsonrpc":"2.0","id":1,"result":{"bestblock":"","height":0,"page":0,"pagesize":0,"pages":0,"total":0,"entries":[]}}`), &full) {
		t.Fatal("decoded into a result that is not empty")
	}
}

func mutateResponse(r *rand.Rand, body []byte) []byte {
	s := string(body)
	switch r.IntN(5) {
	case 0:
		return []byte(strings.TrimSuffix(s, "}\n") + `,"error":{"code":-8,"message":"no"}}`)
	case 1:
		return []byte(strings.Replace(s, `"id":`, `"id":"`+s[len(`{"jsonrpc":"2.0","id":`):len(`{"jsonrpc":"2.0","id":`)+1]+`"`, 1))
	case 2:
		return []byte(strings.Replace(s, `"id":`, `"id":0`, 1))
	case 3:
		return []byte(strings.TrimSuffix(s, "}\n") + "} }")
	}
	return mutate(r, body)
}

// BenchmarkHistoryResponseDecode decodes a getaddresshistory response of
// 1,000 entries (a miner's unspent coinbases) as Call did before (the
// envelope, then its result, by encoding/json) and as it does now;
// ns/entry is a response's time over its entries.
func BenchmarkHistoryResponseDecode(b *testing.B) {
	h := minerPage()
	result, _ := json.Marshal(h)
	body := []byte(`{"jsonrpc":"2.0","id":7,"result":` + string(result) + "}\n")
	for _, way := range []string{"two-passes", "node-form"} {
		b.Run(way, func(b *testing.B) {
			for b.Loop() {
				if way == "node-form" {
					var out AddressHistory
					if !decodeHistoryResponse(body, &out) {
						b.Fatal("not decoded")
					}
					continue
				}
				var r Response
				var out addressHistoryFields
				if json.Unmarshal(body, &r) != nil || json.Unmarshal(r.Result, &out) != nil {
					b.Fatal("not decoded")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(h.Entries)), "ns/entry")
		})
	}
}

// TestAddressHistoryJSONAsMarshal: AppendJSON writes exactly what
// json.Marshal writes, on random results: every field at its zero, edge
// and random values, absent and empty lists, and strings that need
// escapes (quotes, backslashes, HTML characters, control characters,
// non-ASCII, invalid UTF-8, U+2028) beside plain hex and addresses.
func TestAddressHistoryJSONAsMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 4_000 {
		h := randomHistory(r)
		want, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.AppendJSON([]byte("x")); !bytes.Equal(got[1:], want) || got[0] != 'x' {
			t.Fatalf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// BenchmarkHistoryPageJSON writes a getaddresshistory page of 1,000
// entries (a miner's unspent coinbases) with json.Marshal and with
// AppendJSON; ns/entry is a page's time over its entries.
func BenchmarkHistoryPageJSON(b *testing.B) {
	h := minerPage()
	for _, way := range []string{"marshal", "append"} {
		b.Run(way, func(b *testing.B) {
			for b.Loop() {
				if way == "marshal" {
					json.Marshal(h)
				} else {
					h.AppendJSON(make([]byte, 0, 512+400*len(h.Entries)))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(h.Entries)), "ns/entry")
		})
	}
}

// minerPage is a getaddresshistory page of 1,000 entries as a miner's
// wallet reads it: unspent mature coinbases to one address, one a block.
func minerPage() *AddressHistory {
	h := &AddressHistory{BestBlock: strings.Repeat("ab", 32), Height: 90_000, Page: 3, PageSize: 1000, Pages: 87,
		Total: 86_400, Next: strings.Repeat("cd", 130)}
	for i := range 1000 {
		h.Entries = append(h.Entries, AddressHistoryEntry{Address: "pcrt1qvzftlaq9zxwa3gmn9e80cx3aepq7hhxhjq7ape",
			TxID: strings.Repeat("0f", 32), Amount: 50_00000000, Height: uint64(3000 + i), BlockHash: strings.Repeat("1e", 32),
			Time: 1_796_046_851 + int64(i), Confirmations: uint64(87_000 - i), Coinbase: true, Mature: true})
	}
	return h
}
