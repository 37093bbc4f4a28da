package wallet

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"powchain/internal/atomicfile"
)

func TestCreateOpenRoundTrip(t *testing.T) {
	path := walletPath(t)
	w, mnemonic, err := Create(path, testPass, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Fields(mnemonic)); n != MnemonicWords {
		t.Fatalf("mnemonic has %d words", n)
	}
	if err := ValidateMnemonic(mnemonic); err != nil {
		t.Fatal(err)
	}
	a0, err := w.NewAddress()
	if err != nil {
		t.Fatal(err)
	}
	a1, err := w.NewAddress()
	if err != nil {
		t.Fatal(err)
	}
	if a0 == a1 || !strings.HasPrefix(a0, "pcrt1q") {
		t.Fatalf("addresses %q %q", a0, a1)
	}

	w2, err := Open(path, testPass, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	if w2.st.Mnemonic != mnemonic || w2.Network() != "local" || w2.Path() != path {
		t.Fatalf("reopened state differs: %+v", w2.st)
	}
	if got, _ := w2.Addresses(); len(got) != 2 || got[0] != a0 || got[1] != a1 {
		t.Fatalf("Addresses() = %v, want [%s %s]", got, a0, a1)
	}
	a2, err := w2.NewAddress()
	if err != nil {
		t.Fatal(err)
	}
	if a2 != addr(t, w, BranchReceive, 2) {
		t.Fatalf("third address %s is not index 2", a2)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("file mode: %v %v", info.Mode(), err)
	}
}

func TestOpenIgnoresOptionKDF(t *testing.T) {
	path := walletPath(t)
	if _, _, err := Create(path, testPass, localOpts()); err != nil {
		t.Fatal(err)
	}
	opt := localOpts()
	opt.KDF = &KDFParams{Time: 3, MemoryKiB: 1024, Threads: 2}
	if _, err := Open(path, testPass, opt); err != nil {
		t.Fatalf("open with other KDF options: %v", err)
	}
}

func TestDefaultKDFStoredInHeader(t *testing.T) {
	path := walletPath(t)
	opt := localOpts()
	opt.KDF = nil
	if _, err := Restore(path, testPass, testMnemonic, opt); err != nil {
		t.Fatal(err)
	}
	h, err := parseHeader(readFile(t, path))
	if err != nil {
		t.Fatal(err)
	}
	if h.kdf != DefaultKDF() {
		t.Fatalf("header KDF %+v, want %+v", h.kdf, DefaultKDF())
	}
}

func TestWrongPassphrase(t *testing.T) {
	path := walletPath(t)
	if _, _, err := Create(path, testPass, localOpts()); err != nil {
		t.Fatal(err)
	}
	for _, pass := range []string{"", "wrong", testPass + " "} {
		_, err := Open(path, pass, localOpts())
		if !errors.Is(err, ErrWrongPassphrase) || errors.Is(err, ErrCorrupt) {
			t.Errorf("passphrase %q: got %v, want ErrWrongPassphrase", pass, err)
		}
	}
}

func TestEmptyPassphraseRefused(t *testing.T) {
	path := walletPath(t)
	if _, _, err := Create(path, "", localOpts()); !errors.Is(err, ErrEmptyPassphrase) {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("a file was written")
	}
}

func TestCorruptFile(t *testing.T) {
	path := walletPath(t)
	if _, err := Restore(path, testPass, testMnemonic, localOpts()); err != nil {
		t.Fatal(err)
	}
	good := readFile(t, path)

	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x40
		return b
	}
	cases := map[string][]byte{
		"empty":             {},
		"magic only":        []byte(fileMagic),
		"truncated header":  good[:headerSize-1],
		"header only":       good[:headerSize],
		"truncated by one":  good[:len(good)-1],
		"extended":          append(bytes.Clone(good), 0),
		"garbage":           bytes.Repeat([]byte{0x5a}, len(good)),
		"text file":         []byte("mnemonic: abandon abandon\n"),
		"flipped magic":     flip(0),
		"flipped kdf param": flip(13),
		"flipped salt":      flip(25),
		"flipped checksum":  flip(headerSize - 1),
		"flipped body":      flip(headerSize + 10),
		"flipped tag":       flip(len(good) - 1),
	}
	for name, data := range cases {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(path, testPass, localOpts())
		if !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrWrongPassphrase) {
			t.Errorf("%s: got %v, want ErrCorrupt", name, err)
		}
	}

	// A consistent header of a newer format is not "corrupt".
	b := bytes.Clone(good)
	binary.LittleEndian.PutUint16(b[8:], formatVersion+1)
	sum := sha256.Sum256(b[:headerSize-checksumSize])
	copy(b[headerSize-checksumSize:], sum[:checksumSize])
	os.WriteFile(path, b, 0o600)
	if _, err := Open(path, testPass, localOpts()); !errors.Is(err, ErrUnsupportedVersion) {
		t.Errorf("newer version: got %v", err)
	}

	os.WriteFile(path, good, 0o600)
	if _, err := Open(path, testPass, localOpts()); err != nil {
		t.Fatalf("restored original: %v", err)
	}
}

