package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"strings"
	"testing"
)

// runJSON runs the command with args and decodes its output.
func runJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(append(args, "--dir", t.TempDir()), &out, &errOut); err != nil {
		t.Fatalf("simnet %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out.String())
	}
	return m
}

// TestSimnetSmall runs the command on a small network, compared with
// another relay mode: the output has every field, the times are
// consistent (50% ≤ 95% ≤ 100%, the floor below the measured time and
// the ideal push's, the cut-through floor below the floor and the
// cut-through ideal push's, the ratios quotients, the speed-up the quotient of the two runs' 95%
// times), and the same seed gives the same figures.
func TestSimnetSmall(t *testing.T) {
	args := []string{"--nodes", "12", "--blocks", "5", "--interval", "5s", "--relay", "full",
		"--tx-rate", "1", "--block-size", "300kB", "--outbound", "4", "--seed", "7", "--compare", "headers"}
	m := runJSON(t, args...)
	num := func(k string) float64 {
		t.Helper()
		v, ok := m[k].(float64)
		if !ok {
			t.Fatalf("field %q missing or not a number in %v", k, m)
		}
		return v
	}
	p50, p95, p100 := num("p50_s"), num("p95_s"), num("p100_s")
	floor, ratio := num("floor_p95_s"), num("ratio_p95")
	stale, cpu, rss := num("stale_rate"), num("cpu_s"), num("peak_rss_mb")
	num("stale_estimate")
	ideal, cutIdeal, cutFloor := num("ideal_p95_s"), num("cut_through_ideal_p95_s"), num("cut_through_floor_p95_s")
	cutRatio, cutJitter := num("cut_through_ideal_ratio_p95"), num("cut_through_ideal_jitter_p95_s")
	switch {
	case !(0 < p50 && p50 <= p95 && p95 <= p100):
		t.Fatalf("p50 %v, p95 %v, p100 %v: not ordered", p50, p95, p100)
	case !(0 < floor && floor <= p95):
		t.Fatalf("floor p95 %v, measured p95 %v", floor, p95)
	case ratio < 0.999*p95/floor || ratio > 1.001*p95/floor:
		t.Fatalf("ratio %v, want p95/floor = %v", ratio, p95/floor)
	case !(0 < cutFloor && cutFloor <= floor && floor <= ideal && cutFloor <= cutIdeal && cutFloor <= cutJitter):
		t.Fatalf("cut-through floor p95 %v, floor p95 %v, ideal push p95 %v, cut-through ideal push p95 %v (with jitter %v)",
			cutFloor, floor, ideal, cutIdeal, cutJitter)
	case cutRatio < 0.999*cutIdeal/floor || cutRatio > 1.001*cutIdeal/floor:
		t.Fatalf("cut-through ratio %v, want cut-through ideal p95/floor = %v", cutRatio, cutIdeal/floor)
	case stale < 0 || stale > 1 || cpu <= 0 || rss <= 0:
		t.Fatalf("stale rate %v, cpu %v s, peak rss %v MB", stale, cpu, rss)
	case num("blocks") != 5 || num("nodes") != 12 || num("block_size") != 300_000 || m["relay"] != "full":
		t.Fatalf("settings not echoed: %v", m)
	}
	path, _ := m["p95_path"].(map[string]any)
	var parts float64
	for _, k := range []string{"wait_s", "queue_s", "serialization_s", "latency_s", "other_s", "parent_s"} {
		v, ok := path[k].(float64)
		if !ok || v < 0 {
			t.Fatalf("p95_path.%s missing or negative: %v", k, path)
		}
		parts += v
	}
	if path["blocks"] == num("measured_blocks") && (parts < 0.999*p95 || parts > 1.001*p95) {
		t.Fatalf("the p95 path's parts add up to %v s, p95 is %v s", parts, p95)
	}
	if sent, _ := m["sent_by_type"].(map[string]any); sent["block"] == nil || sent["version"] == nil {
		t.Fatalf("sent_by_type lacks blocks or versions: %v", sent)
	}
	cmp, ok := m["compare"].(map[string]any)
	if !ok || cmp["relay"] != "headers" {
		t.Fatalf("no compare object for relay headers: %v", m["compare"])
	}
	cmpP95, _ := cmp["p95_s"].(float64)
	if sp := num("speedup_p95"); cmpP95 <= 0 || sp < 0.999*cmpP95/p95 || sp > 1.001*cmpP95/p95 {
		t.Fatalf("speedup %v, want compare p95 / p95 = %v / %v", sp, cmpP95, p95)
	}
	again := runJSON(t, args...)
	for _, out := range []map[string]any{m, again, cmp, again["compare"].(map[string]any)} {
		delete(out, "cpu_s")
		delete(out, "peak_rss_mb")
	}
	if !reflect.DeepEqual(m, again) {
		t.Fatalf("same seed, different figures:\n%v\n%v", m, again)
	}
}

