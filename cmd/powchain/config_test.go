package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestFlagPrecedence: a flag beats the environment, which beats the config
// file, which beats the default. The rpc client command shows which
// address it used in its "unreachable" error.
func TestFlagPrecedence(t *testing.T) {
	datadir := t.TempDir()
	// The default config file lives in the data dir.
	if err := os.WriteFile(filepath.Join(datadir, "powchain.toml"), []byte("rpc = \"127.0.0.1:3\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	explicit := filepath.Join(t.TempDir(), "other.toml")
	if err := os.WriteFile(explicit, []byte("rpc = \"127.0.0.1:4\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cookie := filepath.Join(t.TempDir(), "cookie")
	os.WriteFile(cookie, []byte("u:p\n"), 0o600)
	base := []string{"rpc", "--datadir", datadir, "--rpc-cookie", cookie}
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"config file in the data dir", nil, nil, "127.0.0.1:3"},
		{"--config file", nil, []string{"--config", explicit}, "127.0.0.1:4"},
		{"POWCHAIN_CONFIG", []string{"POWCHAIN_CONFIG=" + explicit}, nil, "127.0.0.1:4"},
		{"environment over config", []string{"POWCHAIN_RPC=127.0.0.1:2"}, nil, "127.0.0.1:2"},
		{"flag over environment", []string{"POWCHAIN_RPC=127.0.0.1:2"}, []string{"--rpc", "127.0.0.1:1"}, "127.0.0.1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append(append([]string{}, base...), tc.args...), "getblockcount")
			r := runCLI(t, tc.env, args...)
			if r.code == 0 || !strings.Contains(r.stderr, "http://"+tc.want+"/") {
				t.Fatalf("exit %d, stderr %q; want an unreachable error naming %s", r.code, r.stderr, tc.want)
			}
		})
	}
	// No config anywhere: the default is to look for a running node.
	r := runCLI(t, nil, "rpc", "--datadir", t.TempDir(), "getblockcount")
	if r.code == 0 || !strings.Contains(r.stderr, "no running node") {
		t.Fatalf("defaults: exit %d, stderr %q", r.code, r.stderr)
	}
	// A config file that does not parse is an error, not silently ignored.
	bad := filepath.Join(t.TempDir(), "bad.toml")
	for _, tc := range []struct{ text, want string }{
		{"# rpc\nrpc = [unterminated\n", "config file " + bad + ", line 2: "},
		{"rpc = \"127.0.0.1:1\"\nrpc-usr = \"me\"\n", "config file " + bad + `: unknown key "rpc-usr"; did you mean rpc-user?`},
		{"max-peers = \"ten\"\n", "config file " + bad + ": max-peers must be a whole number"},
		{"max-peers = 99999999999999999999\n", "config file " + bad + ", line 1: 99999999999999999999 is out of range: whole numbers go from -9223372036854775808 to 9223372036854775807"},
		{"connect = \"a:1\"\n", "config file " + bad + `: connect must be a list of strings, e.g. ["a", "b"]`},
		{"config = \"other.toml\"\n", "config file " + bad + `: unknown key "config"`},
		{"amount = \"1\"\n", "config file " + bad + ": amount is given on the command line (--amount), not in the config file"},
		{"to = \"pcrt1q\"\n", "config file " + bad + ": to is given on the command line (--to), not in the config file"},
	} {
		os.WriteFile(bad, []byte(tc.text), 0o600)
		r = runCLI(t, nil, "rpc", "--config", bad, "getblockcount")
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) || strings.Contains(r.stderr, "inner error") {
			t.Errorf("config %q: exit %d, stderr %q; want %q", tc.text, r.code, r.stderr, tc.want)
		}
	}
	// A key of another command is fine: one file serves them all.
	os.WriteFile(bad, []byte("listen = \"127.0.0.1:1\"\nconnect = [\"a:1\"]\nrpc = \"127.0.0.1:5\"\n"), 0o600)
	r = runCLI(t, nil, "rpc", "--config", bad, "--rpc-cookie", cookie, "getblockcount")
	if r.code == 0 || !strings.Contains(r.stderr, "http://127.0.0.1:5/") {
		t.Errorf("shared config: exit %d, stderr %q; want the rpc key used", r.code, r.stderr)
	}
	// --rpc without credentials: the three ways to authenticate.
	r = runCLI(t, nil, "rpc", "--rpc", "127.0.0.1:5", "--datadir", t.TempDir(), "getblockcount")
	for _, want := range []string{"--rpc-user and --rpc-password", "--rpc-cookie", "--datadir and --network"} {
		if r.code == 0 || !strings.Contains(r.stderr, want) {
			t.Errorf("--rpc without credentials: exit %d, stderr %q; want %q", r.code, r.stderr, want)
		}
	}
	// Missing explicit config file: an error.
	r = runCLI(t, nil, "rpc", "--config", filepath.Join(t.TempDir(), "nope.toml"), "getblockcount")
	if r.code == 0 || !strings.Contains(r.stderr, "nope.toml") {
		t.Fatalf("missing config: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestUsageErrors: a bad command line exits non-zero with a message in
// the user's terms: no Go package or type names.
func TestUsageErrors(t *testing.T) {
	goInternals := regexp.MustCompile(`slog:|strconv|json:|Go value|\bpanic\b|goroutine`)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"rpc"}, "usage: powchain rpc METHOD"},
		{[]string{"node", "run", "--network", "moon", "--datadir", t.TempDir()}, `unknown network "moon"`},
		{[]string{"node", "run", "--log-level", "loud", "--datadir", t.TempDir()}, `--log-level must be debug, info, warn or error, not "loud"`},
		{[]string{"node", "run", "--log-format", "xml", "--datadir", t.TempDir()}, `--log-format must be text or json, not "xml"`},
		{[]string{"wallet", "send", "--to", "x", "--amount", "1.5x"}, `--amount: invalid amount "1.5x"`},
		{[]string{"wallet", "list", "--limit", "-1"}, "--limit must not be negative"},
		{[]string{"nosuchcommand"}, `unknown command "nosuchcommand"`},
		// A negative count is not the default (--network moon stops a
		// binary that would run the node anyway).
		{[]string{"node", "run", "--max-peers", "-1", "--network", "moon", "--datadir", t.TempDir()}, "--max-peers must not be negative: 0 is the default (see powchain node run --help)"},
		{[]string{"node", "run", "--miner-threads", "-2", "--network", "moon", "--datadir", t.TempDir()}, "--miner-threads must not be negative: 0 is the default (see powchain node run --help)"},
		{[]string{"node", "run", "--log-rate-limit", "-1", "--network", "moon", "--datadir", t.TempDir()}, "--log-rate-limit must not be negative: 0 means no limit (see powchain node run --help)"},
		// One of the two credentials alone is not a fall back to the cookie
		// (--network moon stops a binary that would run the node anyway).
		{[]string{"node", "run", "--rpc-user", "alice", "--network", "moon", "--datadir", t.TempDir()}, "--rpc-user and --rpc-password go together: give both, or neither for the cookie (see powchain node run --help)"},
		{[]string{"rpc", "--rpc-password", "pw", "--rpc", "127.0.0.1:1", "--datadir", t.TempDir(), "getblockcount"}, "--rpc-user and --rpc-password go together: give both, or neither for the cookie (see powchain rpc --help)"},
	} {
		r := runCLI(t, nil, tc.args...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) || goInternals.MatchString(r.stderr) {
			t.Errorf("powchain %v: exit %d, stderr %q; want %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// TestStrayArgumentRefused: a command that takes no arguments refuses
// one, because the flags after it would not be read: `wallet send --to A
// --amount 1 oops --no-broadcast` sent the transaction, and `node run oops
// --datadir D` ran on the default data dir. (--network moon comes first so
// that a binary that ignores the rest fails before doing anything.)
func TestStrayArgumentRefused(t *testing.T) {
	var leaves func(path []string, cmds []*cli.Command) [][]string
	leaves = func(path []string, cmds []*cli.Command) [][]string {
		var out [][]string
		for _, cmd := range cmds {
			p := append(append([]string{}, path...), cmd.Name)
			switch {
			case len(cmd.Subcommands) > 0:
				out = append(out, leaves(p, cmd.Subcommands)...)
			case cmd.ArgsUsage == "" && cmd.Name != "version":
				out = append(out, p)
			}
		}
		return out
	}
	cmds := leaves(nil, newApp().Commands)
	if len(cmds) < 7 {
		t.Fatalf("found only %v", cmds)
	}
	for _, path := range cmds {
		args := append(append([]string{}, path...), "--network", "moon", "oops", "--datadir", t.TempDir())
		r := runCLI(t, nil, args...)
		want := fmt.Sprintf(`unexpected argument "oops": powchain %s takes no arguments, and the flags after one would not be read (see powchain %[1]s --help)`, strings.Join(path, " "))
		if r.code != 2 || !strings.Contains(r.stderr, want) {
			t.Errorf("powchain %v: exit %d, stderr %q; want exit 2 and %q", args, r.code, r.stderr, want)
		}
	}
}

// TestHelpStatesOneDefault: no flag's --help line states two defaults (the
// library adds "(default: false)" to a bool flag unless told what the
// default is: --txindex said "default: on, except on main" and then
// "(default: false)").
func TestHelpStatesOneDefault(t *testing.T) {
	var check func(path []string, cmds []*cli.Command)
	check = func(path []string, cmds []*cli.Command) {
		for _, cmd := range cmds {
			p := append(append([]string{}, path...), cmd.Name)
			if len(cmd.Subcommands) > 0 {
				check(p, cmd.Subcommands)
				continue
			}
			for _, line := range strings.Split(mustCLI(t, nil, append(p, "--help")...), "\n") {
				if strings.Count(line, "(default: ") > 1 {
					t.Errorf("powchain %s --help: %q", strings.Join(p, " "), strings.TrimSpace(line))
				}
			}
		}
	}
	check(nil, newApp().Commands)
}

// TestBadFlagValues: a value not of its flag's type, on the command line or
// in the environment, is named in the user's terms, as the config file's
// are: the flag as typed (--max-peers, not -max-peers) and what it must
// be, no Go function names (strconv.ParseInt).
func TestBadFlagValues(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"--max-peers", "abc"}, `--max-peers "abc": must be a whole number`},
		{nil, []string{"--max-peers", "1.5"}, `--max-peers "1.5": must be a whole number`},
		{nil, []string{"--max-peers", "99999999999999999999"}, `--max-peers "99999999999999999999": out of range`},
		{nil, []string{"--reindex=yes"}, `--reindex "yes": must be true or false`},
		{[]string{"POWCHAIN_MAX_PEERS=abc"}, nil, `POWCHAIN_MAX_PEERS "abc": max-peers must be a whole number`},
		{[]string{"POWCHAIN_MAX_PEERS=99999999999999999999"}, nil, `POWCHAIN_MAX_PEERS "99999999999999999999": max-peers out of range`},
		{[]string{"POWCHAIN_TXINDEX=yes"}, nil, `POWCHAIN_TXINDEX "yes": txindex must be true or false`},
	} {
		args := append([]string{"node", "run", "--datadir", t.TempDir()}, tc.args...)
		r := runCLI(t, tc.env, args...)
		want := tc.want + " (see powchain node run --help)"
		if r.code != 2 || !strings.Contains(r.stderr, want) {
			t.Errorf("%v powchain %v: exit %d, stderr %q; want exit 2 and %q", tc.env, args, r.code, r.stderr, want)
		}
	}
}

// TestRPCFlagAfterMethod: a flag of `powchain rpc` written after the
// method is refused, not sent to the node as a parameter (where it either
// failed as a strange parameter or, as one too many, was ignored while the
// call went to the node the flag was meant to change).
func TestRPCFlagAfterMethod(t *testing.T) {
	base := []string{"rpc", "--rpc", "127.0.0.1:1", "--rpc-user", "u", "--rpc-password", "p"}
	for _, tc := range []struct {
		args []string
		flag string
	}{
		{[]string{"getblockcount", "--network", "regtest"}, "--network"},
		{[]string{"getblockhash", "0", "--datadir=/tmp"}, "--datadir=/tmp"},
		{[]string{"getblock", "00", "-rpc", "127.0.0.1:2"}, "-rpc"},
	} {
		r := runCLI(t, nil, append(base, tc.args...)...)
		want := fmt.Sprintf("flag %s after the method %s would be sent to the node as a parameter: put flags before the method (see powchain rpc --help)", tc.flag, tc.args[0])
		if r.code != 2 || !strings.Contains(r.stderr, want) {
			t.Errorf("powchain rpc ... %v: exit %d, stderr %q; want exit 2 and %q", tc.args, r.code, r.stderr, want)
		}
	}
	// A parameter that only looks like a flag is sent.
	r := runCLI(t, nil, append(base, "getblockhash", "-1")...)
	if r.code == 2 || !strings.Contains(r.stderr, "unreachable") {
		t.Errorf("powchain rpc getblockhash -1: exit %d, stderr %q; want the call tried", r.code, r.stderr)
	}
}