func TestOpenMissing(t *testing.T) {
	_, err := Open(walletPath(t), testPass, localOpts())
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("got %v", err)
	}
}

func TestOtherNetwork(t *testing.T) {
	path := walletPath(t)
	if _, err := Restore(path, testPass, testMnemonic, localOpts()); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path, testPass, mainOpts())
	if !errors.Is(err, ErrWrongNetwork) || !strings.Contains(err.Error(), `"local"`) {
		t.Fatalf("got %v", err)
	}
	opt := localOpts()
	opt.CoinType = 7
	if _, err := Open(path, testPass, opt); !errors.Is(err, ErrWrongNetwork) {
		t.Fatalf("other coin type: got %v", err)
	}
}

func TestNothingReadable(t *testing.T) {
	path := walletPath(t)
	w, mnemonic, err := Create(path, testPass, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	node := newNode()
	for range 3 {
		a, err := w.NewAddress()
		if err != nil {
			t.Fatal(err)
		}
		node.fund(a, 5*1e8, "")
	}
	dest := addr(t, restored(t), BranchReceive, 0)
	if _, _, err := w.Send(t.Context(), node, dest, 1e8, 1, true); err != nil {
		t.Fatal(err)
	}
	data := readFile(t, path)

	secrets := []string{mnemonic, "local", "pcrt", "mnemonic", "next_receive", dest}
	for _, word := range strings.Fields(mnemonic) {
		if len(word) >= 4 { // shorter strings occur in random bytes too often
			secrets = append(secrets, word)
		}
	}
	for b := uint32(0); b <= BranchChange; b++ {
		for i := uint32(0); i < 5; i++ {
			a := addr(t, w, b, i)
			secrets = append(secrets, a, a[5:], strings.ToUpper(a))
			k, _ := w.keys.key(keyPath{b, i})
			secrets = append(secrets, string(k.keyHash[:]), string(k.pub[:]))
		}
	}
	for _, s := range secrets {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("file contains %q", s)
		}
	}
	if len(data)%payloadBlock != (headerSize+16)%payloadBlock {
		t.Errorf("payload not padded: %d bytes", len(data))
	}
}

