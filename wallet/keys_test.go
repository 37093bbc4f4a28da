package wallet

import (
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
)

// Pinned addresses of testMnemonic: if one of these changes, every
// existing wallet would lose its funds. Never update them.
const (
	pinLocalReceive0 = "pcrt1qw4uku4caz4vawhanch8qztj8ldhxkxupkyfqca" // m/86'/1'/0'/0/0
	pinLocalReceive1 = "pcrt1q8jaa3kjpxkwd4u7emhyczre6zy6l3ceczjuqgx" // m/86'/1'/0'/0/1
	pinLocalChange0  = "pcrt1qfg4cgnrpa639llqf98tdk65clgsaw2l9zkpxtf" // m/86'/1'/0'/1/0
	pinMainReceive0  = "pc1qgtkvtnp5qygp69ulhcu7afluqm6ferax3ee0l5"   // m/86'/2026'/0'/0/0
)

func TestDerivationPinned(t *testing.T) {
	w := restored(t)
	for _, c := range []struct {
		branch, index uint32
		want          string
	}{
		{BranchReceive, 0, pinLocalReceive0},
		{BranchReceive, 1, pinLocalReceive1},
		{BranchChange, 0, pinLocalChange0},
	} {
		if got := addr(t, w, c.branch, c.index); got != c.want {
			t.Errorf("local %d/%d = %s, want %s", c.branch, c.index, got, c.want)
		}
	}
	wm, err := Restore(walletPath(t), testPass, testMnemonic, mainOpts())
	if err != nil {
		t.Fatal(err)
	}
	if got := addr(t, wm, BranchReceive, 0); got != pinMainReceive0 {
		t.Errorf("main 0/0 = %s, want %s", got, pinMainReceive0)
	}
	if got, err := wm.NewAddress(); err != nil || got != pinMainReceive0 {
		t.Errorf("first NewAddress = %s, %v", got, err)
	}
}

// TestBIP86Vectors checks the derivation against BIP86's published test
// vectors (mnemonic "abandon ... about", coin type 0): the x-only key of
// m/86'/0'/0'/b/i is BIP86's internal (untweaked) key.
func TestBIP86Vectors(t *testing.T) {
	m := strings.TrimSpace(strings.Repeat("abandon ", 11)) + " about"
	kr, err := newKeyring(m, 0, "pc")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		branch, index uint32
		internalKey   string
	}{
		{0, 0, "cc8a4bc64d897bddc5fbc2f670f7a8ba0b386779106cf1223c6fc5d7cd6fc115"},
		{0, 1, "83dfe85a3151d2517290da461fe2815591ef69f2b18a2ce63f01697a8b313145"},
		{1, 0, "399f1b2f4393f29a18c937859c5dd8a77350103157eb880f02e8c08214277cef"},
	} {
		k, err := kr.key(keyPath{c.branch, c.index})
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(k.pub[:]); got != c.internalKey {
			t.Errorf("m/86'/0'/0'/%d/%d = %s, want %s", c.branch, c.index, got, c.internalKey)
		}
	}
}

