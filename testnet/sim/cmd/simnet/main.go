// Command simnet runs the deterministic network simulator (package
// powchain/testnet/sim) with the bandwidth, validation and region latency
// models on, measures every block's propagation against its physical
// floor, and prints one JSON object. A run is a function of its flags.
//
//	go run ./testnet/sim/cmd/simnet --nodes 100 --blocks 20 --interval 10s \
//	    --relay compact --tx-rate 1 --block-size 1MB --seed 1 --compare full
//
// With --compare, the same network (same seed, same topology, same miners
// as far as the runs agree) runs again under another relay mode, reported
// in "compare" with speedup_p95, its 95% time over this one's.
//
// --memory-limit sets the Go runtime's soft memory limit for the run
// (runtime/debug.SetMemoryLimit; default 2.5GB, 0 or off for none; it
// replaces GOMEMLIMIT). Without it the collector lets the heap grow to
// twice the live data (GOGC=100), and at 1,000 nodes that headroom alone
// exceeds the 3 GB budget. The limit only changes when the
// collector runs: the simulation, and every figure but cpu_s and
// peak_rss_mb, is the same with or without it. The JSON reports the limit
// in force as memory_limit_mb (MiB, like peak_rss_mb; 0 = none).
//
// --heap-profile writes the live heap of the converged network (one file
// per run; --compare's is suffixed .compare) and --cpu-profile a CPU
// profile of the whole invocation, for `go tool pprof`.
//
// See testnet/sim/doc.go for the models and docs/BENCHMARKS.md for figures.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"powchain/internal/rusage"
	"powchain/p2p"
	"powchain/testnet/sim"
	"powchain/wire"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "simnet:", err)
		}
		os.Exit(2)
	}
}

// options are the command's flags.
type options struct {
	nodes, blocks, outbound int
	interval                time.Duration
	relay                   p2p.RelayMode
	compare                 *p2p.RelayMode // also run the same network with this relay mode
	txRate                  float64
	blockSize               int
	uploadMbit              float64
	perTx                   time.Duration
	seed                    uint64
	dir                     string
	heapProfile             string // where to write the heap profile of the converged network
	cpuProfile              string // where to write the CPU profile of the whole invocation
	memoryLimit             int64  // the Go runtime's soft memory limit in bytes; 0 = none
}

// defaultPerTx is the validation cost of one transaction whose signature
// the mempool already checked: BenchmarkConnectBlock's "cached" case, 24 ms
// for a block of 2,000 transactions on the reference machine at 16f847f
// (docs/BENCHMARKS.md, "Validation (chain)"; 44 ms when first measured,
// before the sync work of issue 14).
const defaultPerTx = 12 * time.Microsecond

// defaultMemoryLimit keeps the 1,000-node run under its 3 GB
// budget with room to spare: the collector holds the Go heap (and the
// runtime's other memory) near 2.5 GB, leaving room for the overshoot
// between collections, where GOGC=100 alone let the peak RSS reach 3.6 GB
// before the simulated nodes' live data shrank and 2.65 GB after, at no
// extra CPU (docs/BENCHMARKS.md, "Memory of the simulated nodes").
const defaultMemoryLimit = 2_500_000_000

// minMemoryLimit refuses limits so small that the collector would run
// without pause; mostly a forgotten unit (--memory-limit 3 is 3 bytes).
const minMemoryLimit = 64_000_000

