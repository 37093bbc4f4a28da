package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"powchain/chain"
	"powchain/explorer"
	"powchain/internal/atomicfile"
	"powchain/mempool"
	"powchain/metrics"
	"powchain/p2p"
	"powchain/rpc"
	"powchain/rpc/server"
)

// Config is everything a node needs to start. cmd/powchain fills it from
// flags, environment and config file.
type Config struct {
	DataDir string // root data dir; the node uses DataDir/<network>
	Network string // "local" or "main"
	// RPCListen is host:port for JSON-RPC; empty means loopback on the
	// network's RPC port; port 0 picks a free port.
	RPCListen string
	// RPCUser and RPCPassword replace the cookie when both are set.
	RPCUser, RPCPassword string
	// HTTPListen is host:port for the HTTP interface (REST, events,
	// metrics, explorer): empty means loopback on the network's HTTP port
	// on local networks (any free port if taken) and no HTTP server on
	// main; HTTPOff disables it.
	HTTPListen string
	// ProgressBar, when set (a terminal), shows initial sync and reindexing
	// as a progress bar redrawn in place; the log lines stay.
	ProgressBar io.Writer
	Reindex     bool
	// TxIndex keeps the transaction index (getrawtransaction without a
	// block hash); nil means the network's default: on for every network
	// but main, as Bitcoin Core's -txindex is off by default.
	TxIndex *bool
	// MinerThreads is how many goroutines generatetoaddress hashes on
	// (default: every core).
	MinerThreads int

	// Listen is the P2P address (host:port); empty: loopback on the
	// network's default port. Seed runs the node as one of the network's
	// hard-coded seeds instead (the first seed address free on this host).
	Listen string
	Seed   bool
	// Connect: only these peers, no seeds. AddNode: these as well.
	Connect, AddNode []string
	// MaxPeers caps connections (0: the p2p default). NoDiscovery dials
	// only Connect and AddNode peers.
	MaxPeers    int
	NoDiscovery bool
}

// HTTPOff as Config.HTTPListen disables the HTTP interface.
const HTTPOff = "off"

// Node is a running full node.
type Node struct {
	cfg    Config
	params *chain.Params
	netDir string
	log    *slog.Logger
	clock  chain.Clock
	// started is when New began, on clock: the node's start, from which
	// uptime counts (as Bitcoin Core's, from before the chain loads).
	started time.Time
	policy  mempool.Policy // the pool's; it sizes the SigCache too

	lock     *dirLock
	sigCache *chain.SigCache
	chain    *chain.Chain
	mempool  *mempool.Pool
	mining   *server.Mining
	rpc      *server.Server
	rpcLn    net.Listener
	http     *explorer.Server // nil when disabled
	httpLn   net.Listener
	p2p      *p2p.Server
	metrics  *metrics.Node
	reorgs   *reorgCounter

	stopOnce sync.Once
	stopCh   chan struct{}

	tipLog tipLog
}

// New opens the data dir and the chain and prepares the services; Run
// starts them. On error everything opened so far is closed again.
func New(cfg Config, log *slog.Logger) (*Node, error) {
	params, err := chain.ParamsForNetwork(cfg.Network)
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, params: params, log: log, clock: SystemClock{}, policy: mempool.DefaultPolicy(),
		stopCh: make(chan struct{}), netDir: filepath.Join(cfg.DataDir, params.Name)}
	n.started = n.clock.Now()
	n.tipLog.log = log
	n.tipLog.bar = progressBar{out: cfg.ProgressBar, what: "sync"}
	if err := os.MkdirAll(n.netDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	if n.lock, err = lockDir(n.netDir); err != nil {
		return nil, err
	}
	n.removeTemps()
	if err := n.open(); err != nil {
		n.closeUnstarted()
		return nil, err
	}
	return n, nil
}

// closeUnstarted releases what a failed New opened.
func (n *Node) closeUnstarted() {
	if n.p2p != nil {
		// Run with a cancelled context releases the listener and returns.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		n.p2p.Run(ctx)
	}
	for _, ln := range []net.Listener{n.rpcLn, n.httpLn} {
		if ln != nil {
			ln.Close()
		}
	}
	n.closeStorage()
}

