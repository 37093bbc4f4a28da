package wallet

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// FuzzDecodeFile decodes arbitrary wallet files: whole files (tampered
// copies of a real one among them), and arbitrary payloads sealed with the
// real file's key, as if the passphrase holder had written them. Decoding
// must never panic; a file that differs from the real one in any byte must
// be refused with ErrCorrupt, ErrWrongPassphrase or ErrUnsupportedVersion
// (nothing in a file escapes authentication); a sealed payload is either
// refused with ErrCorrupt or ErrWrongNetwork or opens as a wallet whose
// mnemonic derives keys.
func FuzzDecodeFile(f *testing.F) {
	// A fixed file: every fuzzing process must judge against the same bytes
	// (Restore would give each a fresh salt and nonce). It is testMnemonic
	// restored with localOpts and testPass.
	path := "testdata/cheapkdf.wallet"
	good, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	goodPayload, ck, err := open(good, testPass)
	if err != nil {
		f.Fatal(err)
	}
	opt, err := localOpts().normalize()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, false)
	f.Add(good[:headerSize], false)
	f.Add(append(bytes.Clone(good), 0), false)
	f.Add(bytes.TrimRight(goodPayload, " "), true)
	f.Add([]byte(`{"network":"local","mnemonic":"abandon"}`), true)
	f.Add([]byte(`{"network":"main","coin_type":1}`), true)
	f.Fuzz(func(t *testing.T, data []byte, sealed bool) {
		file := data
		if sealed {
			if file, err = seal(ck, data); err != nil {
				return // too large to seal
			}
		}
		w, err := decodeFile(path, file, testPass, opt)
		switch {
		case sealed && err != nil:
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrWrongNetwork) {
				t.Fatalf("sealed payload refused with %v", err)
			}
		case sealed:
			if _, err := w.Addresses(); err != nil || ValidateMnemonic(w.st.Mnemonic) != nil {
				t.Fatalf("opened a wallet that cannot derive keys: %v", err)
			}
		case bytes.Equal(file, good):
			if err != nil {
				t.Fatalf("the real file does not open: %v", err)
			}
		case err == nil:
			t.Fatalf("a tampered file (%d bytes, real %d) opened", len(file), len(good))
		case !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrWrongPassphrase) && !errors.Is(err, ErrUnsupportedVersion):
			t.Fatalf("tampered file refused with an unclassified error: %v", err)
		}
	})
}