// TestSimnetFlagErrors: bad settings are refused before anything runs,
// with the flag and the reason in the message.
func TestSimnetFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--nodes", "1"}, "--nodes 1: a network needs at least 2 nodes"},
		{[]string{"--blocks", "0"}, "--blocks 0"},
		{[]string{"--compare", "slow"}, `invalid value "slow" for flag -compare: choose one of compact, headers, full`},
		{[]string{"--relay", "fast"}, `invalid value "fast" for flag -relay: choose one of compact, headers, full`},
		{[]string{"--interval", "0s"}, "--interval 0s"},
		{[]string{"--tx-rate", "-1"}, "--tx-rate -1"},
		{[]string{"--block-size", "2MB"}, "--block-size 2000000: a block holds at most 1000000 bytes"},
		{[]string{"--block-size", "big"}, `invalid value "big" for flag -block-size: not a size in bytes`},
		{[]string{"--upload-mbit", "0"}, "--upload-mbit 0"},
		{[]string{"--nodes", "ten"}, `invalid value "ten" for flag -nodes`},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--memory-limit", "3"}, "--memory-limit 3: a limit of 3 bytes would keep the collector running; give at least 64MB"},
		{[]string{"--memory-limit", "-1GB"}, `invalid value "-1GB" for flag -memory-limit: not a size in bytes`},
		{[]string{"--memory-limit", "lots"}, `invalid value "lots" for flag -memory-limit: not a size in bytes (e.g. 1000000, 500kB, 1MB or 2.5GB), or 0 or off for no limit`},
		{[]string{"--memory-limit", "1e30GB"}, `invalid value "1e30GB" for flag -memory-limit`},
	} {
		var out, errOut bytes.Buffer
		err := run(tc.args, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("simnet %v: error %v, want it to say %q", tc.args, err, tc.want)
		}
		if out.Len() != 0 {
			t.Errorf("simnet %v: printed %q on a bad flag", tc.args, out.String())
		}
	}
}

// TestSimnetHeapProfile: --heap-profile writes a heap profile that names
// the simulator's own allocations, one file per run (--compare's suffixed).
func TestSimnetHeapProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "heap.pprof")
	runJSON(t, "--nodes", "4", "--blocks", "1", "--interval", "5s", "--compare", "full", "--heap-profile", path)
	for _, p := range []string{path, path + ".compare"} {
		checkProfile(t, p)
	}
}

// checkProfile fails t unless path holds a gzipped profile that names the
// simulator's functions.
func checkProfile(t *testing.T, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no profile: %v", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s is not a gzipped profile: %v", path, err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if !bytes.Contains(body, []byte("powchain/testnet/sim")) {
		t.Errorf("%s names none of the simulator's functions", path)
	}
}

// TestSimnetCPUProfile: --cpu-profile writes one gzipped CPU profile of
// the whole invocation (both runs of --compare) that names the simulator's
// functions; a path that cannot be created is refused before any run.
func TestSimnetCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	runJSON(t, "--nodes", "8", "--blocks", "2", "--interval", "5s", "--compare", "full", "--cpu-profile", path)
	checkProfile(t, path)
	var out bytes.Buffer
	bad := filepath.Join(t.TempDir(), "missing", "cpu.pprof")
	err := run([]string{"--nodes", "4", "--blocks", "1", "--cpu-profile", bad}, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--cpu-profile") || out.Len() > 0 {
		t.Errorf("--cpu-profile %s: error %v, output %q; want an error naming the flag and no output", bad, err, out.String())
	}
}

// TestSimnetMemoryLimitFlag: --memory-limit reads sizes with units, 0 and
// off mean no limit, and without the flag the default applies.
func TestSimnetMemoryLimitFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int64
	}{
		{nil, defaultMemoryLimit},
		{[]string{"--memory-limit", "2.5GB"}, 2_500_000_000},
		{[]string{"--memory-limit", "3GiB"}, 3 << 30},
		{[]string{"--memory-limit", "200MB"}, 200_000_000},
		{[]string{"--memory-limit", "512MiB"}, 512 << 20},
		{[]string{"--memory-limit", "64000000"}, 64_000_000},
		{[]string{"--memory-limit", "0"}, 0},
		{[]string{"--memory-limit", "off"}, 0},
	} {
		o, err := parseFlags(tc.args, io.Discard)
		if err != nil {
			t.Errorf("simnet %v: %v", tc.args, err)
		} else if o.memoryLimit != tc.want {
			t.Errorf("simnet %v: memory limit %d bytes, want %d", tc.args, o.memoryLimit, tc.want)
		}
	}
}

// TestSimnetMemoryLimitReported: the JSON reports the runtime's limit in
// force during the run (MiB; 0 for none), in the --compare run as well,
// and the process's own limit is back as it was afterwards.
func TestSimnetMemoryLimitReported(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	for _, tc := range []struct {
		limit  string
		wantMB float64
	}{
		{"512MiB", 512},
		{"off", 0},
	} {
		m := runJSON(t, "--nodes", "4", "--blocks", "1", "--interval", "5s", "--compare", "full", "--memory-limit", tc.limit)
		cmp, _ := m["compare"].(map[string]any)
		for _, out := range []map[string]any{m, cmp} {
			if got, ok := out["memory_limit_mb"].(float64); !ok || got != tc.wantMB {
				t.Errorf("--memory-limit %s: memory_limit_mb %v, want %v", tc.limit, out["memory_limit_mb"], tc.wantMB)
			}
		}
		if after := debug.SetMemoryLimit(-1); after != before {
			t.Errorf("--memory-limit %s: the process's limit is %d after the run, was %d", tc.limit, after, before)
		}
	}
}
