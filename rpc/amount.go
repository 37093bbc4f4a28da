package rpc

import (
	"fmt"
	"strconv"
	"strings"

	"powchain/wire"
)

// Amount is a value in base units that travels in JSON as a decimal number
// of coins with exactly eight decimals (1.5 coins is 1.50000000), as Bitcoin
// Core prints amounts. It never passes through floating point.
type Amount uint64

// MarshalJSON writes the amount in coins.
func (a Amount) MarshalJSON() ([]byte, error) { return AppendCoins(nil, uint64(a)), nil }

// UnmarshalJSON reads a JSON number (or string) of coins.
func (a *Amount) UnmarshalJSON(b []byte) error {
	v, err := ParseCoins(strings.Trim(string(b), `"`))
	if err != nil {
		return err
	}
	*a = Amount(v)
	return nil
}

// FormatCoins renders base units as coins with eight decimals.
func FormatCoins(units uint64) string { return string(AppendCoins(nil, units)) }

// AppendCoins appends FormatCoins(units) to b (fmt's "%d.%08d" of coins
// and base units, without fmt: a result may hold thousands of amounts).
func AppendCoins(b []byte, units uint64) []byte {
	b = strconv.AppendUint(b, units/wire.CoinValue, 10)
	frac := units % wire.CoinValue
	var digits [8]byte
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(append(b, '.'), digits[:]...)
}

// ParseCoins parses a decimal number of coins ("1.5", "0.00000001", "21")
// into base units, exactly. More than eight decimals, signs, exponents and
// amounts above the money supply are errors.
func ParseCoins(s string) (uint64, error) {
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" && (!hasDot || frac == "") {
		return 0, fmt.Errorf("invalid amount %q", s)
	}
	if len(frac) > 8 {
		return 0, fmt.Errorf("invalid amount %q: more than 8 decimals", s)
	}
	digits := func(p string) bool {
		for _, c := range p {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	if !digits(whole) || !digits(frac) || len(whole) > 9 {
		return 0, fmt.Errorf("invalid amount %q", s)
	}
	var w uint64
	if whole != "" {
		w, _ = strconv.ParseUint(whole, 10, 64)
	}
	f, _ := strconv.ParseUint((frac + "00000000")[:8], 10, 64)
	v := w*wire.CoinValue + f
	if v > wire.MaxMoney {
		return 0, fmt.Errorf("amount %q exceeds the money supply", s)
	}
	return v, nil
}
