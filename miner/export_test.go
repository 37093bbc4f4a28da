package miner

// Hooks for the tests of package miner_test.

// SetEventHook makes m report what its solver does to fn (set before Run).
func SetEventHook(m *Miner, fn func(Event)) { m.onEvent = fn }

// SetNonceLimit lowers the nonce space m's solver searches (set before Run).
func SetNonceLimit(m *Miner, n uint64) { m.maxNonce = n }

// CheckEvery is how many nonces a worker tries between looks at its
// context.
const CheckEvery = checkEvery

// SetExtraNonce sets the extra nonce the miner's next block uses minus one.
func SetExtraNonce(m *Miner, n uint64) { m.extraNonce.Store(n) }
