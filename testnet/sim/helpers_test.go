package sim

import (
	"log/slog"
	"os"
	"strconv"
	"testing"
)

// testSeed is the seed a test runs with: POWCHAIN_SIM_SEED if set, else
// def, so CI runs are reproducible and any failure replays from the seed
// it prints.
func testSeed(t testing.TB, def uint64) uint64 {
	t.Helper()
	v := os.Getenv("POWCHAIN_SIM_SEED")
	if v == "" {
		return def
	}
	seed, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		t.Fatalf("POWCHAIN_SIM_SEED=%q: %v", v, err)
	}
	return seed
}

// newTestSim builds a Sim (its databases in memory unless cfg.Dir says
// otherwise), closed when the test ends. POWCHAIN_SIM_LOG=1 sends the
// Cores' logs to stderr.
func newTestSim(t testing.TB, cfg Config) *Sim {
	t.Helper()
	if os.Getenv("POWCHAIN_SIM_LOG") != "" && cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("seed=%d: new sim: %v", cfg.Seed, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("seed=%d: close: %v", cfg.Seed, err)
		}
	})
	return s
}
