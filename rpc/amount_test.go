package rpc

import (
	"encoding/json"
	"testing"
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
