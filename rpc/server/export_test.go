package server

import (
	"context"
	"time"
)

// SetWaitForTest replaces how the server waits out FailedAuthDelay.
func (s *Server) SetWaitForTest(wait func(ctx context.Context, d time.Duration)) { s.wait = wait }
