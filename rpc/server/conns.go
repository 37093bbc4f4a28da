package server

import (
	"net"
	"net/http"

	"powchain/internal/httpcap"
	"powchain/rpc"
)

// The cap on open connections (Limits.MaxConnections) is an
// internal/httpcap.Conns around Serve's listener, beneath the fast path: a
// connection takes a place when it is accepted and gives it back at its
// first Close (by the fast path, or by net/http through handedConn.Close).
// A connection that finds no place is answered at once by refuseConn,
// before anything is read from it: whatever its request holds, right
// credentials or wrong, the answer is the same, so a guesser learns nothing
// from it, and no refusal of wrong credentials is ever cut short (their
// delay and turn stand, docs/RPC.md).

// refuseConn answers c, a connection over the cap, with HTTP 503 (httpcap
// closes it).
func (s *Server) refuseConn(c net.Conn) {
	w := fastWriter{header: make(http.Header)}
	w.Header().Set("Connection", "close")
	writeJSON(&w, http.StatusServiceUnavailable, errorResponse(nil, rpc.NewError(rpc.CodeMiscError,
		"Too many connections: %d open, the limit; try again later", s.limits.MaxConnections)))
	now := s.now()
	w.finish(now.UTC().AppendFormat(nil, http.TimeFormat))
	c.SetWriteDeadline(now.Add(httpcap.RefuseWriteTimeout))
	c.Write(w.out)
}
