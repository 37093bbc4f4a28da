package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// Watching the client of a running call. net/http ends a request's
// context when it reads the end of the client's input, which a client that
// only closed its sending side (shutdown SHUT_WR, `nc -N`) sends as well as
// one that closed its socket, and which still reads the answer. So the
// calls of a request run under their connection's own context instead:
// it ends when the client is known to be gone, when a read from the
// connection fails other than at the end of the input (the client reset
// it) or a write to it fails. A client whose input has ended is asked
// every probeEvery whether it is still there with an informational answer
// (HTTP/1.1 102 Processing), which a half-closed client receives and an
// HTTP/1.1 client skips; to a client that closed its socket, it draws a
// reset, and the next one fails, which ends the calls' context.

// defaultProbeEvery is how often a client whose input has ended is probed
// while its request's calls run: a call of a client gone runs on for at
// most about twice this long.
const defaultProbeEvery = 10 * time.Second

// connWatch is what a connection served by net/http tells of its client:
// eof ends when a read reaches the end of the client's input, gone when a
// read fails otherwise or a write fails. Both are contexts so that a call
// can wait on gone and a probe can start when eof ends; they only ever end.
type connWatch struct {
	eof, gone         context.Context
	endEOF, endClient context.CancelFunc
}

func newConnWatch() connWatch {
	var w connWatch
	w.eof, w.endEOF = context.WithCancel(context.Background())
	w.gone, w.endClient = context.WithCancel(context.Background())
	return w
}

// sawRead records what a read from the connection returned.
func (w *connWatch) sawRead(err error) {
	switch {
	case err == nil || errors.Is(err, os.ErrDeadlineExceeded):
		// net/http's own deadlines (and its way of ending a read) say
		// nothing about the client.
	case err == io.EOF:
		w.endEOF()
	default:
		w.endClient()
	}
}

// sawWrite records what a write to the connection returned.
func (w *connWatch) sawWrite(err error) {
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		w.endClient()
	}
}

// connKey is the key of a request's *handedConn in its context (set by
// the server's ConnContext).
type connKey struct{}

func withConn(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// watchClient returns the context r's calls run under, which ends only
// when r's client is gone, and callsDone, which the handler calls when the
// calls have returned and before it writes the answer: it stops the
// probes, which write to w until then.
func (s *Server) watchClient(w http.ResponseWriter, r *http.Request) (ctx context.Context, callsDone func()) {
	hc, ok := r.Context().Value(connKey{}).(*handedConn)
	if !ok { // not a connection of Serve's: nothing to watch
		return context.WithoutCancel(r.Context()), func() {}
	}
	if !r.ProtoAtLeast(1, 1) { // an HTTP/1.0 client takes no informational answers
		return hc.watch.gone, func() {}
	}
	done := make(chan struct{})
	var probing sync.WaitGroup
	probing.Add(1)
	stopProbes := context.AfterFunc(hc.watch.eof, func() {
		defer probing.Done()
		s.probe(w, hc.watch.gone, done)
	})
	return hc.watch.gone, func() {
		close(done)
		if stopProbes() { // the client's input had not ended: no probes began
			probing.Done()
		}
		probing.Wait()
	}
}

// probe writes an informational answer to w every probeEvery until done
// is closed or the client is gone. It runs while the handler waits for
// its calls and does not touch w.
func (s *Server) probe(w http.ResponseWriter, gone context.Context, done <-chan struct{}) {
	t := time.NewTicker(s.probeEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			w.WriteHeader(http.StatusProcessing)
		case <-gone.Done():
			return
		case <-done:
			return
		}
	}
}