// open opens the chain, the mempool and the RPC listener, in that order.
func (n *Node) open() error {
	if err := n.openChain(); err != nil {
		return err
	}
	if err := n.openMempool(); err != nil {
		return err
	}
	if err := n.openP2P(); err != nil {
		return err
	}
	if err := n.openRPC(); err != nil {
		return err
	}
	if err := n.openHTTP(); err != nil {
		return err
	}
	followers := []func(chain.Notification){n.mining.HandleChainNotification, n.p2p.HandleChainNotification}
	if n.http != nil {
		followers = append(followers, n.http.HandleChainNotification)
	}
	FollowChain(n.chain, n.mempool, append(followers, n.logTip, n.reorgs.onChain)...)
	return nil
}

func (n *Node) openP2P() error {
	listen, listenFunc := n.cfg.Listen, net.Listen
	if listen == "" && !n.cfg.Seed {
		listen, listenFunc = n.defaultListen()
	}
	srv, err := p2p.NewServer(p2p.Config{
		Chain: n.chain, TxPool: n.mempool,
		Listen: listen, Seed: n.cfg.Seed, Connect: n.cfg.Connect, AddNode: n.cfg.AddNode, MaxPeers: n.cfg.MaxPeers,
		NoDiscovery: n.cfg.NoDiscovery, ListenFunc: listenFunc,
		StateFile:           filepath.Join(n.netDir, peersFile),
		RebroadcastInterval: rebroadcastInterval(n.params),
		OnMessage:           n.observeMessage,
		Now:                 n.clock.Now,
		Log:                 n.log.With("component", "p2p"),
	})
	if err != nil {
		return fmt.Errorf("p2p: %w", err)
	}
	n.p2p = srv
	return nil
}

// rebroadcastInterval is how often the transactions submitted to the node
// that no peer asked for yet are announced again: Bitcoin Core's 10
// minutes on main (p2p's default); on the networks developers run on one
// machine, 10 seconds, so that a transaction sent while its node was cut
// off (testnet/partition.sh) leaves it soon after the node reconnects.
func rebroadcastInterval(params *chain.Params) time.Duration {
	if params.Name == chain.MainNet {
		return 0
	}
	return 10 * time.Second
}

// newSigCache returns the SigCache a chain and a pool under policy share:
// room for the pool at its fullest and the blocks pre-verified beside it
// (Policy.SigCacheSize; with the default policy about 437,000 entries,
// 21 MB allocated at start), so a full pool never turns pre-verification
// off.
func newSigCache(policy mempool.Policy) *chain.SigCache {
	return chain.NewSigCache(policy.SigCacheSize())
}

func (n *Node) openChain() error {
	n.sigCache = newSigCache(n.policy)
	n.metrics = n.newMetrics()
	n.reorgs = &reorgCounter{metrics: n.metrics}
	txIndex := n.params.Name != chain.MainNet
	if n.cfg.TxIndex != nil {
		txIndex = *n.cfg.TxIndex
	}
	cfg := chain.Config{Params: n.params, Path: filepath.Join(n.netDir, "chain"), Clock: n.clock, SigCache: n.sigCache,
		ConnectTimer: n.metrics.BlockConnected, TxIndex: txIndex}
	cfg.FormatUpgrade = func(found, to uint32) {
		n.log.Info(fmt.Sprintf("upgrading the chain database from format %d to %d; this can take a few minutes on a large database", found, to),
			"from_format", found, "to_format", to)
	}
	open := chain.Open
	bar := progressBar{out: n.cfg.ProgressBar, what: "reindex"}
	said := n.cfg.Reindex
	if n.cfg.Reindex {
		n.log.Info("reindexing: rebuilding the UTXO set and indexes from stored blocks")
		open = chain.Reindex
	}
	// A reindex that stopped midway is finished by the next open
	// (chain.Open): it says so and shows its progress too.
	cfg.ReindexProgress = func(done, total int) {
		if !said {
			said = true
			n.log.Info("finishing a reindex that stopped midway: rebuilding the UTXO set and indexes from stored blocks", "blocks", total)
		}
		bar.update(uint64(done), uint64(total), n.clock.Now())
	}
	c, err := open(cfg)
	bar.clear()
	if err != nil {
		return err
	}
	n.chain = c
	tip := c.Tip()
	n.log.Info("chain opened", "network", n.params.Name, "height", tip.Height, "hash", tip.Hash, "txindex", txIndex)
	if lost, ok := c.LostOnOpen(); ok {
		n.log.Warn(fmt.Sprintf("chain database lost blocks it had recorded as durable: heights %d-%d are gone "+
			"(the storage dropped synced writes, e.g. a torn journal); the chain is consistent at height %d "+
			"and fetches them again from peers", lost.From, lost.To, tip.Height),
			"lost_from", lost.From, "lost_to", lost.To, "durable_hash", lost.DurableHash, "height", tip.Height)
	}
	return nil
}

