package rpc

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"powchain/wire"
)

func TestParseCoins(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"1.5", 150_000_000, true},
		{"0.00000001", 1, true},
		{"21000000", 21_000_000 * 100_000_000, true},
		{".5", 50_000_000, true},
		{"5.", 500_000_000, true},
		{"0", 0, true},
		{"1.123456789", 0, false},
		{"-1", 0, false},
		{"1e3", 0, false},
		{"", 0, false},
		{".", 0, false},
		{"21000000.00000001", 0, false},
		{"99999999999", 0, false},
		{"1,5", 0, false},
	} {
		got, err := ParseCoins(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseCoins(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestAmountJSON(t *testing.T) {
	b, _ := json.Marshal(struct{ V Amount }{150_000_001})
	if string(b) != `{"V":1.50000001}` {
		t.Fatalf("marshal: %s", b)
	}
	var v struct{ V Amount }
	if err := json.Unmarshal([]byte(`{"V":0.1}`), &v); err != nil || v.V != 10_000_000 {
		t.Fatalf("unmarshal: %v %v", v.V, err)
	}
	if err := json.Unmarshal([]byte(`{"V":0.000000001}`), &v); err == nil {
		t.Fatal("accepted nine decimals")
	}
	if FormatCoins(0) != "0.00000000" || FormatCoins(100_000_000) != "1.00000000" {
		t.Fatal("FormatCoins")
	}
}

// TestAppendCoinsAsSprintf: AppendCoins (and so FormatCoins and the JSON
// of an Amount) writes what fmt's "%d.%08d" of coins and base units did,
// at the edges and on random amounts of every size.
func TestAppendCoinsAsSprintf(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	units := []uint64{0, 1, 9, 10, 99_999_999, wire.CoinValue, wire.CoinValue + 1, wire.MaxMoney, math.MaxUint64}
	for range 20_000 {
		units = append(units, r.Uint64()>>r.UintN(64))
	}
	for _, u := range units {
		want := fmt.Sprintf("%d.%08d", u/wire.CoinValue, u%wire.CoinValue)
		if got := string(AppendCoins([]byte("x"), u)); got != "x"+want {
			t.Fatalf("AppendCoins(%d) = %q, want %q", u, got, "x"+want)
		}
		if got, _ := Amount(u).MarshalJSON(); string(got) != want {
			t.Fatalf("Amount(%d).MarshalJSON() = %s, want %s", u, got, want)
		}
	}
}
