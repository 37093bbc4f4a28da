package wallet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	"powchain/internal/atomicfile"
)

// Options configure Create, Restore and Open. Network, AddressPrefix and
// CoinType must be the same every time a file is opened: the file records
// its network and coin type and refuses others.
type Options struct {
	// Network is the network name recorded in the file ("main", "local").
	Network string
	// AddressPrefix is the network's bech32m human-readable part ("pc",
	// "pcrt").
	AddressPrefix string
	// CoinType is the BIP44 coin type in the derivation path (CoinTypeMain,
	// CoinTypeTest).
	CoinType uint32
	// KDF sets the argon2id parameters of a new file; nil means DefaultKDF.
	// Open ignores it: a file opens with the parameters in its header.
	KDF *KDFParams
	// Now is the clock that time-stamps recorded sends; nil means time.Now.
	Now func() time.Time
	// MaxFee is the largest fee Send pays, in base units, as Bitcoin
	// Core's -maxtxfee: a higher fee is refused with a *FeeTooHighError.
	// 0 means DefaultMaxFee.
	MaxFee uint64
	// GapLimit is how many unused addresses past the last used one of
	// each branch Balance, History and Send look at, at most MaxGapLimit;
	// 0 means GapLimit. A restored wallet that once handed out more unused
	// addresses in a row than that finds the coins past them only with a
	// wider gap; once found, the indexes advance and are persisted.
	GapLimit uint32
}

