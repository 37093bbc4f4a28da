package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"powchain/chain"
	"powchain/rpc"
	"powchain/wallet"
	"powchain/wire"
)

// passphraseEnv holds a wallet passphrase for scripts and tests.
const passphraseEnv = "POWCHAIN_WALLET_PASSPHRASE"

func walletCommand() *cli.Command {
	flags := func(extra ...cli.Flag) []cli.Flag {
		return append(append(clientFlags(),
			stringFlag("wallet", "default", "wallet name (wallets live in <datadir>/<network>/wallets)"),
			stringFlag("passphrase-file", "", "read the passphrase from this file (else "+passphraseEnv+", else a prompt)"),
		), extra...)
	}
	// gap is the flag of the commands that search the wallet's addresses.
	gap := func() cli.Flag {
		return intFlag("gap-limit", wallet.GapLimit, "search this many unused addresses past the last paid one "+
			"(raise it if a restored wallet handed out more unpaid addresses in a row than that)")
	}
	return &cli.Command{
		Name:  "wallet",
		Usage: "create and use an encrypted wallet",
		Subcommands: []*cli.Command{
			withConfig(&cli.Command{
				Name:  "create",
				Usage: "create a wallet; shows its recovery mnemonic once",
				Description: "Prints the new wallet's recovery mnemonic once. Should the wallet file be written but the disk fail to make it durable " +
					"(syncing its directory fails), the mnemonic is printed all the same, followed by a warning that a crash or power loss may " +
					"still lose the file, and the command exits 1: write the words down then; running create again says the wallet exists.",
				Flags: flags(
					boolFlag("restore", "rebuild the wallet from a mnemonic (read from --mnemonic-file or stdin)"),
					stringFlag("mnemonic-file", "", "file holding the mnemonic for --restore (words separated by spaces or line breaks)"),
				),
				Action: walletCreators{create: wallet.Create, restore: wallet.Restore}.run,
			}),
			withConfig(&cli.Command{Name: "address", Usage: "print a new receive address", Flags: flags(), Action: walletAddress}),
			withConfig(&cli.Command{
				Name:  "balance",
				Usage: "confirmed, unconfirmed and immature balance",
				Description: "confirmed: outputs in blocks, spendable now. unconfirmed: outputs of transactions in the node's mempool: " +
					"the change of the wallet's own sends, which `wallet send` spends at once, and payments from others, " +
					"which it spends only once they confirm. immature: coinbase outputs not yet spendable (coinbase maturity).",
				Flags:  flags(boolFlag("json", `print {"confirmed":N,"unconfirmed":N,"immature":N} in base units`), gap()),
				Action: walletBalance,
			}),
			withConfig(&cli.Command{
				Name:  "send",
				Usage: "send coins; prints only the txid",
				Description: "Coins come from confirmed outputs, then from unconfirmed outputs of the wallet's own sends (change); " +
					"payments to the wallet are spent only once they confirm.\n\n" +
					"When the node's answer to the transaction is lost (the connection breaks, or Ctrl-C interrupts the wait), the command fails saying " +
					"the transaction may have been sent, with its txid, and records it: check `powchain wallet list` before sending again.",
				Flags: flags(
					stringFlag("to", "", "destination address"),
					stringFlag("amount", "", "amount in coins, e.g. 1.5"),
					intFlag("fee-rate", int(wallet.DefaultFeeRate), "fee rate in base units per byte"),
					stringFlag("max-fee", rpc.FormatCoins(wallet.DefaultMaxFee), "refuse to pay a fee above this many coins (as bitcoind's -maxtxfee); raise it to pay more"),
					boolFlag("no-broadcast", "print the signed transaction's hex instead of sending it; changes nothing"),
					gap(),
				),
				Action: walletSend,
			}),
			withConfig(&cli.Command{
				Name:  "list",
				Usage: "list the wallet's history, newest first",
				Description: "One line per output ever paid to a receive address, spent or not (a coinbase output says whether it is mature yet), " +
					"and per send, with what it paid and its fee (its change is folded in; a send of this wallet that the node does not have " +
					"says missing). Times: the block's for confirmed entries; for unconfirmed ones, when this wallet made the send, " +
					"else when the node saw the transaction.",
				Flags: flags(
					intFlag("limit", 20, "show the newest N entries (0 = all)"),
					boolFlag("json", "print JSON"),
					gap(),
				),
				Action: walletList,
			}),
			withConfig(&cli.Command{
				Name:  "abandon",
				Usage: "forget a send the node has lost (missing in `wallet list`)",
				Description: "Forgets a send of this wallet that the node has neither in its chain nor in its mempool, and the wallet's sends " +
					"that spend its change, as bitcoind's abandontransaction: `wallet list` no longer shows them and `wallet send` no longer " +
					"spends their coins first. Prints the txids forgotten. A send the node has cannot be abandoned. Should an abandoned " +
					"transaction confirm after all (another node may hold it), `wallet list` shows it again.",
				Flags:  flags(stringFlag("txid", "", "the send's transaction id"), gap()),
				Action: walletAbandon,
			}),
		},
	}
}

