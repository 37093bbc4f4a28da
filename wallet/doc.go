// Package wallet is powchain's key store and payment client: it keeps an
// encrypted wallet file, derives keys and addresses, and reaches a node only
// through its JSON-RPC interface (the Node interface, satisfied by
// *rpc.Client) to learn balances and history and to submit transactions.
// cmd/powchain's `wallet` commands are thin glue over Create, Restore, Open,
// NewAddress, Balance, Send, History and Abandon.
//
// # Keys
//
// A BIP39 mnemonic (24 words, 256 bits from crypto/rand) with an empty BIP39
// passphrase gives the seed; BIP32 (private derivation, bip32.go) derives
// m/86'/coin'/0'/branch/index, branch 0 for receive addresses and 1 for
// change. Each key is a BIP340 x-only key; its address is the bech32m
// encoding of wire.HashPubKey under the network's prefix. The coin type and
// prefix come from Options (CoinTypeMain and "pc" on main, CoinTypeTest and
// "pcrt" on local). The derivation is pinned by test vectors.
//
// # What the file holds
//
// The mnemonic, network name, coin type, the next receive and change
// indexes and the recorded sends (with the outputs they spend), as JSON
// encrypted with XChaCha20-Poly1305 under a key derived from the
// passphrase by argon2id;
// the byte layout is documented in file.go. The wallet keeps no list of
// outputs: the node's address history (getaddresshistory) is the source of
// truth, asked afresh by every Balance, History and Send, page by page
// through next; when blocks arrive between pages the node carries the read
// over and the wallet applies what they changed (readHistory), so a long
// history read on a fast chain completes. The scan (see
// scan) counts an address as used once anything was ever paid to it, so the
// gap limit counts unused addresses as BIP44 means and a restored wallet
// finds every coin, provided the original never handed out more than the
// gap limit (GapLimit, or Options.GapLimit) of unpaid addresses in a row;
// NewAddress works offline and cannot know. History is derived from the
// same answer (receives, and sends with their change folded in), so it is
// the same for every copy of the wallet and does not change when outputs
// are spent. Files written
// before the history index existed have the same layout and open as they
// are; their recorded sends still give unconfirmed sends their time and
// show sends the node lost as missing.
//
// # Invariants
//
//   - Nothing useful is in clear: without the passphrase a file reveals its
//     KDF parameters and roughly its size, not the mnemonic, the network,
//     any key or address.
//   - The file is never half-written: every write goes through
//     internal/atomicfile (temporary file, fsync, rename, directory fsync),
//     and Create/Restore additionally never replace an existing file.
//   - Create never loses a mnemonic it wrote: when the file was created but
//     its directory could not be synced, so that a crash may still make it
//     vanish, Create returns the wallet and the mnemonic with
//     ErrNotDurable (Restore the wallet), since creating again would be
//     ErrExists and the words would never be seen.
//   - A write whose file is in place but not made durable (ErrNotDurable)
//     leaves the Wallet's state that of the file, so the next write is not
//     refused as ErrModified; NewAddress then hands out no address, and
//     Send reports the send as made and recorded.
//   - A receive address is handed out once: NewAddress persists the index
//     before returning the address.
//   - Send spends confirmed mature outputs and unconfirmed outputs of the
//     wallet's own sends, never an unconfirmed payment from someone else
//     (as Bitcoin Core), whose sender could still double-spend it.
//   - A send made while a recorded send is missing (History's Missing: the
//     node has it neither in the chain nor in the mempool, though it may be
//     alive elsewhere) spends one of that send's coins, so that at most one
//     of the two can confirm (History then names the new send in the
//     missing one's ReplacedBy); a missing send that a transaction the
//     node has already conflicts with (ReplacedBy) claims none of its
//     other coins. The wallet keeps no lock on coins: what the node knows
//     is spent is spent, everything else is spendable.
//   - Abandon forgets only a missing send (and the recorded sends that
//     spend its change): one the node has in its chain or mempool is
//     refused (ErrNotAbandonable) and the file is left as it was.
//   - Send with broadcast=false changes nothing on disk; with broadcast it
//     writes only after the node accepted the transaction, or when the
//     node's answer was lost (ErrMaybeSent: the send is recorded, since
//     the node may hold it), never after the node rejected it.
//   - Failures are distinct errors: ErrWrongPassphrase, ErrCorrupt,
//     ErrNotFound, ErrExists, ErrNotDurable, ErrWrongNetwork, ErrInvalidMnemonic,
//     ErrInvalidAddress (and wire.ErrAddressNetwork), ErrInvalidAmount,
//     ErrInsufficientFunds, ErrFeeTooHigh (above Options.MaxFee, as
//     Core's -maxtxfee), ErrMaybeSent, ErrNoSuchSend, ErrNotAbandonable;
//     node errors (rpc.ErrUnreachable,
//     *rpc.Error) are wrapped.
//
// # Concurrency
//
// A Wallet is not safe for concurrent use. A wallet file is meant to be
// used by one process at a time, but a Wallet re-reads the file before each
// write and fails with ErrModified, writing nothing, if another process
// changed it in the meantime (so no update is silently lost and no address
// handed out twice; Send checks before broadcasting too). The re-read and
// the write hold an exclusive flock on the wallets directory, so that two
// processes cannot both pass the check; nothing holds it across a call to
// the node; creation (Create, Restore) takes it too. Holding it, every
// write of the wallet's file, its creation included, first removes the
// temporary files of the file that a process killed mid-write left behind
// (no other write of the file can be running then). ErrModified means nothing
// happened and the command can run again; a change found after the
// broadcast is reported as a send made but not recorded, never as
// ErrModified, since running the send again would pay twice. The package
// starts no goroutines.
// Time is read only from Options.Now (default time.Now: the wallet is a
// client tool, not part of consensus).
package wallet