// syncChain makes the chain's writes durable every chain.DefaultSyncInterval
// until ctx ends, so that blocks connected just before a stall in initial
// sync do not stay unsynced (the chain syncs on its own while blocks
// arrive, and at every tip once caught up).
func (n *Node) syncChain(ctx context.Context) {
	t := time.NewTicker(chain.DefaultSyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := n.chain.Sync(); err != nil {
				n.log.Error("chain sync failed", "err", err)
			}
		}
	}
}

// Files the node writes in its network folder (atomicfile), under its lock.
const (
	mempoolFile = "mempool.dat"
	peersFile   = "peers.json"
)

func (n *Node) mempoolPath() string { return filepath.Join(n.netDir, mempoolFile) }

// removeTemps removes the temporary files that a write of one of the
// node's files in its network folder left behind when a node holding the
// folder died mid-write. It runs once the folder's lock is taken: only a
// node holding it writes those files, so none is being written now. The
// wallets folder is not the node's (wallet processes write it under a
// lock of their own) and is left alone. A temporary file that cannot be
// removed is only reported: it takes space but changes nothing.
func (n *Node) removeTemps() {
	for _, name := range []string{mempoolFile, peersFile, rpc.CookieFile, rpc.AddressFile, explorer.AddressFile} {
		removed, err := atomicfile.RemoveTemps(filepath.Join(n.netDir, name))
		for _, tmp := range removed {
			n.log.Info("removed a temporary file left by an interrupted write", "file", filepath.Join(n.netDir, tmp))
		}
		if err != nil {
			n.log.Warn("could not remove the temporary files an interrupted write left", "file", name, "err", err)
		}
	}
}

func (n *Node) openMempool() error {
	pool, err := mempool.New(mempool.Config{Chain: n.chain, Clock: n.clock, SigCache: n.sigCache, Policy: n.policy})
	if err != nil {
		return err
	}
	// A saved pool the node cannot read stops it before the pool is n's,
	// so the failed start saves nothing over the file.
	loaded, err := pool.Load(n.mempoolPath())
	if err != nil {
		return fmt.Errorf("%w (the file is left as it is: move it away to start with an empty mempool)", err)
	}
	if loaded > 0 {
		n.log.Info("mempool loaded", "txs", loaded)
	}
	n.mempool = pool
	n.mining, err = server.NewMining(server.MiningConfig{Chain: n.chain, Pool: n.mempool, Clock: n.clock,
		Stop: n.stopCh, Workers: n.cfg.MinerThreads})
	return err
}

func (n *Node) openRPC() error {
	addr := n.cfg.RPCListen
	if addr == "" {
		addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(int(n.params.RPCPort)))
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("RPC listen on %s: %w", addr, err)
	}
	user, pass := n.cfg.RPCUser, n.cfg.RPCPassword
	if user == "" || pass == "" {
		if user, pass, err = rpc.NewCookie(); err != nil {
			ln.Close()
			return err
		}
	}
	srv, err := n.newRPCServer(user, pass)
	if err == nil {
		if err = rpc.WriteEndpoint(n.netDir, ln.Addr().String(), user, pass); err != nil {
			err = fmt.Errorf("write RPC endpoint: %w", err)
		}
	}
	if err != nil {
		ln.Close()
		return err
	}
	n.rpcLn, n.rpc = ln, srv
	return nil
}