// walletOptions are the wallet settings of the selected network.
func walletOptions(params *chain.Params) wallet.Options {
	coin := uint32(wallet.CoinTypeTest)
	if params.Name == chain.MainNet {
		coin = wallet.CoinTypeMain
	}
	return wallet.Options{Network: params.Name, AddressPrefix: params.AddressPrefix, CoinType: coin}
}

func walletPath(c *cli.Context) (string, wallet.Options, error) {
	dir, params, err := netDir(c)
	if err != nil {
		return "", wallet.Options{}, err
	}
	path, err := wallet.FilePath(dir, c.String("wallet"))
	return path, walletOptions(params), err
}

// passphrase comes from --passphrase-file, the environment, or a prompt on
// the terminal (asked twice when confirm is set).
func passphrase(c *cli.Context, confirm bool) (string, error) {
	if f := c.String("passphrase-file"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("passphrase file: %w", err)
		}
		return strings.TrimRight(strings.SplitN(string(b), "\n", 2)[0], "\r"), nil
	}
	if p, ok := os.LookupEnv(passphraseEnv); ok {
		return p, nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", fmt.Errorf("no passphrase: use --passphrase-file, %s or a terminal", passphraseEnv)
	}
	p, err := prompt(fd, "Wallet passphrase: ")
	if err != nil || !confirm {
		return p, err
	}
	again, err := prompt(fd, "Repeat passphrase: ")
	if err != nil {
		return "", err
	}
	if again != p {
		return "", errors.New("the passphrases differ")
	}
	return p, nil
}

func prompt(fd int, text string) (string, error) {
	fmt.Fprint(os.Stderr, text)
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	return string(b), err
}

func openWallet(c *cli.Context) (*wallet.Wallet, error) {
	path, opt, err := walletPath(c)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no wallet %q in %s: create it with `powchain wallet create` (same --datadir, --network and --wallet)", c.String("wallet"), filepath.Dir(path))
	}
	if maxFee := c.String("max-fee"); maxFee != "" {
		if opt.MaxFee, err = rpc.ParseCoins(maxFee); err != nil || opt.MaxFee == 0 {
			return nil, fmt.Errorf("--max-fee %q: want a positive amount of coins, e.g. 0.5", maxFee)
		}
	}
	if g := c.Int("gap-limit"); g != 0 || c.IsSet("gap-limit") { // 0: a command without the flag
		if g < 1 || g > wallet.MaxGapLimit {
			return nil, fmt.Errorf("--gap-limit %d: want 1 to %d addresses", g, wallet.MaxGapLimit)
		}
		opt.GapLimit = uint32(g)
	}
	pass, err := passphrase(c, false)
	if err != nil {
		return nil, err
	}
	return wallet.Open(path, pass, opt)
}

// walletCreators are what `wallet create` calls: wallet.Create and
// wallet.Restore, or in tests functions that fail as they can.
type walletCreators struct {
	create  func(path, passphrase string, opt wallet.Options) (*wallet.Wallet, string, error)
	restore func(path, passphrase, mnemonic string, opt wallet.Options) (*wallet.Wallet, error)
}

