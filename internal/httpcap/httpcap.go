package httpcap

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// RefuseWriteTimeout bounds the write of a refusal (the answer to a
// connection beyond the cap): it goes into a new connection's empty send
// buffer, so it only waits if something is wrong. A server's refuse sets
// it as the connection's write deadline, on the server's own clock.
const RefuseWriteTimeout = time.Second

// Conns caps the connections open at once on the listeners it wraps.
type Conns struct {
	places chan struct{}
	refuse func(net.Conn)
}

// NewConns returns a cap of limit connections (at least 1). refuse answers a
// connection beyond the cap and must not close it (Conns closes it after)
// nor block long (it sets RefuseWriteTimeout as its write deadline).
func NewConns(limit int, refuse func(c net.Conn)) *Conns {
	return &Conns{places: make(chan struct{}, max(limit, 1)), refuse: refuse}
}

// Open is how many connections hold a place now.
func (cs *Conns) Open() int { return len(cs.places) }

// Max is the cap.
func (cs *Conns) Max() int { return cap(cs.places) }

// Listen wraps l: its Accept returns only connections that took a place,
// each giving it back at its first Close; a connection that finds none is
// refused and closed inside Accept, which then accepts the next one.
// Errors of l are returned as they are.
func (cs *Conns) Listen(l net.Listener) net.Listener { return &listener{Listener: l, cs: cs} }

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
		select {
		case l.cs.places <- struct{}{}:
			return &conn{Conn: c, places: l.cs.places}, nil
		default:
		}
		l.cs.refuse(c)
		c.Close()
	}
}

// conn is an accepted connection holding a place.
type conn struct {
	net.Conn
	places chan struct{}
	closed sync.Once
}

// Close closes the connection and, the first time, gives back its place.
func (c *conn) Close() error {
	err := net.ErrClosed
	c.closed.Do(func() {
		err = c.Conn.Close()
		<-c.places
	})
	return err
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
