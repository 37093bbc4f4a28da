package wallet

import (
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/tyler-smith/go-bip39"

	"powchain/wire"
)

// Key derivation: BIP39 mnemonic -> seed (empty BIP39 passphrase) -> BIP32
// master key -> m/86'/coin'/0'/branch/index. Purpose 86' is BIP86's (single
// x-only keys); the keys are used as plain BIP340 keys, without BIP86's
// taproot tweak.
const (
	// Purpose is the first (hardened) level of every derivation path.
	Purpose = 86
	// Account is the only account a wallet uses (hardened).
	Account = 0
	// BranchReceive and BranchChange are the fourth path level: addresses
	// handed out by NewAddress, and change outputs of Send.
	BranchReceive = 0
	BranchChange  = 1

	// CoinTypeMain and CoinTypeTest are the coin types the CLI uses for
	// the networks "main" and "local" (1 is SLIP-44's "any test network").
	CoinTypeMain = 2026
	CoinTypeTest = 1

	// MnemonicWords is the length of the mnemonics Create generates
	// (256 bits of entropy). Restore accepts every BIP39 length.
	MnemonicWords = 24
)

// ErrInvalidMnemonic is returned (wrapped, with the reason) when a mnemonic
// is not a valid BIP39 English mnemonic.
var ErrInvalidMnemonic = errors.New("invalid mnemonic")

// NormalizeMnemonic lower-cases a mnemonic and joins its words with single
// spaces, so that "  Abandon  ABOUT\n" style input restores the same seed.
func NormalizeMnemonic(m string) string {
	return strings.Join(strings.Fields(strings.ToLower(m)), " ")
}

// ValidateMnemonic checks a (normalized) mnemonic: word count, every word in
// the BIP39 English list, checksum. The error says which check failed.
func ValidateMnemonic(m string) error {
	words := strings.Fields(m)
	switch len(words) {
	case 12, 15, 18, 21, 24:
	default:
		return fmt.Errorf("%w: %d words, want 12, 15, 18, 21 or 24", ErrInvalidMnemonic, len(words))
	}
	for i, w := range words {
		if _, ok := bip39.GetWordIndex(w); !ok {
			return fmt.Errorf("%w: word %d (%q) is not in the BIP39 English word list", ErrInvalidMnemonic, i+1, w)
		}
	}
	if _, err := bip39.EntropyFromMnemonic(m); err != nil {
		return fmt.Errorf("%w: checksum does not match (a word is wrong or out of order)", ErrInvalidMnemonic)
	}
	return nil
}

// newMnemonic returns a fresh 24-word mnemonic from crypto/rand.
func newMnemonic() (string, error) {
	entropy, err := bip39.NewEntropy(256)
	if err != nil {
		return "", fmt.Errorf("generate entropy: %w", err)
	}
	return bip39.NewMnemonic(entropy)
}

// keyPath names one derived key: m/86'/coin'/0'/branch/index.
type keyPath struct {
	branch, index uint32
}

func (p keyPath) String() string { return fmt.Sprintf("%d/%d", p.branch, p.index) }

// derivedKey is one key of the wallet with everything computed from it.
type derivedKey struct {
	path    keyPath
	priv    *btcec.PrivateKey
	pub     [wire.PubKeySize]byte
	keyHash wire.KeyHash
	address string
}

// keyring derives and caches the wallet's keys. It is not safe for
// concurrent use (neither is Wallet).
type keyring struct {
	prefix   string
	branches [2]*extendedKey // m/86'/coin'/0'/0 and .../1
	cache    map[keyPath]*derivedKey
	byHash   map[wire.KeyHash]*derivedKey
}

// newKeyring derives the branch keys of a (validated, normalized) mnemonic.
func newKeyring(mnemonic string, coinType uint32, prefix string) (*keyring, error) {
	seed := bip39.NewSeed(mnemonic, "")
	master, err := newMasterKey(seed)
	if err != nil {
		return nil, fmt.Errorf("derive master key: %w", err)
	}
	acct, err := derivePath(master,
		hardenedKeyStart+Purpose,
		hardenedKeyStart+coinType,
		hardenedKeyStart+Account)
	if err != nil {
		return nil, err
	}
	kr := &keyring{
		prefix: prefix,
		cache:  make(map[keyPath]*derivedKey),
		byHash: make(map[wire.KeyHash]*derivedKey),
	}
	for b := range kr.branches {
		if kr.branches[b], err = derivePath(acct, uint32(b)); err != nil {
			return nil, err
		}
	}
	return kr, nil
}

func derivePath(k *extendedKey, path ...uint32) (*extendedKey, error) {
	for _, i := range path {
		var err error
		if k, err = k.child(i); err != nil {
			// ErrInvalidChild has probability < 2^-127 per step.
			return nil, fmt.Errorf("derive child %d: %w", i, err)
		}
	}
	return k, nil
}

// key returns the key at p, deriving it on first use.
func (kr *keyring) key(p keyPath) (*derivedKey, error) {
	if k, ok := kr.cache[p]; ok {
		return k, nil
	}
	if p.branch > BranchChange || p.index >= hardenedKeyStart {
		return nil, fmt.Errorf("key path %s out of range", p)
	}
	child, err := kr.branches[p.branch].child(p.index)
	if err != nil {
		return nil, fmt.Errorf("derive key %s: %w", p, err)
	}
	priv := child.privateKey()
	k := &derivedKey{path: p, priv: priv, pub: wire.XOnlyPubKey(priv)}
	k.keyHash = wire.HashPubKey(k.pub)
	if k.address, err = wire.EncodeAddress(kr.prefix, k.keyHash); err != nil {
		return nil, err
	}
	kr.cache[p] = k
	kr.byHash[k.keyHash] = k
	return k, nil
}

// lookup returns the already derived key whose key hash is kh.
func (kr *keyring) lookup(kh wire.KeyHash) (*derivedKey, bool) {
	k, ok := kr.byHash[kh]
	return k, ok
}
