package p2p

import (
	"testing"

	"go.uber.org/goleak"
)

// Every goroutine a Server starts must have stopped when Run returns and
// the tests have cleaned up. goleveldb's memory-pool drainer outlives
// DB.Close by up to a second by design; it is not ours.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/syndtr/goleveldb/leveldb.(*DB).mpoolDrain"))
}