// newRPCServer builds the JSON-RPC server with every method on this node.
func (n *Node) newRPCServer(user, pass string) (*server.Server, error) {
	srv, err := server.NewServer(user, pass, n.log.With("component", "rpc"))
	if err != nil {
		return nil, err
	}
	srv.SetObserver(n.observeRPC)
	return srv, srv.RegisterNodeMethods(&server.Backend{
		Chain: n.chain, Mempool: n.mempool, Clock: n.clock, Started: n.started,
		Generate: n.mining.Generate, Template: n.mining.Template, Stop: n.Stop,
		Net: netAdapter{srv: n.p2p, network: n.params.Name},
	})
}

// openHTTP opens the HTTP interface's listener, unless it is disabled, and
// publishes its address in the data dir.
func (n *Node) openHTTP() error {
	addr, listen := n.cfg.HTTPListen, net.Listen
	switch {
	case addr == HTTPOff:
		return nil
	case addr == "" && n.params.Name == chain.MainNet:
		return nil
	case addr == "":
		addr, listen = n.loopbackOrFree(n.params.HTTPPort, "HTTP")
	}
	ln, err := listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("HTTP listen on %s: %w", addr, err)
	}
	if err := atomicfile.WriteFile(filepath.Join(n.netDir, explorer.AddressFile), []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
		ln.Close()
		return fmt.Errorf("write HTTP address: %w", err)
	}
	srv, err := explorer.New(explorer.Config{
		Source: explorer.Source{Chain: n.chain, Mempool: n.mempool, Clock: n.clock,
			Net: netAdapter{srv: n.p2p, network: n.params.Name}},
		Log:     n.log.With("component", "http"),
		Metrics: n.metrics.Handler(),
	})
	if err != nil {
		ln.Close()
		return err
	}
	n.httpLn, n.http = ln, srv
	return nil
}

// HTTPAddr is the address of the HTTP interface, or "" when it is off.
func (n *Node) HTTPAddr() string {
	if n.httpLn == nil {
		return ""
	}
	return n.httpLn.Addr().String()
}

// defaultListen is where a node listens for peers when --listen is not
// given: every interface on the main network's port; on the local network
// and regtest, loopback on the network's default port, or any free port when
// another node on this machine has it already (several local nodes need no
// flags to coexist).
func (n *Node) defaultListen() (string, func(network, addr string) (net.Listener, error)) {
	if n.params.Name == chain.MainNet {
		return net.JoinHostPort("", strconv.Itoa(int(n.params.DefaultPort))), net.Listen
	}
	return n.loopbackOrFree(n.params.DefaultPort, "P2P")
}

// loopbackOrFree listens on loopback at port, or on any free loopback
// port when another node on this machine has it already.
func (n *Node) loopbackOrFree(port uint16, what string) (string, func(network, addr string) (net.Listener, error)) {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port))), func(network, addr string) (net.Listener, error) {
		ln, err := net.Listen(network, addr)
		if err != nil {
			n.log.Info("default "+what+" port taken, listening on a free port", "port", port)
			return net.Listen(network, "127.0.0.1:0")
		}
		return ln, nil
	}
}

// RPCAddr is the address the RPC server listens on.
func (n *Node) RPCAddr() string { return n.rpcLn.Addr().String() }

// P2PAddr is the address the node accepts peers on.
func (n *Node) P2PAddr() string { return n.p2p.ListenAddr() }

// NetDir is the node's network folder inside the data dir.
func (n *Node) NetDir() string { return n.netDir }

// Stop asks Run to shut the node down. It returns at once.
func (n *Node) Stop() { n.stopOnce.Do(func() { close(n.stopCh) }) }

