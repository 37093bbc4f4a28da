package chain

import "time"

// Clock tells the current time. The chain never reads the wall clock: the
// node injects the system clock and tests inject a clock they control, so
// the future-timestamp rule and orphan expiry are deterministic in tests.
type Clock interface {
	Now() time.Time
}
