package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"powchain/metrics"
	"powchain/miner"
	"powchain/node"
	"powchain/rpc"
	"powchain/wire"
)

func minerCommand() *cli.Command {
	return &cli.Command{
		Name:  "miner",
		Usage: "mine blocks for a running node",
		Subcommands: []*cli.Command{withConfig(&cli.Command{
			Name:  "start",
			Usage: "mine with getblocktemplate (long-poll) and submitblock until SIGINT, SIGTERM or --blocks",
			Description: "Prints a hashrate line every few seconds and a line per block found. " +
				"If the node is down, goes away or stops answering (no template within 90 s), says so, stops hashing and retries with backoff. " +
				"A block found as the miner is stopped is submitted before it exits (at most 10 s), and it says so.",
			Flags: append(clientFlags(),
				stringFlag("address", "", "address every coinbase pays (required)"),
				intFlag("threads", 0, "threads to grind nonces on (0 = every core)"),
				intFlag("blocks", 0, "stop after this many accepted blocks (0 = never)"),
				stringFlag("metrics", "", "serve Prometheus metrics (hash rate, hashes, blocks found and accepted) at http://host:port/metrics (default: none)"),
			),
			Action: runMiner,
		})},
	}
}

func runMiner(c *cli.Context) error {
	_, params, err := netDir(c)
	if err != nil {
		return err
	}
	addr := c.String("address")
	if addr == "" {
		return cli.Exit("--address is required: the address the mined coins go to (powchain wallet address prints one)", 2)
	}
	payTo, err := wire.DecodeAddress(params.AddressPrefix, addr)
	if errors.Is(err, wire.ErrAddressNetwork) {
		return fmt.Errorf("--address %s is not a %s address: %w", addr, params.Name, err)
	}
	if err != nil {
		return fmt.Errorf("--address: %w", err)
	}
	if given := c.String("rpc"); given != "" { // checked once: the miner finds its node again after every failure
		if _, err := rpcAddress(c, given, params.RPCPort); err != nil {
			return err
		}
	}
	threads, blocks := c.Int("threads"), c.Int("blocks")
	if threads < 0 || blocks < 0 {
		return cli.Exit("--threads and --blocks must not be negative", 2)
	}
	if threads == 0 {
		threads = runtime.NumCPU()
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Printf("mining to %s on %s with %d threads\n", addr, params.Name, threads)
	m, err := miner.New(miner.Config{
		Node:    &nodeConn{c: c},
		PayTo:   payTo,
		Threads: threads,
		Blocks:  blocks,
		Out:     os.Stdout,
		Clock:   node.SystemClock{},
	})
	if err != nil {
		return err
	}
	if addr := c.String("metrics"); addr != "" {
		stopMetrics, err := serveMinerMetrics(addr, m)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}
	if err := m.Run(ctx); err != nil {
		return err
	}
	if ctx.Err() != nil {
		fmt.Println("miner stopped")
	}
	return nil
}

// serveMinerMetrics serves the miner's metrics on addr until stop is
// called; stop returns once the server has.
func serveMinerMetrics(addr string, m *miner.Miner) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Miner(metrics.MinerSource{
		Hashes:   func() uint64 { return m.Stats().Hashes },
		Found:    func() uint64 { return m.Stats().Found },
		Accepted: func() uint64 { return m.Stats().Accepted },
		HashRate: func() float64 { return m.Stats().HashRate },
	}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 16 << 10}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	fmt.Printf("metrics on http://%s/metrics\n", ln.Addr())
	return func() {
		srv.Close()
		<-done
	}, nil
}

// nodeConn is the miner's node: an RPC client found from the flags (as
// every client command finds it), found again after every failure to
// reach the node or to log in, because a restarted node publishes a new
// address file and cookie.
type nodeConn struct {
	c      *cli.Context
	mu     sync.Mutex
	client *rpc.Client
}

func (n *nodeConn) get() (*rpc.Client, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.client == nil {
		client, err := newClient(n.c)
		if err != nil {
			return nil, err
		}
		n.client = client
	}
	return n.client, nil
}

// done forgets the client after an error that was not the node's answer.
func (n *nodeConn) done(client *rpc.Client, err error) {
	var rpcErr *rpc.Error
	if err == nil || errors.As(err, &rpcErr) {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.client == client {
		n.client = nil
	}
}

func (n *nodeConn) GetBlockTemplate(ctx context.Context, longPollID string) (*rpc.BlockTemplate, error) {
	client, err := n.get()
	if err != nil {
		return nil, err
	}
	t, err := client.GetBlockTemplate(ctx, longPollID)
	n.done(client, err)
	return t, err
}

func (n *nodeConn) SubmitBlock(ctx context.Context, blockHex string) (string, error) {
	client, err := n.get()
	if err != nil {
		return "", err
	}
	reason, err := client.SubmitBlock(ctx, blockHex)
	n.done(client, err)
	return reason, err
}