// run is `wallet create`. A wallet file written but not made durable
// (wallet.ErrNotDurable) is reported as created, with the mnemonic, then
// a warning on stderr, and the error, so the command exits 1: the user
// sees the words that creating again (ErrExists) never would, and a
// script learns that the disk failed.
func (wc walletCreators) run(c *cli.Context) error {
	path, opt, err := walletPath(c)
	if err != nil {
		return err
	}
	if c.Bool("restore") {
		mnemonic, err := readMnemonic(c)
		if err != nil {
			return err
		}
		pass, err := passphrase(c, true)
		if err != nil {
			return err
		}
		_, err = wc.restore(path, pass, mnemonic, opt)
		if err != nil && !errors.Is(err, wallet.ErrNotDurable) {
			return err
		}
		fmt.Fprintf(c.App.Writer, "Wallet %q restored at %s\n", c.String("wallet"), path)
		fmt.Fprintf(c.App.Writer, "`powchain wallet balance` finds its coins on the node's chain, searching up to %d unpaid addresses "+
			"past the last paid one; if the wallet handed out more unpaid addresses in a row than that, add --gap-limit N\n", wallet.GapLimit)
		if err != nil {
			fmt.Fprintln(c.App.ErrWriter, "WARNING: the wallet file exists, but the disk failed to make it durable: a crash or power loss may still lose it.")
			fmt.Fprintln(c.App.ErrWriter, "Keep the mnemonic you restored from; should the file be gone after a crash, restore it again.")
		}
		return err
	}
	pass, err := passphrase(c, true)
	if err != nil {
		return err
	}
	_, mnemonic, err := wc.create(path, pass, opt)
	if err != nil && !errors.Is(err, wallet.ErrNotDurable) {
		return err
	}
	fmt.Fprintf(c.App.Writer, "Wallet %q created at %s\n\n", c.String("wallet"), path)
	fmt.Fprintln(c.App.Writer, "Write down this recovery mnemonic and keep it safe. It is shown only once;")
	fmt.Fprintln(c.App.Writer, "anyone who has it can spend the wallet's coins:")
	fmt.Fprintf(c.App.Writer, "\n%s\n", mnemonic)
	if err != nil {
		fmt.Fprintln(c.App.ErrWriter, "\nWARNING: the wallet file exists, but the disk failed to make it durable: a crash or power loss may still lose it.")
		fmt.Fprintln(c.App.ErrWriter, "Write down the mnemonic above now: it is not shown again, and `powchain wallet create` now says the wallet exists.")
	}
	return err
}

// readMnemonic reads the mnemonic for --restore: all of --mnemonic-file or
// of piped stdin, so that words written one per line (as on a paper
// backup) restore too, or one line typed at the terminal. Restore
// normalizes the spacing.
func readMnemonic(c *cli.Context) (string, error) {
	var r io.Reader = os.Stdin
	if f := c.String("mnemonic-file"); f != "" {
		file, err := os.Open(f)
		if err != nil {
			return "", fmt.Errorf("mnemonic file: %w", err)
		}
		defer file.Close()
		r = file
	} else if term.IsTerminal(int(os.Stdin.Fd())) {
		fmt.Fprint(os.Stderr, "Mnemonic: ")
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", fmt.Errorf("read mnemonic: %w", err)
		}
		return line, nil
	}
	b, err := io.ReadAll(io.LimitReader(r, maxMnemonicBytes))
	if err != nil {
		return "", fmt.Errorf("read mnemonic: %w", err)
	}
	return string(b), nil
}

// maxMnemonicBytes bounds what readMnemonic reads: 24 words of at most 8
// letters take 215 bytes; a longer input fails validation with its word count.
const maxMnemonicBytes = 64 << 10

func walletAddress(c *cli.Context) error {
	w, err := openWallet(c)
	if err != nil {
		return err
	}
	addr, err := w.NewAddress()
	if err != nil {
		return err
	}
	fmt.Fprintln(c.App.Writer, addr)
	return nil
}

// walletNode opens the wallet and a client of the node it reports to.
func walletNode(c *cli.Context) (*wallet.Wallet, *rpc.Client, error) {
	w, err := openWallet(c)
	if err != nil {
		return nil, nil, err
	}
	client, err := newClient(c)
	if err != nil {
		return nil, nil, err
	}
	return w, client, nil
}

func walletBalance(c *cli.Context) error {
	w, client, err := walletNode(c)
	if err != nil {
		return err
	}
	b, err := w.Balance(c.Context, client)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return json.NewEncoder(c.App.Writer).Encode(b)
	}
	fmt.Fprintf(c.App.Writer, "confirmed:   %s\nunconfirmed: %s\nimmature:    %s\n",
		rpc.FormatCoins(b.Confirmed), rpc.FormatCoins(b.Unconfirmed), rpc.FormatCoins(b.Immature))
	return nil
}

