package node

import "time"

// SystemClock is the wall clock, injected into the layers below the node.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }
