package httpcap

import (
	"container/list"
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// RefuseWriteTimeout bounds the write of a refusal (the answer to a
// connection beyond the cap): it goes into a new connection's empty send
// buffer, so it only waits if something is wrong. A server's refuse sets
// it as the connection's write deadline, on the server's own clock.
const RefuseWriteTimeout = time.Second

// Conns caps the connections open at once on the listeners it wraps. When
// every place is held, a new connection takes the place of the one idle
// longest (a keep-alive connection between requests), if one is: ConnState,
// an http.Server's ConnState hook, tells Conns which are idle.
type Conns struct {
	limit  int
	refuse func(net.Conn)

	// mu guards open, idle and the fields of every conn under it; it is
	// never held while a connection is closed or written.
	mu   sync.Mutex
	open int       // connections holding a place
	idle list.List // of *conn: the idle ones, longest idle first
}

// NewConns returns a cap of limit connections (at least 1). refuse answers a
// connection beyond the cap and must not close it (Conns closes it after)
// nor block long (it sets RefuseWriteTimeout as its write deadline).
func NewConns(limit int, refuse func(c net.Conn)) *Conns {
	return &Conns{limit: max(limit, 1), refuse: refuse}
}

// Open is how many connections hold a place now.
func (cs *Conns) Open() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.open
}

// Idle is how many of them are idle now: net/http last reported them
// StateIdle.
func (cs *Conns) Idle() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.idle.Len()
}

// Listen wraps l: its Accept returns only connections that took a place,
// each giving it back at its first Close. A connection that finds every
// place held takes the place of the connection idle longest, which Accept
// closes first; if none is idle, it is refused and closed inside Accept,
// which then accepts the next one. Errors of l are returned as they are.
// A request its client sends just as its idle connection is taken is lost
// with it: the client sees the connection close before any answer, as
// after net/http's idle timeout, and may send it again.
func (cs *Conns) Listen(l net.Listener) net.Listener { return &listener{Listener: l, cs: cs} }

// ConnState is the hook to set as the ConnState of the http.Server serving
// the listener Listen returned. A connection is idle from net/http's
// report of StateIdle (a response finished, no request begun) to its next
// report, so a connection with a request in progress, an event stream
// among them, is never idle, nor is a new one before its first request.
// Connections that are not the ones Accept returned (a server that wraps
// them) are ignored, and their places are never taken.
func (cs *Conns) ConnState(c net.Conn, state http.ConnState) {
	cc, ok := c.(*conn)
	if !ok || cc.cs != cs {
		return
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	// A late report on a closed connection must not make it idle again.
	cs.setIdle(cc, state == http.StateIdle && !cc.closed)
}

type listener struct {
	net.Listener
	cs *Conns
}

func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if evicted, ok := l.cs.take(); ok {
			if evicted != nil {
				evicted.Conn.Close()
			}
			return &conn{Conn: c, cs: l.cs}, nil
		}
		l.cs.refuse(c)
		c.Close()
	}
}

// take takes a place for a new connection: a free one, or else the place
// of the connection idle longest, which it marks closed and returns for the
// caller to close outside the lock. It fails if every place is held by a
// connection that is not idle.
func (cs *Conns) take() (evicted *conn, ok bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.open < cs.limit {
		cs.open++
		return nil, true
	}
	front := cs.idle.Front()
	if front == nil {
		return nil, false
	}
	evicted = front.Value.(*conn)
	cs.forget(evicted) // its place passes to the new connection
	return evicted, true
}

// release gives back c's place, unless it was given back or passed on
// already (then false).
func (cs *Conns) release(c *conn) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c.closed {
		return false
	}
	cs.forget(c)
	cs.open--
	return true
}

// forget marks c closed and no longer idle; cs.mu is held.
func (cs *Conns) forget(c *conn) {
	c.closed = true
	cs.setIdle(c, false)
}

// setIdle puts c at the end of the idle list or takes it out; an idle
// connection keeps its place in the list. cs.mu is held.
func (cs *Conns) setIdle(c *conn, idle bool) {
	switch {
	case idle && c.idle == nil:
		c.idle = cs.idle.PushBack(c)
	case !idle && c.idle != nil:
		cs.idle.Remove(c.idle)
		c.idle = nil
	}
}

// conn is an accepted connection holding a place.
type conn struct {
	net.Conn
	cs *Conns
	// closed and idle are guarded by cs.mu. closed: its place was given
	// back (Close) or passed on (take); idle: its element of cs.idle
	// while it is idle.
	closed bool
	idle   *list.Element
}

// Close closes the connection and, the first time, gives back its place;
// once take has passed its place on, Accept closes it and Close does
// nothing.
func (c *conn) Close() error {
	if !c.cs.release(c) {
		return net.ErrClosed
	}
	return c.Conn.Close()
}

// CloseWrite half-closes the connection when the underlying one can (a TCP
// connection), as net/http does after some error answers so that the
// client reads them.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ErrFull is Enter's answer when every turn is taken and the queue is full.
var ErrFull = errors.New("httpcap: every turn is taken and the queue is full")

// Gate lets a fixed number of requests run at once, and a fixed number more
// wait for a turn.
type Gate struct {
	// admitted holds a token for every request running or waiting,
	// running one for every request running.
	admitted, running chan struct{}
}

// NewGate returns a gate of running turns (at least 1) and queued places
// (at least 0).
func NewGate(running, queued int) *Gate {
	running, queued = max(running, 1), max(queued, 0)
	return &Gate{admitted: make(chan struct{}, running+queued), running: make(chan struct{}, running)}
}

// Enter takes a turn: at once if one is free, whatever ctx says; ErrFull
// at once if every turn is taken and the queue is full; otherwise it waits
// in the queue until a turn frees or ctx ends (then it returns ctx's
// error and holds nothing). After a nil error the caller calls Leave once.
func (g *Gate) Enter(ctx context.Context) error {
	select {
	case g.admitted <- struct{}{}:
	default:
		return ErrFull
	}
	select {
	case g.running <- struct{}{}:
		return nil
	default: // every turn taken: wait in the queue
	}
	select {
	case g.running <- struct{}{}:
		return nil
	case <-ctx.Done():
		<-g.admitted
		return ctx.Err()
	}
}

// Leave gives back a turn Enter gave.
func (g *Gate) Leave() {
	<-g.running
	<-g.admitted
}

// Running is how many turns are taken; Waiting how many requests wait for
// one (read apart, so the two may be of different moments).
func (g *Gate) Running() int { return len(g.running) }

// Waiting: see Running.
func (g *Gate) Waiting() int { return max(len(g.admitted)-len(g.running), 0) }