func (o Options) normalize() (Options, error) {
	switch {
	case o.Network == "":
		return o, errors.New("wallet: no network given")
	case o.AddressPrefix == "":
		return o, errors.New("wallet: no address prefix given")
	case o.CoinType >= hardenedKeyStart:
		return o, fmt.Errorf("wallet: coin type %d out of range", o.CoinType)
	case o.GapLimit > MaxGapLimit:
		return o, fmt.Errorf("wallet: gap limit %d is above the maximum %d", o.GapLimit, MaxGapLimit)
	}
	if o.GapLimit == 0 {
		o.GapLimit = GapLimit
	}
	if o.KDF == nil {
		k := DefaultKDF()
		o.KDF = &k
	}
	if err := o.KDF.validate(); err != nil {
		return o, fmt.Errorf("wallet: %w", err)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxFee == 0 {
		o.MaxFee = DefaultMaxFee
	}
	return o, nil
}

// Errors of Create, Restore and Open (see also ErrWrongPassphrase,
// ErrCorrupt, ErrInvalidMnemonic).
var (
	// ErrExists: Create and Restore never overwrite a file.
	ErrExists = errors.New("wallet file already exists")
	// ErrNotDurable: the wallet file was written but its directory could
	// not be synced (atomicfile.ErrDirNotSynced), so a crash or power loss
	// may still undo the write (a new file vanishes, an updated one comes
	// back as it was). Create and Restore return the wallet (and Create
	// the mnemonic) with it: the file is there and usable, and the
	// mnemonic must be shown, since creating again is ErrExists. Every
	// other write (NewAddress, Send, Abandon, a scan's advance) returns it
	// with the Wallet's state already that of the file, so the Wallet
	// stays usable and its next write is not refused as ErrModified.
	ErrNotDurable = errors.New("wallet file written, but the write may not survive a crash or power loss")
	// ErrNotFound: Open found no file at the path.
	ErrNotFound = errors.New("wallet file not found")
	// ErrWrongNetwork: the file belongs to another network (or coin type).
	ErrWrongNetwork = errors.New("wallet belongs to another network")
	// ErrEmptyPassphrase: a wallet file is always encrypted.
	ErrEmptyPassphrase = errors.New("wallet passphrase must not be empty")
	// ErrModified: the file changed on disk since this Wallet read or wrote
	// it (another process used the same wallet); nothing was written.
	ErrModified = errors.New("wallet file was changed by another process; run the command again")
)

// fileState is the encrypted payload, as JSON.
type fileState struct {
	Network     string       `json:"network"`
	CoinType    uint32       `json:"coin_type"`
	Mnemonic    string       `json:"mnemonic"`
	NextReceive uint32       `json:"next_receive"` // receive indexes [0, NextReceive) are handed out
	NextChange  uint32       `json:"next_change"`  // change indexes [0, NextChange) are used
	Created     int64        `json:"created"`      // unix seconds
	Sends       []SendRecord `json:"sends,omitempty"`
}

// SendRecord is a broadcast transaction the wallet made, as kept in the
// file.
type SendRecord struct {
	TxID   string `json:"txid"`
	To     string `json:"to"`
	Amount uint64 `json:"amount"` // base units paid to To
	Fee    uint64 `json:"fee"`    // base units
	Time   int64  `json:"time"`   // unix seconds, from Options.Now
	// TipHeight is the node's best height when the transaction was sent;
	// History orders sends among received outputs with it.
	TipHeight uint64 `json:"tip_height"`
	// Inputs are the outputs it spends ("txid:index"; absent in files
	// written before). While the send is missing, Send spends one of them
	// first (see selectCoins).
	Inputs []string `json:"inputs,omitempty"`
}

// Wallet is an open wallet file: keys derived from its mnemonic, the
// receive and change indexes and the recorded sends. A Wallet is not safe
// for concurrent use, and a wallet file must be used by one process at a
// time (a write that would lose another process's change fails with
// ErrModified instead).
type Wallet struct {
	path   string
	opt    Options
	ck     *cipherKey
	st     fileState
	keys   *keyring
	onDisk []byte // the file's bytes as last read or written
	// replace writes the file over the old one: atomicfile.WriteFile, or
	// in tests one whose directory sync fails.
	replace func(path string, data []byte, perm os.FileMode) error
}

// Create makes a new wallet at path with a fresh 24-word mnemonic, which it
// returns: it is shown to the user once and is the only backup. The parent
// directory is created (0700) if needed; an existing file is never
// overwritten (ErrExists). When the file was written but not made durable
// (an error that errors.Is ErrNotDurable), Create still returns the wallet
// and the mnemonic, which the caller must show.
func Create(path, passphrase string, opt Options) (w *Wallet, mnemonic string, err error) {
	return createWith(path, passphrase, opt, atomicfile.WriteNew)
}

// writeNewFunc creates a file that must not exist yet: atomicfile.WriteNew,
// or in tests one that fails as it can.
type writeNewFunc func(path string, data []byte, perm os.FileMode) error

// createWith is Create writing the file with write.
func createWith(path, passphrase string, opt Options, write writeNewFunc) (*Wallet, string, error) {
	mnemonic, err := newMnemonic()
	if err != nil {
		return nil, "", err
	}
	w, err := create(path, passphrase, mnemonic, opt, write)
	if w == nil {
		return nil, "", err
	}
	return w, mnemonic, err // err is nil or ErrNotDurable
}

// Restore makes a new wallet file at path from an existing BIP39 mnemonic
// (any standard length; case and spacing are normalized). A mnemonic that
// fails the word list or checksum is ErrInvalidMnemonic with the reason.
// The indexes start at zero; Balance and Send find the funds of addresses
// used before (within Options.GapLimit of each other) and advance them.
// When the file was written but not made durable (ErrNotDurable), Restore
// returns the wallet with the error.
func Restore(path, passphrase, mnemonic string, opt Options) (*Wallet, error) {
	return restoreWith(path, passphrase, mnemonic, opt, atomicfile.WriteNew)
}

// restoreWith is Restore writing the file with write.
func restoreWith(path, passphrase, mnemonic string, opt Options, write writeNewFunc) (*Wallet, error) {
	m := NormalizeMnemonic(mnemonic)
	if err := ValidateMnemonic(m); err != nil {
		return nil, err
	}
	return create(path, passphrase, m, opt, write)
}

// create makes the wallet file of mnemonic at path with write. It returns
// the wallet whenever the file was written: with a nil error, or with
// ErrNotDurable.
func create(path, passphrase, mnemonic string, opt Options, write writeNewFunc) (*Wallet, error) {
	opt, err := opt.normalize()
	if err != nil {
		return nil, err
	}
	if passphrase == "" {
		return nil, ErrEmptyPassphrase
	}
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrExists, path)
	}
	keys, err := newKeyring(mnemonic, opt.CoinType, opt.AddressPrefix)
	if err != nil {
		return nil, err
	}
	ck, err := newCipherKey(passphrase, *opt.KDF)
	if err != nil {
		return nil, err
	}
	w := &Wallet{path: path, opt: opt, ck: ck, keys: keys, replace: atomicfile.WriteFile, st: fileState{
		Network:  opt.Network,
		CoinType: opt.CoinType,
		Mnemonic: mnemonic,
		Created:  opt.Now().Unix(),
	}}
	data, err := w.encode(w.st)
	if err != nil {
		return nil, err
	}
	err = writeNew(path, data, write)
	if err != nil && !errors.Is(err, ErrNotDurable) {
		return nil, err
	}
	w.onDisk = data
	return w, err
}

