package server

import (
	"context"
	"time"
)

// SetWaitForTest replaces how the server waits out FailedAuthDelay.
func (s *Server) SetWaitForTest(wait func(ctx context.Context, d time.Duration)) { s.wait = wait }

// FastServedForTest is how many requests the fast path has answered.
func (s *Server) FastServedForTest() int64 { return s.fast.served.Load() }
