package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"powchain/internal/lograte"
	"powchain/node"
)

func nodeCommand() *cli.Command {
	return &cli.Command{
		Name:  "node",
		Usage: "run a full node",
		Subcommands: []*cli.Command{withConfig(&cli.Command{
			Name:  "run",
			Usage: "run the node until SIGINT, SIGTERM or the stop RPC",
			Flags: append(commonFlags(),
				stringFlag("listen", "", "P2P listen address host:port (default: loopback on the network's P2P port, or any free port if taken; all interfaces on main)"),
				boolFlag("seed", "run as one of the network's hard-coded seed nodes (the first seed address free on this host)"),
				stringSliceFlag("connect", "connect only to this peer host:port (repeatable; no seeds, no discovery; 0 = no outbound connections)"),
				stringSliceFlag("addnode", "also keep a connection to this peer host:port (repeatable)"),
				intFlag("max-peers", 0, "maximum number of peers (0 = default 125)"),
				stringFlag("rpc-listen", "", "JSON-RPC listen address host:port (default 127.0.0.1:<network RPC port>; port 0 = any free port)"),
				stringFlag("http", "", "HTTP address host:port of the block explorer, REST API, events and metrics (default: 127.0.0.1:<network HTTP port> on local networks, any free port if taken; none on main); off = no HTTP server"),
				stringFlag("rpc-user", "", "RPC user (with --rpc-password; default: a fresh cookie each start)"),
				stringFlag("rpc-password", "", "RPC password"),
				stringFlag("log-level", "info", "log level: debug, info, warn, error"),
				stringFlag("log-format", "text", "log format: text or json"),
				intFlag("log-rate-limit", lograte.DefaultLimit, "lines each log message may write per hour; the rest are dropped, with a warning saying so, so that peers cannot fill the disk (0 = no limit)"),
				boolFlag("reindex", "rebuild the UTXO set and indexes from the stored blocks"),
				boolFlagDefault("txindex", "keep a transaction index, so getrawtransaction finds any confirmed transaction (--txindex=false turns it off)", "on, except on main"),
				intFlag("miner-threads", 0, "threads generatetoaddress hashes on (0 = every core)"),
			),
			Action: runNode,
		})},
	}
}

func runNode(c *cli.Context) error {
	for _, name := range []string{"max-peers", "miner-threads"} {
		if c.Int(name) < 0 {
			return usageExit(c, fmt.Sprintf("--%s must not be negative: 0 is the default", name))
		}
	}
	if c.Int("log-rate-limit") < 0 {
		return usageExit(c, "--log-rate-limit must not be negative: 0 means no limit")
	}
	// A log nobody reads any more (`node run 2>&1 | tee node.log` stopped
	// with Ctrl-C, which ends tee too) would kill the node with SIGPIPE at
	// its next line, before its shutdown saved anything; as bitcoind, the
	// node ignores SIGPIPE and loses only those lines.
	signal.Ignore(syscall.SIGPIPE)
	log, err := newLogger(c.String("log-level"), c.String("log-format"), c.Int("log-rate-limit"))
	if err != nil {
		return err
	}
	connect, noDiscovery := connectFlag(c.StringSlice("connect"))
	n, err := node.New(node.Config{
		Listen:       c.String("listen"),
		Seed:         c.Bool("seed"),
		Connect:      connect,
		NoDiscovery:  noDiscovery,
		AddNode:      c.StringSlice("addnode"),
		MaxPeers:     c.Int("max-peers"),
		DataDir:      c.String("datadir"),
		Network:      c.String("network"),
		RPCListen:    c.String("rpc-listen"),
		RPCUser:      c.String("rpc-user"),
		RPCPassword:  c.String("rpc-password"),
		HTTPListen:   c.String("http"),
		ProgressBar:  terminalOrNil(os.Stderr),
		Reindex:      c.Bool("reindex"),
		TxIndex:      optionalBool(c, "txindex"),
		MinerThreads: c.Int("miner-threads"),
	}, log)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return n.Run(ctx)
}

// terminalOrNil returns f when it is a terminal (progress bars), else nil
// (the log lines alone).
func terminalOrNil(f *os.File) io.Writer {
	if term.IsTerminal(int(f.Fd())) {
		return f
	}
	return nil
}

// optionalBool is a bool flag's value when given, else nil (the default
// is decided elsewhere).
func optionalBool(c *cli.Context, name string) *bool {
	if !c.IsSet(name) {
		return nil
	}
	v := c.Bool(name)
	return &v
}

// connectFlag reads --connect: "0" alone means no automatic connections
// at all, as bitcoind's -connect=0.
func connectFlag(values []string) (peers []string, noDiscovery bool) {
	if len(values) == 1 && values[0] == "0" {
		return nil, true
	}
	return values, len(values) > 0
}

// newLogger returns the node's logger: lines at level and above, in
// format, on stderr, each message limited to rateLimit lines an hour
// (lograte; 0: unlimited).
func newLogger(level, format string, rateLimit int) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level must be debug, info, warn or error, not %q", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	switch strings.ToLower(format) {
	case "text":
		h = slog.NewTextHandler(os.Stderr, opts)
	case "json":
		h = slog.NewJSONHandler(os.Stderr, opts)
	default:
		return nil, fmt.Errorf("--log-format must be text or json, not %q", format)
	}
	if rateLimit > 0 {
		h = lograte.New(h, rateLimit, lograte.DefaultWindow)
	}
	return slog.New(h), nil
}