func TestAtomicWritesLeaveNoTempFiles(t *testing.T) {
	path := walletPath(t)
	w, _, err := Create(path, testPass, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	node := newNode()
	a, _ := w.NewAddress()
	node.fund(a, 3e8, "")
	if _, _, err := w.Send(t.Context(), node, a, 1e8, 1, true); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Balance(t.Context(), node); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Create(path, testPass, localOpts()); !errors.Is(err, ErrExists) {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != filepath.Base(path) {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("directory holds %v", names)
	}
}

func TestCreateRefusesToOverwrite(t *testing.T) {
	path := walletPath(t)
	if _, _, err := Create(path, testPass, localOpts()); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, path)
	if _, _, err := Create(path, "other", localOpts()); !errors.Is(err, ErrExists) {
		t.Fatalf("Create: got %v", err)
	}
	if _, err := Restore(path, "other", testMnemonic, localOpts()); !errors.Is(err, ErrExists) {
		t.Fatalf("Restore: got %v", err)
	}
	// Even when the existence check passes (the file appears between the
	// check and the write), writeNew refuses to replace it.
	if err := writeNew(path, []byte("x"), atomicfile.WriteNew); !errors.Is(err, ErrExists) {
		t.Fatalf("writeNew: got %v", err)
	}
	if !bytes.Equal(before, readFile(t, path)) {
		t.Fatal("file changed")
	}
}

func TestConcurrentModificationDetected(t *testing.T) {
	path := walletPath(t)
	if _, err := Restore(path, testPass, testMnemonic, localOpts()); err != nil {
		t.Fatal(err)
	}
	w1, err := Open(path, testPass, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	w2, err := Open(path, testPass, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	a1, err := w1.NewAddress()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w2.NewAddress(); !errors.Is(err, ErrModified) {
		t.Fatalf("stale wallet wrote: %v", err)
	}
	w3, err := Open(path, testPass, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := w3.Addresses(); len(got) != 1 || got[0] != a1 {
		t.Fatalf("addresses after conflict: %v", got)
	}
}

func TestBadKDFOptions(t *testing.T) {
	for _, k := range []KDFParams{{0, 64, 1}, {1, 64, 0}, {1, 4, 1}, {1, maxKDFMemoryKiB + 1, 1}, {maxKDFTime + 1, 64, 1}} {
		opt := localOpts()
		opt.KDF = &k
		if _, _, err := Create(walletPath(t), testPass, opt); err == nil {
			t.Errorf("KDF %+v accepted", k)
		}
	}
	for _, opt := range []Options{{AddressPrefix: "pcrt"}, {Network: "local"}, {Network: "local", AddressPrefix: "pcrt", CoinType: 1 << 31}} {
		if _, _, err := Create(walletPath(t), testPass, opt); err == nil {
			t.Errorf("options %+v accepted", opt)
		}
	}
}

func TestFilePath(t *testing.T) {
	p, err := FilePath("/data/local", DefaultName)
	if err != nil || p != filepath.Join("/data/local", "wallets", "default.wallet") {
		t.Fatalf("FilePath = %q, %v", p, err)
	}
	for _, bad := range []string{"", ".", "..", "../x", "a/b", ".hidden", "a b", strings.Repeat("a", 65)} {
		if _, err := FilePath("/d", bad); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
}

// Two processes using one wallet file at once: every update that reports
// success is in the file and no address is handed out twice. save's
// check of the file and its write are one step under a lock; before, a
// second writer could pass its check between the first one's check and
// rename and then replace the first one's file.
func TestConcurrentWritersLoseNothing(t *testing.T) {
	path := walletPath(t)
	if _, err := Restore(path, testPass, testMnemonic, localOpts()); err != nil {
		t.Fatal(err)
	}
	const perWriter = 60
	handedOut := make([][]string, 2)
	errs := make(chan error, 2)
	for i := range handedOut {
		go func() {
			errs <- func() error {
				w, err := Open(path, testPass, localOpts())
				for err == nil && len(handedOut[i]) < perWriter {
					var a string
					if a, err = w.NewAddress(); err == nil {
						handedOut[i] = append(handedOut[i], a)
					} else if errors.Is(err, ErrModified) {
						w, err = Open(path, testPass, localOpts())
					}
				}
				return err
			}()
		}()
	}
	for range handedOut {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	w, err := Open(path, testPass, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	inFile, _ := w.Addresses()
	all := slices.Concat(handedOut...)
	slices.Sort(all)
	if dup := len(all) - len(slices.Compact(slices.Clone(all))); dup > 0 {
		t.Errorf("%d addresses handed out twice", dup)
	}
	if len(inFile) != 2*perWriter {
		t.Errorf("the file holds %d receive addresses, %d were handed out", len(inFile), 2*perWriter)
	}
}

// TestWriteRemovesTempsLeftByCrash: the temporary file of a write of the
// wallet's file that a killed process left (made by the same call
// atomicfile makes) stays while another process holds the wallets
// directory's lock, which it could be writing under, and is gone after
// the next write; another wallet's stays.
func TestWriteRemovesTempsLeftByCrash(t *testing.T) {
	path := walletPath(t)
	w, _, err := Create(path, testPass, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	checkTempsRemovedUnderLock(t, path, func() error {
		_, err := w.NewAddress()
		return err
	}, func() {})
}

// TestCreateRemovesTempsLeftByCrash: creation writes through the same
// temporary files as every write of the wallet's file, under the same
// lock. One that a killed creation left (made by the same call atomicfile
// makes) stays while another process holds the wallets directory's lock,
// which it could be writing under, and Create waits for the lock; once it
// has it, the file is created and the temporary file is gone. Another
// wallet's and a look-alike stay.
func TestCreateRemovesTempsLeftByCrash(t *testing.T) {
	path := walletPath(t)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	checkTempsRemovedUnderLock(t, path, func() error {
		_, _, err := Create(path, testPass, localOpts())
		return err
	}, func() {
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("created while another process held the lock: %v", err)
		}
	})
	if _, err := Open(path, testPass, localOpts()); err != nil {
		t.Fatal(err)
	}
}

// checkTempsRemovedUnderLock leaves beside path (in an existing wallets
// directory) a temporary file of it, as a write killed before its rename
// does, and two that are not its (another wallet's, and one of a file
// named like path's temporary file); runs write while another process
// holds the wallets directory's lock, and checks, once write waits for
// the lock, that the temporary file stays (as whileLocked's own checks
// do), and that once write has the lock and returns it is gone and the
// others stay.
func checkTempsRemovedUnderLock(t *testing.T, path string, write func() error, whileLocked func()) {
	t.Helper()
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		t.Fatal(err)
	}
	tmp.WriteString("half a wallet")
	tmp.Close()
	others := []string{".other.wallet.tmp12", "." + filepath.Base(path) + ".tmp3.tmp4"}
	for _, name := range others {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	unlock, err := lockDir(dir) // another process, perhaps writing
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- write() }()
	waitForLockWaiter(t, dir)
	whileLocked()
	if _, err := os.Stat(tmp.Name()); err != nil {
		t.Errorf("removed while another process held the lock: %v", err)
	}
	unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp.Name()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("left after the write: %v", err)
	}
	for _, name := range others {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// waitForLockWaiter waits until a flock on dir is waited for (a "->" line
// of /proc/locks names dir's inode): the writer has reached the lock and
// is blocked on it.
func waitForLockWaiter(t *testing.T, dir string) {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		t.Fatal(err)
	}
	inode := fmt.Sprintf(":%d ", st.Ino) // "major:minor:inode start end"
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		locks, err := os.ReadFile("/proc/locks")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(locks), "\n") {
			if strings.Contains(line, "-> FLOCK") && strings.Contains(line, inode) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing waited for the lock on %s in a minute", dir)
		}
	}
}

// unsynced is write (atomicfile.WriteNew or WriteFile) on a disk whose
// directory sync fails: the file is created or replaced, and the error is
// atomicfile's, with cause.
func unsynced(write writeNewFunc, cause error) writeNewFunc {
	return func(path string, data []byte, perm os.FileMode) error {
		if err := write(path, data, perm); err != nil {
			return err
		}
		return fmt.Errorf("%s: %w: %w", path, atomicfile.ErrDirNotSynced, cause)
	}
}

// TestCreateNotDurable: when the file is created but its directory cannot
// be synced, Create returns the wallet and its mnemonic with ErrNotDurable
// (and the cause), and the file is the wallet of that mnemonic, usable
// now; creating again is ErrExists, so the mnemonic returned here is the
// only time it is seen. A write that fails before creating the file
// returns no wallet and no mnemonic, and is not ErrNotDurable.
func TestCreateNotDurable(t *testing.T) {
	cause := errors.New("injected: sync: input/output error")
	path := walletPath(t)
	w, mnemonic, err := createWith(path, testPass, localOpts(), unsynced(atomicfile.WriteNew, cause))
	if !errors.Is(err, ErrNotDurable) || !errors.Is(err, cause) || !errors.Is(err, atomicfile.ErrDirNotSynced) {
		t.Fatalf("Create: %v; want ErrNotDurable wrapping the cause", err)
	}
	if w == nil {
		t.Fatal("Create returned no wallet with ErrNotDurable")
	}
	if err := ValidateMnemonic(mnemonic); err != nil {
		t.Fatalf("mnemonic %q: %v", mnemonic, err)
	}
	addr, err := w.NewAddress() // the returned wallet writes its file as any other
	if err != nil {
		t.Fatal(err)
	}
	opened, err := Open(path, testPass, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := opened.Addresses(); !slices.Equal(got, []string{addr}) {
		t.Fatalf("file's addresses %v, want [%s]", got, addr)
	}
	fromWords, err := Restore(filepath.Join(t.TempDir(), "w"), testPass, mnemonic, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := fromWords.NewAddress(); a != addr {
		t.Fatalf("the mnemonic returned gives address %s, the file %s", a, addr)
	}
	if _, _, err := Create(path, testPass, localOpts()); !errors.Is(err, ErrExists) {
		t.Fatalf("second Create: %v", err)
	}

	other := walletPath(t)
	failed := func(string, []byte, os.FileMode) error { return cause }
	w, mnemonic, err = createWith(other, testPass, localOpts(), failed)
	if w != nil || mnemonic != "" || !errors.Is(err, cause) || errors.Is(err, ErrNotDurable) {
		t.Fatalf("Create whose write failed: %v, %q, %v", w, mnemonic, err)
	}
}

// TestRestoreNotDurable: Restore too returns the wallet with ErrNotDurable
// when the file was created but not synced.
func TestRestoreNotDurable(t *testing.T) {
	cause := errors.New("injected: sync: input/output error")
	path := walletPath(t)
	w, err := restoreWith(path, testPass, testMnemonic, localOpts(), unsynced(atomicfile.WriteNew, cause))
	if !errors.Is(err, ErrNotDurable) || !errors.Is(err, cause) || w == nil {
		t.Fatalf("Restore: %v, %v; want the wallet and ErrNotDurable", w, err)
	}
	want, err := restored(t).NewAddress()
	if err != nil {
		t.Fatal(err)
	}
	opened, err := Open(path, testPass, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := opened.NewAddress(); got != want {
		t.Fatalf("restored file's first address %s, want %s", got, want)
	}
}

// TestWriteNotDurable: when a write replaces the file but its directory
// cannot be synced, the error is ErrNotDurable (and the cause), and the
// Wallet's state is the file's: NewAddress hands out no address (a crash
// could bring the old index back and hand it out again), and the next
// write, once the disk syncs again, is not refused as ErrModified and
// hands out the address after it; a send is reported as sent and
// recorded, not as unrecorded, and the file holds it.
func TestWriteNotDurable(t *testing.T) {
	cause := errors.New("injected: sync: input/output error")
	w, path := restoredFile(t)
	first, err := restored(t).NewAddress()
	if err != nil {
		t.Fatal(err)
	}
	w.replace = unsynced(atomicfile.WriteFile, cause)
	if a, err := w.NewAddress(); a != "" || !errors.Is(err, ErrNotDurable) || !errors.Is(err, cause) {
		t.Fatalf("NewAddress on a disk that does not sync: %q, %v; want no address and ErrNotDurable", a, err)
	}
	w.replace = atomicfile.WriteFile
	second, err := w.NewAddress()
	if err != nil {
		t.Fatalf("NewAddress after a write that was not made durable: %v", err)
	}
	if second == first {
		t.Fatalf("NewAddress handed out %s, the address of the write that was not made durable", second)
	}
	opened, err := Open(path, testPass, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	if opened.st.NextReceive != 2 {
		t.Fatalf("file's next receive index %d, want 2", opened.st.NextReceive)
	}

	node := newNode()
	node.fund(addr(t, w, BranchReceive, 0), 10e8, "")
	node.onSend = func(txHex string) { node.accept(t, txHex) }
	to, _ := other(t)
	w.replace = unsynced(atomicfile.WriteFile, cause)
	txid, _, err := w.Send(t.Context(), node, to, 1e8, 1, true)
	if !errors.Is(err, ErrNotDurable) || txid == "" || !strings.Contains(err.Error(), "sent and recorded") ||
		!strings.Contains(err.Error(), "do not send it again") {
		t.Fatalf("send on a disk that does not sync: txid %q, %v", txid, err)
	}
	opened, err = Open(path, testPass, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(opened.st.Sends) != 1 || opened.st.Sends[0].TxID != txid {
		t.Fatalf("file's sends %+v, want the one to %s", opened.st.Sends, txid)
	}
}