func walletSend(c *cli.Context) error {
	to, amountText := c.String("to"), c.String("amount")
	if to == "" || amountText == "" {
		return cli.Exit("usage: powchain wallet send --to ADDRESS --amount COINS", 2)
	}
	amount, err := rpc.ParseCoins(amountText)
	if err != nil {
		return fmt.Errorf("--amount: %w", err)
	}
	if c.Int("fee-rate") < 0 {
		return errors.New("--fee-rate must not be negative")
	}
	w, client, err := walletNode(c)
	if err != nil {
		return err
	}
	broadcast := !c.Bool("no-broadcast")
	// An interrupt (Ctrl-C) cancels the send's calls to the node instead of
	// killing the process: one that came after the transaction went out is
	// then reported and recorded as maybe sent (wallet.ErrMaybeSent), with
	// its txid, instead of leaving the user to send again and pay twice.
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	txid, txHex, err := w.Send(ctx, client, to, amount, uint64(c.Int("fee-rate")), broadcast)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: %w", err)
		}
		return err
	}
	if broadcast {
		fmt.Fprintln(c.App.Writer, txid)
	} else {
		fmt.Fprintln(c.App.Writer, txHex)
	}
	return nil
}

func walletList(c *cli.Context) error {
	limit := c.Int("limit")
	if limit < 0 {
		return cli.Exit("--limit must not be negative (0 shows everything)", 2)
	}
	w, client, err := walletNode(c)
	if err != nil {
		return err
	}
	entries, err := w.History(c.Context, client)
	if err != nil {
		return err
	}
	total := len(entries)
	if limit > 0 && total > limit {
		entries = entries[:limit]
		defer fmt.Fprintf(c.App.ErrWriter, "(the newest %d of %d entries; --limit 0 shows all)\n", limit, total)
	}
	fillTimes(c.Context, client, entries)
	if c.Bool("json") {
		return json.NewEncoder(c.App.Writer).Encode(entries)
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tKIND\tAMOUNT\tFEE\tCONFIRMATIONS\tTXID\tADDRESS")
	for _, e := range entries {
		when := "-" // a mempool transaction mined between the two calls
		if e.Time != 0 {
			when = time.Unix(e.Time, 0).UTC().Format(time.RFC3339)
		}
		fee := "-"
		if e.Kind == wallet.KindSend {
			fee = rpc.FormatCoins(e.Fee)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", when, historyKind(e), rpc.FormatCoins(e.Amount), fee, e.Confirmations, e.TxID, e.Address)
	}
	return tw.Flush()
}

func walletAbandon(c *cli.Context) error {
	txid := c.String("txid")
	if txid == "" {
		return cli.Exit("usage: powchain wallet abandon --txid TXID", 2)
	}
	if _, err := wire.ParseHash(txid); err != nil {
		return fmt.Errorf("--txid %q: want a transaction id of 64 hex digits", txid)
	}
	w, client, err := walletNode(c)
	if err != nil {
		return err
	}
	gone, err := w.Abandon(c.Context, client, txid)
	if err != nil {
		return err
	}
	for _, id := range gone {
		fmt.Fprintln(c.App.Writer, id)
	}
	return nil
}

// historyKind labels an entry: coinbase outputs say whether they can be
// spent yet, and a send the node lost says so, naming the start of the
// transaction that replaced it (which the list shows whole on its own
// line; --json gives it whole in replaced_by).
func historyKind(e wallet.HistoryEntry) string {
	switch {
	case e.Coinbase && e.Immature:
		return "coinbase (immature)"
	case e.Coinbase:
		return "coinbase (mature)"
	case e.ReplacedBy != "":
		return "send (missing: replaced by " + e.ReplacedBy[:16] + "…)" // the replacement's own line has all of it
	case e.Missing:
		return "send (missing: not in the chain or the mempool)"
	}
	return e.Kind
}

// fillTimes gives unconfirmed entries without a time (what others sent)
// the time their transaction entered the node's mempool; History already
// gives confirmed entries their block's timestamp. Only the entries shown
// are looked up.
func fillTimes(ctx context.Context, client *rpc.Client, entries []wallet.HistoryEntry) {
	for i := range entries {
		e := &entries[i]
		if e.Time != 0 || !e.Mempool {
			continue
		}
		var m rpc.MempoolEntry
		if err := client.Call(ctx, "getmempoolentry", []any{e.TxID}, &m); err == nil {
			e.Time = m.Time
		}
	}
}