// Open reads and decrypts the wallet at path. Errors: ErrNotFound,
// ErrWrongPassphrase, ErrCorrupt, ErrUnsupportedVersion, ErrWrongNetwork.
func Open(path, passphrase string, opt Options) (*Wallet, error) {
	opt, err := opt.normalize()
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, path)
	}
	if err != nil {
		return nil, fmt.Errorf("read wallet: %w", err)
	}
	return decodeFile(path, data, passphrase, opt)
}

// decodeFile decrypts and checks data, the contents of the wallet file at
// path; opt is normalized.
func decodeFile(path string, data []byte, passphrase string, opt Options) (*Wallet, error) {
	payload, ck, err := open(data, passphrase)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var st fileState
	if err := json.Unmarshal(payload, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", path, corrupt("payload: %v", err))
	}
	if err := ValidateMnemonic(st.Mnemonic); err != nil {
		return nil, fmt.Errorf("%s: %w", path, corrupt("%v", err))
	}
	if st.Network != opt.Network {
		return nil, fmt.Errorf("%w: %s is a %q wallet, not %q", ErrWrongNetwork, path, st.Network, opt.Network)
	}
	if st.CoinType != opt.CoinType {
		return nil, fmt.Errorf("%w: %s derives keys with coin type %d, not %d", ErrWrongNetwork, path, st.CoinType, opt.CoinType)
	}
	keys, err := newKeyring(st.Mnemonic, st.CoinType, opt.AddressPrefix)
	if err != nil {
		return nil, err
	}
	return &Wallet{path: path, opt: opt, ck: ck, st: st, keys: keys, onDisk: data, replace: atomicfile.WriteFile}, nil
}

// Path is the wallet's file.
func (w *Wallet) Path() string { return w.path }

// Network is the network the wallet belongs to.
func (w *Wallet) Network() string { return w.st.Network }

// NewAddress returns the next unused receive address and persists the
// advanced index, so that no address is handed out twice. When the index
// was written but not made durable (ErrNotDurable) it returns no address:
// a crash could bring the old index back and the address would be handed
// out again; the next call hands out the one after it.
func (w *Wallet) NewAddress() (string, error) {
	k, err := w.keys.key(keyPath{BranchReceive, w.st.NextReceive})
	if err != nil {
		return "", err
	}
	st := w.st
	st.NextReceive++
	if err := w.save(st); err != nil {
		return "", err
	}
	return k.address, nil
}

// Addresses returns the receive addresses handed out so far, oldest first.
func (w *Wallet) Addresses() ([]string, error) {
	out := make([]string, 0, w.st.NextReceive)
	for i := uint32(0); i < w.st.NextReceive; i++ {
		k, err := w.keys.key(keyPath{BranchReceive, i})
		if err != nil {
			return nil, err
		}
		out = append(out, k.address)
	}
	return out, nil
}