func TestRestoreSameAddresses(t *testing.T) {
	w, mnemonic, err := Create(walletPath(t), testPass, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for range 5 {
		a, err := w.NewAddress()
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, a)
	}
	// Case and spacing do not matter.
	messy := "  " + strings.ToUpper(strings.ReplaceAll(mnemonic, " ", " \n\t ")) + "\n"
	r, err := Restore(walletPath(t), "another passphrase", messy, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range want {
		if got, err := r.NewAddress(); err != nil || got != a {
			t.Fatalf("restored address %d = %s, %v; want %s", i, got, err, a)
		}
	}
	if got, want := addr(t, r, BranchChange, 3), addr(t, w, BranchChange, 3); got != want {
		t.Fatalf("change addresses differ: %s %s", got, want)
	}
}

func TestRestoreFindsFundsPastTheIndexes(t *testing.T) {
	orig := restored(t)
	node := newNode()
	// Used receive addresses 3, 15 and 30 (30 is within the gap of 15, not
	// of 0) and change 5; 60 is past every gap and stays unseen.
	node.fund(addr(t, orig, BranchReceive, 3), 1e8, "")
	node.fund(addr(t, orig, BranchReceive, 15), 2e8, "mempool")
	node.fund(addr(t, orig, BranchReceive, 30), 4e8, "immature")
	node.fund(addr(t, orig, BranchChange, 5), 8e8, "")
	node.fund(addr(t, orig, BranchReceive, 60), 16e8, "")

	path := walletPath(t)
	w, err := Restore(path, testPass, testMnemonic, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.Balance(t.Context(), node)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Balance{Confirmed: 9e8, Unconfirmed: 2e8, Immature: 4e8}); b != want {
		t.Fatalf("balance %+v, want %+v", b, want)
	}
	// The indexes advanced past what was found, and were persisted.
	w2, err := Open(path, testPass, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	if w2.st.NextReceive != 31 || w2.st.NextChange != 6 {
		t.Fatalf("indexes %d/%d, want 31/6", w2.st.NextReceive, w2.st.NextChange)
	}
	a, err := w2.NewAddress()
	if err != nil || a != addr(t, orig, BranchReceive, 31) {
		t.Fatalf("next address %s, %v", a, err)
	}
	// Every address asked about once per scan, in requests of bounded size.
	for _, r := range node.requests {
		if len(r) > maxAddressesPerRequest {
			t.Fatalf("request of %d addresses", len(r))
		}
	}

	// Address 60, 29 unpaid addresses past 31 (the wallet handed them
	// out), is found with a gap of 30, and the indexes it advances are
	// persisted, so the default gap keeps finding it.
	wide := localOpts()
	wide.GapLimit = 30
	w3, err := Open(path, testPass, wide)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := w3.Balance(t.Context(), node); err != nil || b.Confirmed != 25e8 {
		t.Fatalf("balance with a gap of 30: %+v, %v", b, err)
	}
	w4, err := Open(path, testPass, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	if b, err := w4.Balance(t.Context(), node); err != nil || b.Confirmed != 25e8 || w4.st.NextReceive != 61 {
		t.Fatalf("balance with the default gap after the wide one: %+v, %v, next receive %d", b, err, w4.st.NextReceive)
	}
	wide.GapLimit = MaxGapLimit + 1
	if _, err := Open(path, testPass, wide); err == nil || !strings.Contains(err.Error(), "gap limit") {
		t.Fatalf("gap limit above the maximum: %v", err)
	}
}

func TestInvalidMnemonic(t *testing.T) {
	cases := map[string]string{
		"empty":          "",
		"too short":      "abandon abandon abandon",
		"25 words":       strings.Repeat("abandon ", 25),
		"unknown word":   strings.Replace(testMnemonic, "art", "artt", 1),
		"bad checksum":   strings.Repeat("abandon ", 24),
		"swapped words":  "zoo " + strings.TrimSpace(strings.Repeat("abandon ", 22)) + " art",
		"non-english":    strings.Replace(testMnemonic, "abandon", "ábaco", 1),
		"number in list": strings.Replace(testMnemonic, "abandon", "1", 1),
	}
	for name, m := range cases {
		path := walletPath(t)
		_, err := Restore(path, testPass, m, localOpts())
		if !errors.Is(err, ErrInvalidMnemonic) {
			t.Errorf("%s: got %v", name, err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("%s: a file was written", name)
		}
	}
	err := ValidateMnemonic(strings.Repeat("abandon ", 24))
	if err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("checksum error unclear: %v", err)
	}
	err = ValidateMnemonic(strings.Replace(testMnemonic, "art", "artt", 1))
	if err == nil || !strings.Contains(err.Error(), `"artt"`) {
		t.Errorf("word error unclear: %v", err)
	}
}

func TestNewAddressPersists(t *testing.T) {
	path := walletPath(t)
	w, err := Restore(path, testPass, testMnemonic, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		a, err := w.NewAddress()
		if err != nil {
			t.Fatal(err)
		}
		w2, err := Open(path, testPass, localOpts())
		if err != nil {
			t.Fatal(err)
		}
		if w2.st.NextReceive != uint32(i+1) {
			t.Fatalf("after address %d the file says next=%d", i, w2.st.NextReceive)
		}
		if a != addr(t, w2, BranchReceive, uint32(i)) {
			t.Fatal("address differs from the derived one")
		}
	}
}
