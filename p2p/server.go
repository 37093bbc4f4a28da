package p2p

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"powchain/chain"
	"powchain/internal/atomicfile"
	"powchain/wire"
)

// Events from the connection goroutines to the event loop.
type (
	evAccepted struct{ nc net.Conn }
	evDialed   struct {
		addr string
		nc   net.Conn
		err  error
	}
	evMessage struct {
		c   *conn // holds c's turn until the loop takes the message
		msg Message
	}
	evViolation struct {
		id  PeerID
		err *ProtocolError
	}
	evClosed struct {
		id  PeerID
		err error
	}
)

// Server is the TCP driver of a Core: a listener, dialers, a reader and a
// writer goroutine per connection, and one event loop (Run) that owns the
// Core, feeds it inputs and carries out its actions. Its methods are safe
// for concurrent use; they run on the event loop.
type Server struct {
	cfg   Config
	core  *Core
	ln    net.Listener
	magic [4]byte

	events chan any
	calls  chan func(now time.Time)
	chain  *ChainEvents
	done   chan struct{} // closed when the event loop stops
	wg     sync.WaitGroup

	ctx    context.Context  // Run's context; set before the loop starts
	conns  map[PeerID]*conn // owned by the event loop
	nextID PeerID

	// recvTotal and sentTotal count the bytes read from and written to
	// every connection since the server was made, those closed since
	// included (Totals, getnettotals): a connection's reader and writer
	// add to them what they add to its own recv and sent (getpeerinfo's
	// bytesrecv and bytessent), which go with the connection.
	recvTotal, sentTotal atomic.Uint64
}

// NewServer binds the listener (if any) and loads the address book. Run
// must be called to start it, and HandleChainNotification subscribed to the
// chain (after the mempool).
func NewServer(cfg Config) (*Server, error) {
	if cfg.Now == nil {
		return nil, errors.New("p2p: Config needs Now")
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	if cfg.RandSeed == 0 {
		cfg.RandSeed = rand.Uint64() // a real node needs a nonce no other node has
	}
	s := &Server{
		cfg: cfg, magic: cfg.Chain.Params().Magic,
		events: make(chan any, 256), calls: make(chan func(time.Time)),
		chain: NewChainEvents(), done: make(chan struct{}),
		conns: make(map[PeerID]*conn),
	}
	if err := s.listen(); err != nil {
		return nil, err
	}
	core, err := NewCore(cfg, s.ListenAddr())
	if err != nil {
		if s.ln != nil {
			s.ln.Close()
		}
		return nil, err
	}
	s.core = core
	if err := s.load(); err != nil {
		// Starting with an empty book would save it over the file at the
		// first save, losing its addresses and bans: stop, as Bitcoin
		// Core does for a peers.dat it cannot read.
		if s.ln != nil {
			s.ln.Close()
		}
		return nil, fmt.Errorf("address book %s: %w; move it away to start with an empty one", cfg.StateFile, err)
	}
	return s, nil
}

// listen binds cfg.Listen, or in seed mode the first free seed address.
func (s *Server) listen() error {
	addrs := []string{s.cfg.Listen}
	if s.cfg.Seed {
		addrs = s.cfg.Chain.Params().Seeds
	} else if s.cfg.Listen == "" {
		return nil
	}
	var errs []error
	for _, a := range addrs {
		ln, err := s.cfg.ListenFunc("tcp", a)
		if err == nil {
			s.ln = ln
			return nil
		}
		errs = append(errs, err)
	}
	return fmt.Errorf("p2p listen: %w", errors.Join(errs...))
}

// ListenAddr is the address peers can connect to ("" if none).
func (s *Server) ListenAddr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

func (s *Server) load() error {
	if s.cfg.StateFile == "" {
		return nil
	}
	data, err := os.ReadFile(s.cfg.StateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.core.RestoreState(data, s.cfg.Now())
}

func (s *Server) save() {
	if s.cfg.StateFile == "" {
		return
	}
	data, err := s.core.State()
	if err == nil {
		err = atomicfile.WriteFile(s.cfg.StateFile, data, 0o600)
	}
	if err != nil {
		s.cfg.Log.Warn("address book not saved", "file", s.cfg.StateFile, "err", err)
	}
}

// HandleChainNotification tells the server of a chain change; it never
// blocks, so it may run on any goroutine, the event loop's included.
func (s *Server) HandleChainNotification(n chain.Notification) {
	s.chain.HandleChainNotification(n)
}

// post hands an event to the loop; false once the loop has stopped.
func (s *Server) post(ev any) bool {
	select {
	case s.events <- ev:
		return true
	case <-s.done:
		return false
	}
}

// Run serves until ctx is cancelled, then closes every connection, waits
// for every goroutine it started and saves the address book.
func (s *Server) Run(ctx context.Context) error {
	s.ctx = ctx
	if s.ln != nil {
		s.wg.Add(1)
		go s.acceptLoop()
	}
	ticker := time.NewTicker(s.cfg.TickInterval)
	defer ticker.Stop()
	s.apply(s.core.Start(s.cfg.Now()))
	for {
		select {
		case <-ctx.Done():
			s.shutdown()
			return nil
		case ev := <-s.events:
			s.handleEvent(ev)
		case <-ticker.C:
			s.apply(s.core.Tick(s.cfg.Now()))
		case <-s.chain.Changed():
			if changed, txs := s.chain.Take(); changed {
				s.apply(s.core.ChainChanged(s.cfg.Now(), txs))
			}
		case f := <-s.calls:
			f(s.cfg.Now())
		}
	}
}

func (s *Server) shutdown() {
	close(s.done)
	if s.ln != nil {
		s.ln.Close()
	}
	for _, c := range s.conns {
		c.close()
	}
	s.wg.Wait()
	s.save()
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.cfg.Log.Warn("accept failed", "err", err)
			select {
			case <-time.After(50 * time.Millisecond):
				continue
			case <-s.done:
				return
			}
		}
		if !s.post(evAccepted{nc: nc}) {
			nc.Close()
			return
		}
	}
}