func (w *Wallet) encode(st fileState) ([]byte, error) {
	payload, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	defer clear(payload)
	return seal(w.ck, payload)
}

// save writes st atomically and makes it the wallet's state. It refuses
// (ErrModified) if the file is not what this Wallet last read or wrote.
// The check and the write are one step under the directory's lock
// (lockFile), so two processes cannot both pass the check and the second
// replace the first one's update. When the file was replaced but its
// directory not synced, st is the wallet's state all the same (it is the
// file's) and the error is ErrNotDurable.
func (w *Wallet) save(st fileState) error {
	data, err := w.encode(st)
	if err != nil {
		return err
	}
	unlock, err := lockFile(w.path)
	if err != nil {
		return fmt.Errorf("write wallet: %w", err)
	}
	defer unlock()
	if err := w.checkUnchanged(); err != nil {
		return err
	}
	err = w.replace(w.path, data, 0o600)
	if err != nil && !errors.Is(err, atomicfile.ErrDirNotSynced) {
		return fmt.Errorf("write wallet: %w", err)
	}
	w.st, w.onDisk = st, data
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotDurable, err)
	}
	return nil
}

// lockFile takes the lock of the directory holding the wallet file at
// path (lockDir), which every writer of the file takes, its creation
// included, and returns its release. Holding it, it first removes the
// temporary files of the file that a process killed mid-write left
// (atomicfile.RemoveTemps): no other write of it can be running. Failing
// to remove one does not stop the write.
func lockFile(path string) (unlock func(), err error) {
	unlock, err = lockDir(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	atomicfile.RemoveTemps(path)
	return unlock, nil
}

// lockDir takes an exclusive advisory lock (flock) on the directory that
// holds the wallet files, waiting for another process's write to finish,
// and returns its release. The kernel drops it if the process dies. It
// locks the directory itself, so no lock file sits beside the wallets.
func lockDir(dir string) (unlock func(), err error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX); err != nil {
		d.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return func() { d.Close() }, nil
}

func (w *Wallet) checkUnchanged() error {
	cur, err := os.ReadFile(w.path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrModified, err)
	}
	if !bytes.Equal(cur, w.onDisk) {
		return ErrModified
	}
	return nil
}

// writeNew creates the wallet file at path with data, atomically, and
// never replaces an existing file (ErrExists), whatever appeared since
// create's early check (atomicfile.WriteNew). It holds the directory's
// lock (lockFile), as every write of the file does, so that a creation
// killed mid-write leaves nothing the next write of the file (or the next
// attempt to create it) does not remove. When the file was written but
// its directory not synced the error is ErrNotDurable (and the cause).
func writeNew(path string, data []byte, write writeNewFunc) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create wallet directory: %w", err)
	}
	unlock, err := lockFile(path)
	if err != nil {
		return fmt.Errorf("write wallet: %w", err)
	}
	defer unlock()
	err = write(path, data, 0o600)
	if errors.Is(err, atomicfile.ErrDirNotSynced) {
		return fmt.Errorf("%w: %w", ErrNotDurable, err)
	}
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %s", ErrExists, path)
	}
	if err != nil {
		return fmt.Errorf("write wallet: %w", err)
	}
	return nil
}

// DefaultName is the wallet name when none is given.
const DefaultName = "default"

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// FilePath returns the file of the wallet called name kept in dir (the
// CLI passes the data dir's network folder): dir/wallets/NAME.wallet.
// Names are 1-64 characters of letters, digits, '.', '_' and '-', not
// starting with a punctuation mark, so a name can never leave dir.
func FilePath(dir, name string) (string, error) {
	if !nameRE.MatchString(name) {
		return "", fmt.Errorf("invalid wallet name %q: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return filepath.Join(dir, "wallets", name+".wallet"), nil
}
