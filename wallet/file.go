package wallet

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"powchain/wire"
)

// The wallet file (all integers little-endian):
//
//	offset size field
//	     0    8 magic "PCWALLET"
//	     8    2 format version (1)
//	    10    1 KDF id (1 = argon2id, version 0x13)
//	    11    1 argon2 threads (parallelism)
//	    12    4 argon2 time (passes)
//	    16    4 argon2 memory in KiB
//	    20   16 salt
//	    36   24 XChaCha20-Poly1305 nonce (fresh for every write)
//	    60   32 key check: TaggedHash("powchain/wallet-check", master)
//	    92    4 ciphertext length n
//	    96    8 header checksum: SHA-256(bytes 0..96)[0:8]
//	   104    n ciphertext: XChaCha20-Poly1305(key, nonce, payload,
//	            associated data = bytes 0..104) (payload + 16-byte tag)
//
// master = argon2id(passphrase, salt, time, memory, threads, 32 bytes) and
// key = TaggedHash("powchain/wallet-key", master). The payload is the JSON
// of fileState padded with spaces to a multiple of payloadBlock bytes, so
// its length reveals little. Nothing but the KDF parameters is in clear.
//
// Classifying failures: a short file, another magic, a bad header
// checksum, bad KDF parameters or a length that disagrees with the file
// size are ErrCorrupt, found before the (slow) KDF runs. With an intact
// header, a key check mismatch can only mean another passphrase
// (ErrWrongPassphrase); a key check match followed by an AEAD failure means
// the ciphertext is damaged (ErrCorrupt).
const (
	fileMagic     = "PCWALLET"
	formatVersion = 1
	kdfArgon2id   = 1

	saltSize     = 16
	nonceSize    = chacha20poly1305.NonceSizeX
	checkSize    = 32
	checksumSize = 8
	headerSize   = 8 + 2 + 1 + 1 + 4 + 4 + saltSize + nonceSize + checkSize + 4 + checksumSize

	payloadBlock   = 256
	maxCiphertext  = 64 << 20 // far above any real wallet; bounds what Open allocates
	keyTag         = "powchain/wallet-key"
	checkTag       = "powchain/wallet-check"
	masterKeyBytes = 32
)

// Errors of reading a wallet file.
var (
	// ErrWrongPassphrase: the file is intact but the passphrase is not the
	// one it was written with.
	ErrWrongPassphrase = errors.New("wrong wallet passphrase")
	// ErrCorrupt: the file is not a powchain wallet, or it is truncated or
	// damaged.
	ErrCorrupt = errors.New("wallet file is corrupt or not a powchain wallet")
	// ErrUnsupportedVersion: the file was written by a newer program.
	ErrUnsupportedVersion = errors.New("unsupported wallet file version")
)

// KDFParams are the argon2id parameters that turn a passphrase into the
// wallet key. They are stored in the file header, so a file always opens
// with the parameters it was written with.
type KDFParams struct {
	Time      uint32 // passes over memory
	MemoryKiB uint32 // memory in KiB
	Threads   uint8  // parallelism
}

// DefaultKDF is used when Options.KDF is nil: about 0.1 s and 64 MiB on a
// current machine, per open (saves reuse the derived key).
func DefaultKDF() KDFParams { return KDFParams{Time: 1, MemoryKiB: 64 * 1024, Threads: 4} }

// Bounds accepted on create and on open; the upper bounds keep a hostile
// file from making Open allocate or compute without limit.
const (
	maxKDFTime      = 64
	maxKDFMemoryKiB = 4 << 20 // 4 GiB
	minKDFMemoryKiB = 8
)

func (p KDFParams) validate() error {
	switch {
	case p.Time < 1 || p.Time > maxKDFTime:
		return fmt.Errorf("argon2 time %d outside [1, %d]", p.Time, maxKDFTime)
	case p.Threads < 1:
		return errors.New("argon2 threads must be at least 1")
	case p.MemoryKiB < minKDFMemoryKiB*uint32(p.Threads) || p.MemoryKiB > maxKDFMemoryKiB:
		return fmt.Errorf("argon2 memory %d KiB outside [%d, %d]", p.MemoryKiB, minKDFMemoryKiB*uint32(p.Threads), maxKDFMemoryKiB)
	}
	return nil
}

// cipherKey is what a passphrase and a header's salt and KDF parameters
// yield: the AEAD key and the key check stored in the header.
type cipherKey struct {
	kdf   KDFParams
	salt  [saltSize]byte
	key   [32]byte
	check [checkSize]byte
}

// deriveKey runs argon2id. It is the slow step of Open and Create.
func deriveKey(passphrase string, kdf KDFParams, salt [saltSize]byte) *cipherKey {
	master := argon2.IDKey([]byte(passphrase), salt[:], kdf.Time, kdf.MemoryKiB, kdf.Threads, masterKeyBytes)
	ck := &cipherKey{kdf: kdf, salt: salt}
	ck.key = wire.TaggedHash(keyTag, master)
	ck.check = wire.TaggedHash(checkTag, master)
	clear(master)
	return ck
}