func parseFlags(args []string, stderr io.Writer) (options, error) {
	o := options{blockSize: 1_000_000, memoryLimit: defaultMemoryLimit}
	fs := flag.NewFlagSet("simnet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.nodes, "nodes", 100, "number of simulated nodes")
	fs.IntVar(&o.blocks, "blocks", 20, "number of measured blocks")
	fs.IntVar(&o.outbound, "outbound", 8, "outbound connections per node")
	fs.DurationVar(&o.interval, "interval", 10*time.Second, "mean time between blocks")
	fs.Func("relay", "block relay: compact, headers or full (default compact)", func(v string) error {
		return parseRelay(v, &o.relay)
	})
	fs.Func("compare", "also run the same network (same seed) with this relay mode, and report both", func(v string) error {
		o.compare = new(p2p.RelayMode)
		return parseRelay(v, o.compare)
	})
	fs.Float64Var(&o.txRate, "tx-rate", 0.5, "real transactions injected per second, network-wide")
	fs.Func("block-size", "declared size of every block, made up with virtual transactions the nodes already have (bytes; kB and MB suffixes allowed; default 1MB)", func(v string) error {
		n, err := parseSize(v)
		o.blockSize = n
		return err
	})
	fs.Float64Var(&o.uploadMbit, "upload-mbit", 10, "every node's upload rate, Mbit/s")
	fs.DurationVar(&o.perTx, "validation-per-tx", defaultPerTx, "simulated validation time per transaction")
	fs.Uint64Var(&o.seed, "seed", 1, "the run's seed")
	fs.StringVar(&o.dir, "dir", "", "directory for the nodes' databases (default: none, they are kept in memory)")
	fs.StringVar(&o.heapProfile, "heap-profile", "", "write a heap profile of the network after the run (before it closes) to this file")
	fs.StringVar(&o.cpuProfile, "cpu-profile", "", "write a CPU profile of the whole invocation (every run) to this file")
	fs.Func("memory-limit", "the Go runtime's soft memory limit during the run (bytes; kB, MB, GB, KiB, MiB, GiB suffixes allowed; 0 or off for none; default 2.5GB)", func(v string) error {
		return parseMemoryLimit(v, &o.memoryLimit)
	})
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (every setting is a flag, e.g. --nodes 100)", fs.Arg(0))
	}
	return o, o.validate()
}

func parseRelay(v string, m *p2p.RelayMode) error {
	mode, err := p2p.ParseRelayMode(v)
	if err != nil {
		return errors.New("choose one of compact, headers, full")
	}
	*m = mode
	return nil
}

// parseMemoryLimit reads --memory-limit: a size as parseSize reads it, or
// off (as GOMEMLIMIT spells it), which like 0 means no limit.
func parseMemoryLimit(v string, limit *int64) error {
	if strings.TrimSpace(v) == "off" {
		*limit = 0
		return nil
	}
	n, err := parseSize(v)
	if err != nil {
		return fmt.Errorf("%w, or 0 or off for no limit", err)
	}
	*limit = int64(n)
	return nil
}

