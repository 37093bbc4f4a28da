package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"powchain/wallet"
)

// runWalletCreate runs `powchain wallet create args...` in this process
// with wc as the command's action, and returns its stdout, its stderr,
// both in the order written, and its error.
func runWalletCreate(t *testing.T, wc walletCreators, args ...string) (stdout, stderr, both string, err error) {
	t.Helper()
	t.Setenv(passphraseEnv, "pass")
	app := newApp()
	var create *cli.Command
	for _, cmd := range app.Commands {
		if cmd.Name == "wallet" {
			create = cmd.Command("create")
		}
	}
	if create == nil {
		t.Fatal("no wallet create command")
	}
	create.Action = wc.run
	var out, errOut, all bytes.Buffer
	app.Writer, app.ErrWriter = io.MultiWriter(&out, &all), io.MultiWriter(&errOut, &all)
	err = app.Run(append([]string{"powchain", "wallet", "create", "--datadir", t.TempDir()}, args...))
	return out.String(), errOut.String(), all.String(), err
}

const cliTestMnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon " +
	"abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art"

// notDurable is wallet.ErrNotDurable as wallet.Create returns it when the
// directory sync failed.
var notDurable = fmt.Errorf("%w: /x/default.wallet: file in place, but its directory could not be synced: sync /x: input/output error", wallet.ErrNotDurable)

// TestWalletCreateNotDurable: when the wallet file is created but not made
// durable, `wallet create` still prints the mnemonic on stdout, then a
// warning on stderr telling the user to write it down now, and fails (exit
// 1) with the error; a creation that worked prints no warning and
// succeeds; one that failed before creating the file prints no mnemonic.
func TestWalletCreateNotDurable(t *testing.T) {
	const warning = "WARNING: the wallet file exists, but the disk failed to make it durable"
	for _, tc := range []struct {
		name      string
		err       error
		mnemonic  bool // printed
		warn      bool
		exit      int
		errString string
	}{
		{"durable", nil, true, false, 0, ""},
		{"not durable", notDurable, true, true, 1, "input/output error"},
		{"failed", errors.New("create wallet directory: permission denied"), false, false, 1, "permission denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var gotPath string
			wc := walletCreators{create: func(path, pass string, opt wallet.Options) (*wallet.Wallet, string, error) {
				gotPath = path
				if tc.err != nil && !errors.Is(tc.err, wallet.ErrNotDurable) {
					return nil, "", tc.err
				}
				return nil, cliTestMnemonic, tc.err // the command does not use the wallet
			}}
			stdout, stderr, both, err := runWalletCreate(t, wc)
			if filepath.Base(gotPath) != "default.wallet" {
				t.Fatalf("created %q", gotPath)
			}
			if got := strings.Contains(stdout, "\n"+cliTestMnemonic+"\n"); got != tc.mnemonic {
				t.Fatalf("mnemonic printed: %v, want %v; stdout:\n%s", got, tc.mnemonic, stdout)
			}
			if got := strings.Contains(stderr, warning); got != tc.warn {
				t.Fatalf("warning printed: %v, want %v; stderr:\n%s", got, tc.warn, stderr)
			}
			if tc.warn {
				if !strings.Contains(stderr, "Write down the mnemonic above now") {
					t.Fatalf("warning does not say to write the words down:\n%s", stderr)
				}
				if strings.Index(both, warning) < strings.Index(both, cliTestMnemonic) {
					t.Fatalf("warning before the mnemonic:\n%s", both)
				}
			}
			if tc.exit == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || exitCode(err) != tc.exit || !strings.Contains(err.Error(), tc.errString) {
				t.Fatalf("error %v (exit %d), want exit %d with %q", err, exitCode(err), tc.exit, tc.errString)
			}
			if tc.warn != errors.Is(err, wallet.ErrNotDurable) {
				t.Fatalf("error %v: ErrNotDurable %v", err, !tc.warn)
			}
		})
	}
}

// TestWalletRestoreNotDurable: `wallet create --restore` whose file was
// written but not made durable says it restored the wallet, warns that a
// crash may lose the file and to restore again then, and exits 1.
func TestWalletRestoreNotDurable(t *testing.T) {
	mfile := filepath.Join(t.TempDir(), "words")
	if err := os.WriteFile(mfile, []byte(cliTestMnemonic+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var gotMnemonic string
	wc := walletCreators{restore: func(path, pass, mnemonic string, opt wallet.Options) (*wallet.Wallet, error) {
		gotMnemonic = mnemonic
		return nil, notDurable
	}}
	stdout, stderr, _, err := runWalletCreate(t, wc, "--restore", "--mnemonic-file", mfile)
	if strings.TrimSpace(gotMnemonic) != cliTestMnemonic {
		t.Fatalf("restored from %q", gotMnemonic)
	}
	if !strings.Contains(stdout, `Wallet "default" restored at`) {
		t.Fatalf("stdout:\n%s", stdout)
	}
	if !strings.Contains(stderr, "WARNING: the wallet file exists, but the disk failed to make it durable") ||
		!strings.Contains(stderr, "restore it again") {
		t.Fatalf("stderr:\n%s", stderr)
	}
	if !errors.Is(err, wallet.ErrNotDurable) || exitCode(err) != 1 {
		t.Fatalf("error %v (exit %d), want ErrNotDurable and exit 1", err, exitCode(err))
	}
}
