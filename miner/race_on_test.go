//go:build race

package miner

// raceEnabled: the race detector is on; it costs allocations the normal
// build does not make.
const raceEnabled = true
