package sim

import (
	"testing"

	"go.uber.org/goleak"
)

// A Sim starts no goroutines of its own, and closing it closes every
// node's database. goleveldb's memory-pool drainer outlives DB.Close by up
// to a second by design; it is not ours.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/syndtr/goleveldb/leveldb.(*DB).mpoolDrain"))
}