// parseSize reads a byte count: digits, optionally followed by kB, MB or
// GB (powers of ten, as block sizes are counted) or KiB, MiB or GiB
// (powers of two).
func parseSize(v string) (int, error) {
	mult := 1
	num := v
	for _, u := range []struct {
		suffix string
		mult   int
	}{
		{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
		{"GB", 1_000_000_000}, {"MB", 1_000_000}, {"kB", 1000}, {"KB", 1000}, {"B", 1},
	} {
		if strings.HasSuffix(v, u.suffix) {
			num, mult = strings.TrimSuffix(v, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || n < 0 || n*float64(mult) >= math.MaxInt64 {
		return 0, errors.New("not a size in bytes (e.g. 1000000, 500kB, 1MB or 2.5GB)")
	}
	return int(n * float64(mult)), nil
}

func (o options) validate() error {
	switch {
	case o.nodes < 2:
		return fmt.Errorf("--nodes %d: a network needs at least 2 nodes", o.nodes)
	case o.blocks < 1:
		return fmt.Errorf("--blocks %d: measure at least 1 block", o.blocks)
	case o.outbound < 1:
		return fmt.Errorf("--outbound %d: each node needs at least 1 outbound connection", o.outbound)
	case o.interval <= 0:
		return fmt.Errorf("--interval %v: the time between blocks must be positive", o.interval)
	case o.txRate < 0:
		return fmt.Errorf("--tx-rate %v: the transaction rate cannot be negative", o.txRate)
	case o.blockSize > wire.MaxBlockSize:
		return fmt.Errorf("--block-size %d: a block holds at most %d bytes", o.blockSize, wire.MaxBlockSize)
	case o.uploadMbit <= 0:
		return fmt.Errorf("--upload-mbit %v: the upload rate must be positive", o.uploadMbit)
	case o.perTx < 0:
		return fmt.Errorf("--validation-per-tx %v: cannot be negative", o.perTx)
	case o.memoryLimit != 0 && o.memoryLimit < minMemoryLimit:
		return fmt.Errorf("--memory-limit %d: a limit of %d bytes would keep the collector running; give at least 64MB with its unit (e.g. 2.5GB), or 0 or off for none",
			o.memoryLimit, o.memoryLimit)
	}
	return nil
}

// result is the JSON object the command prints. Times are in seconds.
type result struct {
	Nodes      int     `json:"nodes"`
	Blocks     int     `json:"blocks"`
	Measured   int     `json:"measured_blocks"`
	Stale      int     `json:"stale_blocks"`
	Relay      string  `json:"relay"`
	IntervalS  float64 `json:"interval_s"`
	BlockSize  int     `json:"block_size"`
	TxRate     float64 `json:"tx_rate"`
	UploadMbit float64 `json:"upload_mbit"`
	Seed       uint64  `json:"seed"`
	P50S       float64 `json:"p50_s"`
	P95S       float64 `json:"p95_s"`
	P100S      float64 `json:"p100_s"`
	WorstP95S  float64 `json:"worst_p95_s"`
	FloorP50S  float64 `json:"floor_p50_s"`
	FloorP95S  float64 `json:"floor_p95_s"`
	FloorP100S float64 `json:"floor_p100_s"`
	RatioP95   float64 `json:"ratio_p95"`
	// IdealP95S is the mean 95% time under an ideal push protocol (no
	// validation or requests, perfect knowledge, queueing on the upload
	// link only); IdealRatioP95 is it over floor_p95_s.
	IdealP95S     float64 `json:"ideal_p95_s"`
	IdealRatioP95 float64 `json:"ideal_ratio_p95"`
	// CutThroughIdealP95S is the same ideal protocol with cut-through
	// forwarding (the compact form in 1,400-byte pieces, each forwarded
	// once it is in), CutThroughIdealRatioP95 it over floor_p95_s;
	// CutThroughFloorP95S is the mean 95% of the cut-through limit (base
	// latency, the first piece per hop, the rest of the form once);
	// CutThroughIdealJitterP95S is cut_through_ideal_p95_s with the
	// jitter's mean (10 ms) added to every link's latency.
	CutThroughIdealP95S       float64 `json:"cut_through_ideal_p95_s"`
	CutThroughIdealRatioP95   float64 `json:"cut_through_ideal_ratio_p95"`
	CutThroughFloorP95S       float64 `json:"cut_through_floor_p95_s"`
	CutThroughIdealJitterP95S float64 `json:"cut_through_ideal_jitter_p95_s"`

	TauS          float64 `json:"tau_s"`
	StaleRate     float64 `json:"stale_rate"`
	StaleEstimate float64 `json:"stale_estimate"`
	Txs           int     `json:"txs"`
	SimulatedS    float64 `json:"simulated_s"`
	Events        uint64  `json:"events"`
	Messages      uint64  `json:"messages"`
	Disconnects   uint64  `json:"disconnects"`
	// SentByType counts the messages sent, by type.
	SentByType map[string]uint64 `json:"sent_by_type"`
	// P95Path splits the time to the node at the 95% mark along the path
	// the block took (mean over blocks; see sim.PathCost).
	P95Path  pathJSON `json:"p95_path"`
	UploadMB float64  `json:"upload_mb"`
	// PushesDropped counts compact blocks pushed unasked that never left
	// their sender's queue: the peer showed meanwhile that it had the block.
	PushesDropped uint64  `json:"pushes_dropped"`
	CPUS          float64 `json:"cpu_s"`       // this run's CPU time (user and system)
	PeakRSSMB     float64 `json:"peak_rss_mb"` // the process's peak resident memory, MiB
	// MemoryLimitMB is the Go runtime's soft memory limit during the run,
	// MiB (as peak_rss_mb); 0 if there was none.
	MemoryLimitMB float64 `json:"memory_limit_mb"`

	// With --compare: the same network under the other relay mode, and
	// how many times slower its 95% time is (its p95_s / this p95_s).
	Compare    *result `json:"compare,omitempty"`
	SpeedupP95 float64 `json:"speedup_p95,omitempty"`
}

func run(args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	// The limit holds for this run only: the previous one comes back after
	// (the tests call run in one process).
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(o.runtimeMemoryLimit()))
	stopProfile, err := startCPUProfile(o.cpuProfile)
	if err != nil {
		return err
	}
	res, err := simulateAll(o)
	if err = errors.Join(err, stopProfile()); err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

// simulateAll runs the network o describes and, with --compare, again
// under the other relay mode.
func simulateAll(o options) (result, error) {
	res, err := simulate(o, "run")
	if err != nil {
		return res, err
	}
	if o.compare != nil {
		other := o
		other.relay = *o.compare
		cmp, err := simulate(other, "compare")
		if err != nil {
			return res, fmt.Errorf("the --compare %v run: %w", other.relay, err)
		}
		res.Compare = &cmp
		res.SpeedupP95 = cmp.P95S / res.P95S
	}
	return res, nil
}

// startCPUProfile starts profiling the CPU into path (nothing if path is
// empty); the function it returns stops the profile and closes the file.
func startCPUProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

// simulate runs the network o describes, its databases in o.dir/name (or
// in memory), and measures it.
func simulate(o options, name string) (result, error) {
	cpu0, _ := resourceUse()
	dir := ""
	if o.dir != "" {
		dir = filepath.Join(o.dir, name)
	}
	s, err := sim.New(o.config(dir))
	if err != nil {
		return result{}, err
	}
	rep, runErr := s.RunPropagation(sim.Propagation{Blocks: o.blocks, Interval: o.interval, TxRate: o.txRate})
	st := s.Stats()
	elapsed := s.Elapsed()
	profErr := writeHeapProfile(o.heapProfile, name)
	if err := errors.Join(runErr, profErr, s.Close()); err != nil {
		return result{}, err
	}
	res := o.result(rep, st, elapsed)
	cpu1, rss := resourceUse()
	res.CPUS, res.PeakRSSMB = cpu1-cpu0, rss
	res.MemoryLimitMB = memoryLimitMB()
	return res, nil
}

// runtimeMemoryLimit is o's limit as debug.SetMemoryLimit takes it
// (math.MaxInt64 is its "no limit").
func (o options) runtimeMemoryLimit() int64 {
	if o.memoryLimit == 0 {
		return math.MaxInt64
	}
	return o.memoryLimit
}

// memoryLimitMB is the runtime's soft memory limit in force, in MiB; 0 if
// there is none.
func memoryLimitMB() float64 {
	limit := debug.SetMemoryLimit(-1) // a negative limit only reads it
	if limit == math.MaxInt64 {
		return 0
	}
	return float64(limit) / (1 << 20)
}

// writeHeapProfile writes the live heap to path (suffixed with the run's
// name for a --compare run), after a collection so that only what the
// network holds is in it; nothing if path is empty.
func writeHeapProfile(path, name string) error {
	if path == "" {
		return nil
	}
	if name != "run" {
		path += "." + name
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--heap-profile: %w", err)
	}
	runtime.GC()
	return errors.Join(pprof.WriteHeapProfile(f), f.Close())
}

// config is the simulator's configuration for o: region latencies, the
// upload rate, validation time, 8 outbound peers of 125 by default, and no
// seeds: address books that know twice the outbound count of random nodes,
// so the outbound connections form a random graph without hubs.
func (o options) config(dir string) sim.Config {
	return sim.Config{
		Seed: o.seed, Dir: dir, Nodes: o.nodes, NoSeeds: true,
		TargetOutbound: o.outbound, MaxPeers: max(125, 2*o.outbound), KnownPeers: 2 * o.outbound,
		Link: sim.LinkConfig{
			Regions:          true,
			UploadBitsPerSec: int64(o.uploadMbit * 1e6),
		},
		ValidationPerTx: o.perTx,
		BlockSize:       o.blockSize,
		Relay:           o.relay,
	}
}

func (o options) result(rep sim.Report, st sim.Stats, elapsed time.Duration) result {
	return result{
		Nodes: o.nodes, Blocks: rep.Mined, Measured: rep.Measured, Stale: rep.Stale,
		Relay: o.relay.String(), IntervalS: o.interval.Seconds(), BlockSize: o.blockSize, TxRate: o.txRate,
		UploadMbit: o.uploadMbit, Seed: o.seed,
		P50S: rep.P50.Seconds(), P95S: rep.P95.Seconds(), P100S: rep.P100.Seconds(),
		WorstP95S: rep.WorstP95.Seconds(),
		FloorP50S: rep.FloorP50.Seconds(), FloorP95S: rep.FloorP95.Seconds(), FloorP100S: rep.FloorP100.Seconds(),
		IdealP95S: rep.IdealP95.Seconds(), IdealRatioP95: rep.IdealRatio,
		CutThroughIdealP95S: rep.CutIdealP95.Seconds(), CutThroughIdealRatioP95: rep.CutIdealRatio,
		CutThroughFloorP95S: rep.CutFloorP95.Seconds(), CutThroughIdealJitterP95S: rep.CutJitterP95.Seconds(),
		RatioP95: rep.Ratio, TauS: rep.Tau.Seconds(),
		StaleRate: rep.StaleRate, StaleEstimate: rep.StaleEstimate,
		Txs: st.Txs, SimulatedS: elapsed.Seconds(), Events: st.Events, Messages: st.Delivered, Disconnects: st.Disconnects,
		UploadMB: float64(st.UploadBytes) / 1e6, PushesDropped: st.PushesDropped, SentByType: sentByType(st),
		P95Path: pathJSON{
			Blocks: rep.PathsKnown, Hops: rep.P95Path.Hops, WaitS: rep.P95Path.Wait.Seconds(),
			QueueS: rep.P95Path.Queue.Seconds(), SerializationS: rep.P95Path.Serialization.Seconds(),
			LatencyS: rep.P95Path.Latency.Seconds(), OtherS: rep.P95Path.Other.Seconds(),
			ParentS: rep.P95Path.Parent.Seconds(),
		},
	}
}

// pathJSON is sim.PathCost in seconds.
type pathJSON struct {
	Blocks         int     `json:"blocks"` // blocks whose path is known
	Hops           float64 `json:"hops"`
	WaitS          float64 `json:"wait_s"`
	QueueS         float64 `json:"queue_s"`
	SerializationS float64 `json:"serialization_s"`
	LatencyS       float64 `json:"latency_s"`
	OtherS         float64 `json:"other_s"`
	ParentS        float64 `json:"parent_s"`
}

func sentByType(st sim.Stats) map[string]uint64 {
	out := make(map[string]uint64)
	for t, n := range st.SentByType {
		if n > 0 {
			out[p2p.MsgType(t).String()] = n
		}
	}
	return out
}

// resourceUse is the process's CPU time so far (user and system) and its
// peak resident memory.
func resourceUse() (cpuS, peakRSSMB float64) {
	u := rusage.Self()
	return u.CPU.Seconds(), float64(u.PeakRSS) / (1 << 20)
}