// newCipherKey derives a key for a new file with a fresh random salt.
func newCipherKey(passphrase string, kdf KDFParams) (*cipherKey, error) {
	var salt [saltSize]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return nil, err
	}
	return deriveKey(passphrase, kdf, salt), nil
}

// seal encrypts payload into a complete wallet file with a fresh nonce.
func seal(ck *cipherKey, payload []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(ck.key[:])
	if err != nil {
		return nil, err
	}
	padded := len(payload) + payloadBlock - len(payload)%payloadBlock
	plain := make([]byte, padded)
	copy(plain, payload)
	for i := len(payload); i < padded; i++ {
		plain[i] = ' ' // JSON ignores trailing white space
	}
	ctLen := len(plain) + aead.Overhead()
	if ctLen > maxCiphertext {
		return nil, fmt.Errorf("wallet payload too large (%d bytes)", ctLen)
	}

	h := make([]byte, 0, headerSize+ctLen)
	h = append(h, fileMagic...)
	h = binary.LittleEndian.AppendUint16(h, formatVersion)
	h = append(h, kdfArgon2id, ck.kdf.Threads)
	h = binary.LittleEndian.AppendUint32(h, ck.kdf.Time)
	h = binary.LittleEndian.AppendUint32(h, ck.kdf.MemoryKiB)
	h = append(h, ck.salt[:]...)
	nonceAt := len(h)
	h = append(h, make([]byte, nonceSize)...)
	if _, err := rand.Read(h[nonceAt : nonceAt+nonceSize]); err != nil {
		return nil, err
	}
	h = append(h, ck.check[:]...)
	h = binary.LittleEndian.AppendUint32(h, uint32(ctLen))
	sum := sha256.Sum256(h)
	h = append(h, sum[:checksumSize]...)

	nonce := h[nonceAt : nonceAt+nonceSize]
	return aead.Seal(h, nonce, plain, h[:headerSize]), nil
}

// header is the parsed clear part of a file.
type header struct {
	kdf   KDFParams
	salt  [saltSize]byte
	nonce []byte
	check []byte
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

// parseHeader checks everything that can be checked without the passphrase.
func parseHeader(data []byte) (*header, error) {
	if len(data) < len(fileMagic) || !bytes.Equal(data[:len(fileMagic)], []byte(fileMagic)) {
		return nil, corrupt("no wallet header")
	}
	if len(data) < headerSize {
		return nil, corrupt("truncated header (%d bytes)", len(data))
	}
	sum := sha256.Sum256(data[:headerSize-checksumSize])
	if !bytes.Equal(sum[:checksumSize], data[headerSize-checksumSize:headerSize]) {
		return nil, corrupt("header checksum mismatch")
	}
	if v := binary.LittleEndian.Uint16(data[8:]); v != formatVersion {
		return nil, fmt.Errorf("%w: file format %d, this program reads %d", ErrUnsupportedVersion, v, formatVersion)
	}
	if data[10] != kdfArgon2id {
		return nil, corrupt("unknown key derivation function %d", data[10])
	}
	h := &header{kdf: KDFParams{
		Threads:   data[11],
		Time:      binary.LittleEndian.Uint32(data[12:]),
		MemoryKiB: binary.LittleEndian.Uint32(data[16:]),
	}}
	if err := h.kdf.validate(); err != nil {
		return nil, corrupt("%v", err)
	}
	copy(h.salt[:], data[20:36])
	h.nonce = data[36 : 36+nonceSize]
	h.check = data[60 : 60+checkSize]
	n := binary.LittleEndian.Uint32(data[92:])
	if uint64(n) != uint64(len(data)-headerSize) {
		return nil, corrupt("ciphertext is %d bytes, header says %d (truncated or extended file)", len(data)-headerSize, n)
	}
	if n < chacha20poly1305.Overhead || n > maxCiphertext {
		return nil, corrupt("ciphertext length %d out of range", n)
	}
	return h, nil
}

// open decrypts a wallet file with passphrase. It returns the payload and
// the key, so that later writes need not run the KDF again.
func open(data []byte, passphrase string) ([]byte, *cipherKey, error) {
	h, err := parseHeader(data)
	if err != nil {
		return nil, nil, err
	}
	ck := deriveKey(passphrase, h.kdf, h.salt)
	if subtle.ConstantTimeCompare(ck.check[:], h.check) != 1 {
		return nil, nil, ErrWrongPassphrase
	}
	aead, err := chacha20poly1305.NewX(ck.key[:])
	if err != nil {
		return nil, nil, err
	}
	plain, err := aead.Open(nil, h.nonce, data[headerSize:], data[:headerSize])
	if err != nil {
		return nil, nil, corrupt("contents fail authentication")
	}
	return plain, ck, nil
}