func (s *Server) handleEvent(ev any) {
	now := s.cfg.Now()
	switch ev := ev.(type) {
	case evAccepted:
		id := s.register(ev.nc)
		s.apply(s.core.Connected(now, id, ev.nc.RemoteAddr().String(), true, ev.nc.LocalAddr().String()))
	case evDialed:
		if ev.err != nil {
			s.apply(s.core.DialFailed(now, ev.addr, ev.err))
			return
		}
		id := s.register(ev.nc)
		s.apply(s.core.Connected(now, id, ev.addr, false, ev.nc.LocalAddr().String()))
	case evMessage: // the turn back once the answers are queued: see readLoop
		s.apply(s.core.Receive(now, ev.c.id, ev.msg))
		ev.c.giveTurn()
	case evViolation:
		s.apply(s.core.ProtocolViolation(now, ev.id, ev.err))
	case evClosed:
		delete(s.conns, ev.id)
		s.apply(s.core.Disconnected(now, ev.id, ev.err))
	}
}

// register starts the goroutines of a new connection.
func (s *Server) register(nc net.Conn) PeerID {
	s.nextID++
	c := newConn(s.nextID, nc, s.cfg.MaxSendQueueBytes)
	s.conns[c.id] = c
	s.wg.Add(2)
	go s.readLoop(c)
	go s.writeLoop(c)
	return c.id
}

// apply carries out the Core's actions.
func (s *Server) apply(acts []Action) {
	validate := false
	for _, a := range acts {
		switch a.Kind {
		case ActValidate:
			validate = true
		case ActSend:
			c := s.conns[a.Peer]
			if c == nil {
				continue
			}
			if get, ok := a.Msg.(*MsgGetData); ok {
				s.expectBlocks(c, get.Items)
			}
			if !c.enqueue(a.Msg, a.Push) {
				s.cfg.Log.Info("peer too slow, disconnecting", "peer", a.Peer)
				c.close()
			}
		case ActDial:
			s.wg.Add(1)
			go s.dial(s.ctx, a.Addr)
		case ActDisconnect: // after what is queued: a reject before a ban
			if c := s.conns[a.Peer]; c != nil {
				c.hangUp(s.cfg.Now().Add(min(s.cfg.WriteTimeout, hangUpTimeout)))
			}
		case ActSave:
			s.save()
		}
	}
	if validate { // the pushed compact blocks are queued to their writers
		s.apply(s.core.Validate(s.cfg.Now()))
	}
}

// expectBlocks lets c's reader pre-verify the blocks of a getdata whose
// headers are in the chain's index (so their proof of work is checked):
// nothing a peer sends unasked, or under a header the node does not have,
// costs the node a signature check before the event loop has judged it.
func (s *Server) expectBlocks(c *conn, items []InvVect) {
	for _, iv := range items {
		if iv.Type != InvBlock {
			continue
		}
		if _, known := s.cfg.Chain.BlockInfoByHash(iv.Hash); known {
			c.expect(iv.Hash, maxExpected(&s.cfg))
		}
	}
}

func (s *Server) dial(ctx context.Context, addr string) {
	defer s.wg.Done()
	dctx, cancel := context.WithTimeout(ctx, s.cfg.DialTimeout)
	defer cancel()
	nc, err := s.cfg.DialFunc(dctx, "tcp", addr)
	if !s.post(evDialed{addr: addr, nc: nc, err: err}) && nc != nil {
		nc.Close()
	}
}

