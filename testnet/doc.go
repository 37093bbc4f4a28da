// Package testnet runs local powchain networks for tests: a harness that
// starts real `powchain` processes (the binary is built once per test run)
// on loopback, and the fault scenarios of the project's multi-process tests
// (scenarios_test.go). The shell scripts next to it (up.sh, down.sh, ...) do
// the same for people; the deterministic in-process simulator is in
// testnet/sim.
//
// Every process the harness starts is stopped when its test ends (SIGTERM,
// then SIGKILL). Helpers wait on conditions, never on bare sleeps. Each
// node logs to node.log in its data dir, which goes with the test's
// temporary directory; when the test failed, every node's tip, peers and
// last log lines are written to the test log before the nodes stop.
//
// Concurrency: a Network is used from its test's goroutine; each node
// process has one goroutine waiting for its exit, owned by the Network and
// finished before the test ends.
package testnet
