package wire

import (
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/bech32"
)

// An independent bech32m encoder (BIP350 reference algorithm), so that the
// address format is checked against the specification and not only against
// the library wire uses.

const refCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

func refPolymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := range 5 {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

func refBech32m(hrp string, kh KeyHash) string {
	// Data: version 0, then the 160 bits of the key hash in 5-bit groups,
	// most significant bit first (160 = 32*5, so there is no padding).
	data := []byte{0}
	var acc uint32
	bits := 0
	for _, b := range kh {
		acc = acc<<8 | uint32(b)
		bits += 8
		for bits >= 5 {
			bits -= 5
			data = append(data, byte(acc>>bits)&31)
		}
	}
	values := append(refHRPExpand(hrp), data...)
	values = append(values, 0, 0, 0, 0, 0, 0)
	mod := refPolymod(values) ^ 0x2bc830a3 // the bech32m constant
	var sb strings.Builder
	sb.WriteString(hrp)
	sb.WriteByte('1')
	for _, d := range data {
		sb.WriteByte(refCharset[d])
	}
	for i := range 6 {
		sb.WriteByte(refCharset[(mod>>(5*(5-i)))&31])
	}
	return sb.String()
}

// refHRPExpand is BIP173's expansion of the prefix for the checksum: the
// high bits of each character, a zero, then the low bits.
func refHRPExpand(hrp string) []byte {
	var values []byte
	for i := range len(hrp) {
		values = append(values, hrp[i]>>5)
	}
	values = append(values, 0)
	for i := range len(hrp) {
		values = append(values, hrp[i]&31)
	}
	return values
}

func sampleKeyHashes() []KeyHash {
	var ff KeyHash
	for i := range ff {
		ff[i] = 0xff
	}
	return []KeyHash{
		{},
		ff,
		{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20},
		HashPubKey(XOnlyPubKey(testKey(1))),
	}
}

func TestAddressRoundTrip(t *testing.T) {
	for _, hrp := range []string{"pc", "tpc", "pcrt", "x"} {
		for _, kh := range sampleKeyHashes() {
			addr, err := EncodeAddress(hrp, kh)
			if err != nil {
				t.Fatal(err)
			}
			if want := refBech32m(hrp, kh); addr != want {
				t.Errorf("EncodeAddress(%q, %x) = %s, independent encoder %s", hrp, kh, addr, want)
			}
			if !strings.HasPrefix(addr, hrp+"1q") || len(addr) != len(hrp)+1+1+32+6 {
				t.Errorf("unexpected shape %s", addr)
			}
			got, err := DecodeAddress(hrp, addr)
			if err != nil || got != kh {
				t.Errorf("DecodeAddress(%s) = %x, %v", addr, got, err)
			}
			// A whole upper-case address is valid bech32.
			got, err = DecodeAddress(hrp, strings.ToUpper(addr))
			if err != nil || got != kh {
				t.Errorf("upper case %s: %x, %v", strings.ToUpper(addr), got, err)
			}
			// The prefix argument is case-insensitive.
			if got, err := DecodeAddress(strings.ToUpper(hrp), addr); err != nil || got != kh {
				t.Errorf("upper-case hrp argument: %v", err)
			}
		}
	}
}

func TestAddressVector(t *testing.T) {
	kh := HashPubKey(XOnlyPubKey(testKey(1)))
	addr, err := EncodeAddress("pc", kh)
	if err != nil {
		t.Fatal(err)
	}
	if addr != vecAddress1 {
		t.Errorf("address = %s, want %s", addr, vecAddress1)
	}
}

// encodeRaw builds a bech32 or bech32m string from arbitrary 8-bit data and
// version, bypassing EncodeAddress's checks.
func encodeRaw(t *testing.T, hrp string, version byte, payload []byte, m bool) string {
	t.Helper()
	data, err := bech32.ConvertBits(payload, 8, 5, true)
	if err != nil {
		t.Fatal(err)
	}
	data = append([]byte{version}, data...)
	var s string
	if m {
		s, err = bech32.EncodeM(hrp, data)
	} else {
		s, err = bech32.Encode(hrp, data)
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAddressRejects(t *testing.T) {
	kh := KeyHash{9, 8, 7, 6, 5, 4, 3, 2, 1}
	good, err := EncodeAddress("pc", kh)
	if err != nil {
		t.Fatal(err)
	}

	// Another network's address.
	other, _ := EncodeAddress("tpc", kh)
	if _, err := DecodeAddress("pc", other); !errors.Is(err, ErrAddressNetwork) {
		t.Errorf("wrong hrp: err = %v, want ErrAddressNetwork", err)
	}
	if _, err := DecodeAddress("tpc", good); !errors.Is(err, ErrAddressNetwork) {
		t.Errorf("wrong hrp: err = %v, want ErrAddressNetwork", err)
	}

	// Last character replaced: bad checksum.
	last := good[len(good)-1]
	repl := byte('q')
	if last == 'q' {
		repl = 'p'
	}
	badSum := good[:len(good)-1] + string(repl)

	// A data character changed: bad checksum.
	i := len("pc1q") + 3
	c := byte('z')
	if good[i] == 'z' {
		c = 'x'
	}
	badData := good[:i] + string(c) + good[i+1:]

	mixed := strings.ToUpper(good[:5]) + good[5:]

	// The key hash's 32 five-bit groups and one more, zero: 165 bits, the
	// key hash and 5 bits of zero padding. BIP173 allows at most 4, so
	// this second spelling of the same key hash is refused.
	groups, err := bech32.ConvertBits(kh[:], 8, 5, true)
	if err != nil {
		t.Fatal(err)
	}
	padded := mustBech32M(t, "pc", append(append([]byte{AddressVersion}, groups...), 0))

	cases := map[string]string{
		"bech32 checksum":   encodeRaw(t, "pc", 0, kh[:], false),
		"bad checksum":      badSum,
		"changed data":      badData,
		"version 1":         encodeRaw(t, "pc", 1, kh[:], true),
		"version 16":        encodeRaw(t, "pc", 16, kh[:], true),
		"19-byte key hash":  encodeRaw(t, "pc", 0, kh[:19], true),
		"21-byte key hash":  encodeRaw(t, "pc", 0, append(kh[:], 0), true),
		"32-byte key hash":  encodeRaw(t, "pc", 0, make([]byte, 32), true),
		"no data":           mustBech32M(t, "pc", nil),
		"mixed case":        mixed,
		"5 padding bits":    padded,
		"empty":             "",
		"no separator":      "pcqqqqqqqqqqqqqqq",
		"invalid character": good[:6] + "b" + good[7:],
		"too long":          mustBech32M(t, "pc", make([]byte, 90)),
		"space":             " " + good,
		"hrp only":          "pc1",
	}
	for name, addr := range cases {
		_, err := DecodeAddress("pc", addr)
		if err == nil {
			t.Errorf("%s: %q accepted", name, addr)
			continue
		}
		if errors.Is(err, ErrAddressNetwork) {
			t.Errorf("%s: reported as another network's address: %v", name, err)
		}
	}
}

// mustBech32M encodes raw 5-bit data with the bech32m checksum.
func mustBech32M(t *testing.T, hrp string, data5 []byte) string {
	t.Helper()
	s, err := bech32.EncodeM(hrp, data5)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBech32mBIP350Vectors runs BIP350's bech32m test vectors (the
// checksum's, not the segwit addresses') through the checksum layer
// DecodeAddress uses, and the valid ones through the independent checksum
// above too, so that both are anchored to the specification and not only
// to each other: the valid strings leave the bech32m constant, not
// bech32's, and every invalid one (a character out of range, over 90
// characters, no or an empty prefix, a character outside the charset, a
// checksum too short or computed over the upper-case prefix) is refused by
// DecodeAddress under its own prefix.
func TestBech32mBIP350Vectors(t *testing.T) {
	valid := []string{
		"A1LQFN3A",
		"a1lqfn3a",
		"an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
		"abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
		"11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
		"split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
		"?1v759aa",
	}
	for _, s := range valid {
		if _, _, enc, err := bech32.DecodeGeneric(s); err != nil || enc != bech32.VersionM {
			t.Errorf("valid %q: version %v, %v; want bech32m", s, enc, err)
		}
		lower := strings.ToLower(s)
		sep := strings.LastIndexByte(lower, '1')
		values := refHRPExpand(lower[:sep])
		for _, c := range lower[sep+1:] {
			values = append(values, byte(strings.IndexRune(refCharset, c)))
		}
		if got := refPolymod(values); got != 0x2bc830a3 {
			t.Errorf("valid %q: independent checksum residue %#x, want the bech32m constant", s, got)
		}
	}
	invalid := []string{
		"\x201xj0phk",
		"\x7f1g6xzxy",
		"\x801vctc34",
		"an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
		"qyrz8wqd2c9m",
		"1qyrz8wqd2c9m",
		"y1b0jsk6g",
		"lt1igcx5c0",
		"in1muywd",
		"mm1crxm3i",
		"au1s5cgom",
		"M1VUXWEZ",
		"16plkw9",
		"1p2gdwpf",
	}
	for _, s := range invalid {
		if _, _, _, err := bech32.DecodeGeneric(s); err == nil {
			t.Errorf("invalid %q: decoded", s)
		}
		hrp := "pc"
		if sep := strings.LastIndexByte(s, '1'); sep > 0 {
			hrp = strings.ToLower(s[:sep])
		}
		if _, err := DecodeAddress(hrp, s); err == nil {
			t.Errorf("invalid %q: accepted as an address of prefix %q", s, hrp)
		}
	}
}