// ErrStopped is returned by methods called after Run returned.
var ErrStopped = errors.New("p2p server stopped")

// call runs f on the event loop and waits for it.
func (s *Server) call(f func(now time.Time)) error {
	done := make(chan struct{})
	select {
	case s.calls <- func(now time.Time) { f(now); close(done) }:
		<-done
		return nil
	case <-s.done:
		return ErrStopped
	}
}

// Peers describes the connected peers (getpeerinfo).
func (s *Server) Peers() ([]PeerInfo, error) {
	var infos []PeerInfo
	err := s.call(func(time.Time) {
		infos = s.core.Peers()
		for i := range infos {
			if c := s.conns[infos[i].ID]; c != nil {
				infos[i].BytesSent, infos[i].BytesRecv = c.sent.Load(), c.recv.Load()
			}
		}
	})
	return infos, err
}

// Totals are the bytes a server has read from and written to its peers
// since it was made.
type Totals struct {
	Recv, Sent uint64
}

// Totals counts the bytes read from and written to peers since the server
// was made, over every connection: those open, as getpeerinfo counts them
// (each frame once written to the connection's buffer, each byte once
// read, those of a frame cut short included), and those closed since, as
// Bitcoin Core's getnettotals counts since the node started. It
// fails with ErrStopped once the server has stopped, as the other queries
// do. It does not wait for the event loop.
func (s *Server) Totals() (Totals, error) {
	select {
	case <-s.done:
		return Totals{}, ErrStopped
	default:
	}
	return Totals{Recv: s.recvTotal.Load(), Sent: s.sentTotal.Load()}, nil
}

// ConnectionCount is the number of peers whose handshake completed.
func (s *Server) ConnectionCount() (int, error) {
	peers, err := s.Peers()
	return len(peers), err
}

// SyncInfo reports download progress.
func (s *Server) SyncInfo() (SyncInfo, error) {
	var si SyncInfo
	err := s.call(func(time.Time) { si = s.core.SyncInfo() })
	return si, err
}

// KnownAddrs lists the address book.
func (s *Server) KnownAddrs() ([]string, error) {
	var addrs []string
	err := s.call(func(time.Time) { addrs = s.core.KnownAddrs() })
	return addrs, err
}

// AddNode keeps a connection to addr (host:port), dialing it now; added
// is false when it is kept already.
func (s *Server) AddNode(addr string) (added bool, err error) {
	if cerr := s.call(func(now time.Time) {
		var acts []Action
		acts, added, err = s.core.AddNode(now, addr)
		s.apply(acts)
	}); cerr != nil {
		return false, cerr
	}
	return added, err
}

// RemoveNode stops keeping addr connected.
func (s *Server) RemoveNode(addr string) (found bool, err error) {
	err = s.call(func(now time.Time) {
		var acts []Action
		acts, found = s.core.RemoveNode(now, addr)
		s.apply(acts)
	})
	return found, err
}

// DisconnectNode disconnects the peer with this address or numeric ID.
func (s *Server) DisconnectNode(addrOrID string) (found bool, err error) {
	id, _ := strconv.ParseUint(addrOrID, 10, 64)
	err = s.call(func(now time.Time) {
		var acts []Action
		acts, found = s.core.DisconnectPeer(now, PeerID(id), addrOrID)
		s.apply(acts)
	})
	return found, err
}

// SetBan bans host (IP, optionally with port) for d (0: the configured
// BanDuration) and disconnects its peers.
func (s *Server) SetBan(host string, d time.Duration) error {
	return s.call(func(now time.Time) {
		s.apply(s.core.SetBan(now, host, d, "setban"))
	})
}

// Unban lifts the ban on host.
func (s *Server) Unban(host string) (found bool, err error) {
	err = s.call(func(now time.Time) {
		var acts []Action
		acts, found = s.core.Unban(now, host)
		s.apply(acts)
	})
	return found, err
}

// ListBanned lists the bans in force.
func (s *Server) ListBanned() ([]BanInfo, error) {
	var bans []BanInfo
	err := s.call(func(now time.Time) { bans = s.core.Bans(now) })
	return bans, err
}

// ClearBanned lifts every ban.
func (s *Server) ClearBanned() error {
	return s.call(func(now time.Time) { s.apply(s.core.ClearBans(now)) })
}

// RelayTransactions announces transactions the node accepted outside the
// P2P layer (sendrawtransaction) to the peers that lack them, and to later
// peers until one asks for them (Core.AnnounceTxs).
func (s *Server) RelayTransactions(txids []wire.Hash) error {
	return s.call(func(now time.Time) { s.apply(s.core.AnnounceTxs(now, txids)) })
}