// Run serves until ctx is cancelled or Stop is called, then shuts down in
// order. It returns the errors of the HTTP, RPC and p2p servers and of
// closing the storage, or nil on a clean stop.
func (n *Node) Run(ctx context.Context) error {
	rpcDone := make(chan error, 1)
	go func() { rpcDone <- n.rpc.Serve(n.rpcLn) }()
	httpDone := make(chan error, 1)
	if n.http != nil {
		go func() { httpDone <- n.http.Serve(n.httpLn) }()
	}
	p2pCtx, stopP2P := context.WithCancel(context.Background())
	defer stopP2P()
	p2pDone := make(chan error, 1)
	go func() { p2pDone <- n.p2p.Run(p2pCtx) }()
	syncDone := make(chan struct{})
	go func() {
		n.syncChain(p2pCtx)
		close(syncDone)
	}()
	n.log.Info("node started", "network", n.params.Name, "rpc", n.RPCAddr(), "p2p", n.P2PAddr(), "http", n.httpURL(), "datadir", n.netDir)
	var rpcErr, httpErr, p2pErr error
	rpcExited, httpExited, p2pExited := false, false, false
	select {
	case <-ctx.Done():
		n.log.Info("shutting down", "reason", "signal")
	case <-n.stopCh:
		n.log.Info("shutting down", "reason", "stop requested")
	case rpcErr = <-rpcDone:
		rpcExited = true
		n.log.Error("RPC server failed", "err", rpcErr)
	case httpErr = <-httpDone:
		httpExited = true
		n.log.Error("HTTP server failed", "err", httpErr)
	case p2pErr = <-p2pDone:
		p2pExited = true
		n.log.Error("p2p server failed", "err", p2pErr)
	}
	n.Stop() // cancels work tied to the node, like generatetoaddress
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if n.http != nil {
		if err := n.http.Shutdown(shutdownCtx); err != nil {
			n.log.Warn("HTTP shutdown", "err", err)
		}
		if !httpExited {
			httpErr = <-httpDone
		}
	}
	if err := n.rpc.Shutdown(shutdownCtx); err != nil {
		n.log.Warn("RPC shutdown", "err", err)
	}
	if !rpcExited {
		rpcErr = <-rpcDone
	}
	stopP2P()
	if !p2pExited {
		p2pErr = <-p2pDone
	}
	<-syncDone
	if p2pErr != nil {
		p2pErr = fmt.Errorf("p2p: %w", p2pErr)
	}
	if httpErr != nil {
		httpErr = fmt.Errorf("HTTP: %w", httpErr)
	}
	return errors.Join(rpcErr, httpErr, p2pErr, n.closeStorage())
}

// httpURL is the explorer's URL for the log, or "off".
func (n *Node) httpURL() string {
	if n.http == nil {
		return HTTPOff
	}
	return "http://" + n.HTTPAddr() + "/"
}

// closeStorage saves the mempool, closes the chain and releases the data
// dir, in that order; whatever was opened.
func (n *Node) closeStorage() error {
	var errs []error
	if n.rpcLn != nil {
		rpc.RemoveEndpoint(n.netDir)
	}
	if n.httpLn != nil {
		os.Remove(filepath.Join(n.netDir, explorer.AddressFile))
	}
	if n.mempool != nil {
		if err := n.mempool.Save(n.mempoolPath()); err != nil {
			errs = append(errs, fmt.Errorf("save mempool: %w", err))
		}
	}
	if n.chain != nil {
		if err := n.chain.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close chain: %w", err))
		}
	}
	if n.lock != nil {
		n.lock.release()
	}
	n.log.Info("node stopped")
	return errors.Join(errs...)
}

// logTip feeds the tip log, with the chain's state after the change.
func (n *Node) logTip(note chain.Notification) {
	var tip, best chain.BlockInfo
	if note.Type == chain.TipChanged {
		tip, best = n.chain.Tip(), n.chain.BestHeader()
	}
	n.tipLog.observe(note, tip, best, n.clock.Now())
}
