package server

import (
	"context"
	"testing"
	"time"
)

// SetWaitForTest replaces how the server waits out FailedAuthDelay.
func (s *Server) SetWaitForTest(wait func(ctx context.Context, d time.Duration)) { s.wait = wait }

// FastServedForTest is how many requests the fast path has answered.
func (s *Server) FastServedForTest() int64 { return s.fast.served.Load() }

// Receive returns the next value from ch, failing the test if none comes
// (a guard against hanging, not a timing assertion). Tests of both test
// packages use it.
func Receive[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(time.Minute):
		t.Fatal("nothing arrived within a minute")
		panic("unreachable")
	}
}
