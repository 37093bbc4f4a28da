package chaintest

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"powchain/chain"
	"powchain/wire"
)

// Test difficulty: the proof-of-work limit is met by about every second
// hash and the genesis target by one hash in 256, so tests solve blocks
// instantly and aserti3-2d can still move the target both ways: harder for
// blocks ahead of schedule, easier (up to the limit) for blocks behind it.
const (
	LimitBits   = 0x207fffff
	GenesisBits = 0x2000ffff
)

// Params returns the local network's parameters with a trivial proof of work
// and a genesis block at genesisTime, so a chain built from genesisTime with
// one block per second (TargetSpacing) is on aserti3-2d's schedule. The result is a fresh
// value the caller may adjust (before building the genesis-dependent state).
func Params(genesisTime time.Time) *chain.Params {
	p := chain.LocalParams()
	p.Name = "chaintest"
	p.PowLimitBits = LimitBits
	p.PowLimit = chain.CompactToBig(LimitBits)
	g := chain.NewGenesisBlock("powchain chaintest genesis", genesisTime.Unix(), GenesisBits, 0, p.InitialSubsidy)
	Solve(&g.Header)
	p.GenesisBlock = g
	p.GenesisHash = g.BlockHash()
	return p
}

// Solve sets the header's nonce to the first that meets its target. A
// target that is zero or negative is left unsolved.
func Solve(h *wire.BlockHeader) bool {
	target := chain.CompactToBig(h.Bits)
	if target.Sign() <= 0 {
		return false
	}
	for nonce := uint64(0); nonce <= 0xffffffff; nonce++ {
		h.Nonce = uint32(nonce)
		if chain.HashToBig(h.BlockHash()).Cmp(target) <= 0 {
			return true
		}
	}
	return false
}

// Clock is a clock the test sets by hand. Safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set sets the clock.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Key returns the i-th deterministic test key.
func Key(i int) *btcec.PrivateKey {
	seed := sha256.Sum256(binary.LittleEndian.AppendUint64([]byte("powchain test key"), uint64(i)))
	k, _ := btcec.PrivKeyFromBytes(seed[:])
	return k
}
