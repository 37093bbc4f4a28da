package wire

import (
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcutil/bech32"
)

// AddressVersion is the first 5-bit group of every address's data part; a
// later address kind would take another version.
const AddressVersion = 0

// ErrAddressNetwork reports an address that is well-formed but belongs to
// another network (its human-readable prefix differs).
var ErrAddressNetwork = errors.New("address belongs to another network")

// EncodeAddress returns the bech32m address of kh for the network whose
// human-readable prefix is hrp.
func EncodeAddress(hrp string, kh KeyHash) (string, error) {
	if hrp == "" {
		return "", errors.New("address: empty network prefix")
	}
	data, err := bech32.ConvertBits(kh[:], 8, 5, true)
	if err != nil {
		return "", fmt.Errorf("address: %w", err)
	}
	s, err := bech32.EncodeM(hrp, append([]byte{AddressVersion}, data...))
	if err != nil {
		return "", fmt.Errorf("address: %w", err)
	}
	return s, nil
}

// DecodeAddress parses a bech32m address of the network with prefix hrp and
// returns its key hash. Mixed case, a bad checksum, a bech32 (not bech32m)
// checksum, another version, another length and another prefix are errors.
func DecodeAddress(hrp, addr string) (KeyHash, error) {
	var kh KeyHash
	gotHRP, data, enc, err := bech32.DecodeGeneric(addr)
	if err != nil {
		// The library's message speaks of separator indexes and
		// checksums in its own terms; say what the user can check.
		return kh, fmt.Errorf("invalid address %q: not a bech32m address (a prefix, the separator 1, then letters and digits with a valid checksum)", addr)
	}
	if gotHRP != strings.ToLower(hrp) {
		return kh, fmt.Errorf("%w: %q has prefix %q, want %q", ErrAddressNetwork, addr, gotHRP, hrp)
	}
	if enc != bech32.VersionM {
		return kh, fmt.Errorf("invalid address %q: checksum is not bech32m", addr)
	}
	if len(data) == 0 || data[0] != AddressVersion {
		return kh, fmt.Errorf("invalid address %q: unknown address version", addr)
	}
	raw, err := bech32.ConvertBits(data[1:], 5, 8, false)
	if err != nil {
		return kh, fmt.Errorf("invalid address %q: its data does not decode to whole bytes", addr)
	}
	if len(raw) != KeyHashSize {
		return kh, fmt.Errorf("invalid address %q: key hash is %d bytes, want %d", addr, len(raw), KeyHashSize)
	}
	copy(kh[:], raw)
	return kh, nil
}
