package testnet

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"powchain/chain"
	"powchain/rpc"
	"powchain/wire"
)

// soakEnv sets the length, in minutes, of TestLocalSoak.
const soakEnv = "POWCHAIN_SOAK_MINUTES"

// The soak's rhythm: every node is sampled every soakEvery, a payment
// goes out every payEvery, and the first soakWarmUp is left out of the
// leak checks (caches and connections settle then).
const (
	soakEvery  = 30 * time.Second
	payEvery   = 15 * time.Second
	soakWarmUp = 5 * time.Minute
	payAmount  = "0.5"
	// richEnough is the confirmed balance (base units) a wallet needs to
	// pay: four payments' worth, so that its coins are not all waiting in
	// its own pending payments.
	richEnough = 2 * wire.CoinValue
)

// Leak bounds, from the second quarter of the run (after the warm-up) to
// the last: a node may hold a few more goroutines and files (a peer's or
// an RPC client's connection come and go) and its heap may grow with the
// chain, but a leak of one goroutine, file or a few kB per block or
// payment crosses them in an hour. The heap bound is on the collector's
// goal (go_memstats_next_gc_bytes), set at each collection from the heap
// it found live: about twice the live heap at GOGC=100 (plus the stacks
// and globals). The heap in use swings between the live heap and that
// goal as garbage comes and goes (one collection every few minutes on a
// node of the soak), so a sample of it says more about when it was taken
// than about what the node keeps.
const (
	extraGoroutines = 25
	extraFiles      = 16
	heapGrowth      = 1.5
	heapSlackMB     = 16
)

// nodeSample is one node's state at one moment, from its /metrics.
type nodeSample struct {
	at                     time.Duration // since the first sample
	height, reorgs         uint64
	peers, goroutines, fds int
	mempool                int
	rssMB, heapMB          float64
	goalMB                 float64 // the collector's heap goal: about twice the live heap
}

// TestLocalSoak (long; POWCHAIN_SOAK_MINUTES=N runs it for N minutes) leaves
// the local network of up.sh running as a developer would (a seed, four
// nodes, one miner thread), moves coins around it all the while (send.sh
// every 15 s, each node's wallet paying the next once it has coins, node1's
// otherwise) and samples every node's metrics every 30 s. It fails if a
// process dies, a wallet with coins cannot pay, a payment is not confirmed
// on every node at the end, the nodes do not agree on one tip at the end,
// a node ends without peers, any block is refused as too new, or a node's
// goroutines, open files or heap goal grow past the leak bounds above. The
// figures (per node: height, peers, goroutines, files, RSS, heap in use and
// heap goal at the quarters of the run) go to docs/BENCHMARKS.md.
func TestLocalSoak(t *testing.T) {
	minutes, dir, run, rpcBase, ok := upForMinutes(t, soakEnv, "60 to leave the local network running for an hour and check it")
	if !ok {
		return
	}
	names := []string{"seed", "node1", "node2", "node3", "node4"}
	clients := map[string]*rpc.Client{}
	for i, n := range names {
		clients[n] = scriptNodeClient(t, dir, n, rpcBase+i)
	}
	pids := pidFiles(t, dir)

	samples := map[string][]nodeSample{}
	var paid []string
	start := time.Now()
	sample := time.NewTicker(soakEvery)
	defer sample.Stop()
	pay := time.NewTicker(payEvery)
	defer pay.Stop()
	for turn := 0; time.Since(start) < time.Duration(minutes)*time.Minute; {
		select {
		case <-pay.C:
			paid = append(paid, payNext(t, run, dir, names[1:], turn))
			turn++
		case <-sample.C:
			checkAlive(t, pids)
			for _, n := range names {
				s, err := scrapeNode(dir, n)
				if err != nil {
					t.Fatalf("%s's metrics: %v", n, err)
				}
				s.at = time.Since(start)
				samples[n] = append(samples[n], s)
			}
		}
	}
	t.Logf("%d payments sent over %d minutes", len(paid), minutes)

	ctx := context.Background()
	WaitFor(t, 2*time.Minute, "every payment confirmed on every node", func() bool {
		return allConfirmed(ctx, clients, paid) == nil
	})
	agreeOnTip(t, ctx, clients)
	for _, n := range names {
		s := samples[n]
		reportSoak(t, n, s)
		checkLeaks(t, n, s)
		if last := s[len(s)-1]; last.peers == 0 {
			t.Errorf("%s ended without peers", n)
		}
	}
	if usage, err := procUsage(pids["miner"]); err == nil {
		t.Logf("miner: RSS %.1f MB at the end (peak %.1f MB)", usage[0], usage[1])
	}
	if n := countLogLines(t, dir, "time-too-new", "ErrTimeTooNew"); n != 0 {
		t.Errorf("%d blocks were refused as too new", n)
	}
	t.Logf("log lines at level ERROR: %d, WARN: %d", countLogLines(t, dir, "level=ERROR"), countLogLines(t, dir, "level=WARN"))
}

// payNext sends payAmount through send.sh from the turn's node to the next
// one in the ring, or from node1 (the miner's wallet) while the turn's
// node has too few confirmed coins; it returns the txid. A wallet that has
// the coins and cannot pay fails the test.
func payNext(t *testing.T, run func(string, ...string) (string, error), dir string, ring []string, turn int) string {
	t.Helper()
	from, to := ring[turn%len(ring)], ring[(turn+1)%len(ring)]
	if confirmed, err := walletConfirmed(dir, from); err != nil {
		t.Fatalf("%s's balance: %v", from, err)
	} else if confirmed < richEnough {
		from = ring[0]
	}
	out, err := run("send.sh", from, to, payAmount)
	if err != nil {
		t.Fatalf("send.sh %s %s %s: %v\n%s", from, to, payAmount, err, out)
	}
	return lastLine(out)
}

// walletConfirmed is the confirmed balance of node's wallet, in base
// units, through the binary as a user reads it.
func walletConfirmed(dir, node string) (uint64, error) {
	cmd := exec.Command(filepath.Join(dir, "bin", "powchain"), "wallet", "balance", "--json",
		"--datadir", filepath.Join(dir, node))
	cmd.Env = append(os.Environ(), "POWCHAIN_WALLET_PASSPHRASE="+walletPassphrase)
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		return 0, fmt.Errorf("%v: %s", err, ee.Stderr)
	} else if err != nil {
		return 0, err
	}
	var b Balance
	err = json.Unmarshal(out, &b)
	return b.Confirmed, err
}

// checkAlive fails the test if any process up.sh started has died.
func checkAlive(t *testing.T, pids map[string]int) {
	t.Helper()
	for name, pid := range pids {
		if syscall.Kill(pid, 0) != nil {
			t.Fatalf("%s (pid %d) died", name, pid)
		}
	}
}

// scrapeNode reads one sample of node's Prometheus metrics.
func scrapeNode(dir, node string) (nodeSample, error) {
	addr, err := os.ReadFile(filepath.Join(dir, node, chain.LocalNet, "http.address"))
	if err != nil {
		return nodeSample{}, err
	}
	resp, err := http.Get("http://" + strings.TrimSpace(string(addr)) + "/metrics")
	if err != nil {
		return nodeSample{}, err
	}
	defer resp.Body.Close()
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return nodeSample{}, fmt.Errorf("%q: %v", sc.Text(), err)
		}
		if base, _, labelled := strings.Cut(name, "{"); labelled && base == "powchain_peers" {
			m[base] += v // both directions
			continue
		}
		m[name] = v
	}
	if err := sc.Err(); err != nil {
		return nodeSample{}, err
	}
	for _, need := range []string{"go_goroutines", "process_open_fds", "process_resident_memory_bytes", "go_memstats_heap_inuse_bytes", "go_memstats_next_gc_bytes", "powchain_chain_height"} {
		if _, ok := m[need]; !ok {
			return nodeSample{}, fmt.Errorf("no %s in /metrics", need)
		}
	}
	return nodeSample{
		height: uint64(m["powchain_chain_height"]), reorgs: uint64(m["powchain_chain_reorganizations_total"]),
		peers: int(m["powchain_peers"]), goroutines: int(m["go_goroutines"]), fds: int(m["process_open_fds"]),
		mempool: int(m["powchain_mempool_transactions"]),
		rssMB:   m["process_resident_memory_bytes"] / 1e6, heapMB: m["go_memstats_heap_inuse_bytes"] / 1e6,
		goalMB: m["go_memstats_next_gc_bytes"] / 1e6,
	}, nil
}

// procUsage is a process's resident and peak resident memory in MB, from
// /proc (the miner serves no metrics under up.sh).
func procUsage(pid int) ([2]float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return [2]float64{}, err
	}
	var u [2]float64
	for _, line := range strings.Split(string(b), "\n") {
		for i, key := range []string{"VmRSS:", "VmHWM:"} {
			if rest, ok := strings.CutPrefix(line, key); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
				u[i] = kb / 1000
			}
		}
	}
	return u, nil
}

// allConfirmed returns an error naming the first payment some node does
// not have in a best-chain block (through its transaction index, on by
// default on the local network).
func allConfirmed(ctx context.Context, clients map[string]*rpc.Client, txids []string) error {
	for name, c := range clients {
		for _, id := range txids {
			var tx struct{ Confirmations int64 }
			if err := c.Call(ctx, "getrawtransaction", []any{id, true}, &tx); err != nil {
				return fmt.Errorf("%s: %s: %v", name, id, err)
			}
			if tx.Confirmations < 1 {
				return fmt.Errorf("%s: %s unconfirmed", name, id)
			}
		}
	}
	return nil
}

// agreeOnTip waits until every node reports the same best block; the
// miner keeps mining, so a snapshot may catch a block in flight.
func agreeOnTip(t *testing.T, ctx context.Context, clients map[string]*rpc.Client) {
	t.Helper()
	WaitFor(t, time.Minute, "every node on one tip", func() bool {
		tips := map[string]bool{}
		for _, c := range clients {
			var hash string
			if err := c.Call(ctx, "getbestblockhash", nil, &hash); err != nil {
				return false
			}
			tips[hash] = true
		}
		return len(tips) == 1
	})
}

// quarters returns the samples at the end of the warm-up and at the ends
// of the run's remaining quarters (the last sample last).
func quarters(s []nodeSample) []nodeSample {
	first := slices.IndexFunc(s, func(x nodeSample) bool { return x.at >= soakWarmUp })
	if first < 0 {
		first = len(s) - 1
	}
	rest := s[first:]
	var q []nodeSample
	for i := range 5 {
		q = append(q, rest[i*(len(rest)-1)/4])
	}
	return q
}

// reportSoak logs a node's figures at the end of the warm-up and at each
// quarter of the rest of the run.
func reportSoak(t *testing.T, node string, s []nodeSample) {
	t.Helper()
	for _, x := range quarters(s) {
		t.Logf("%-5s %5.1f min: height %6d, reorgs %3d, peers %2d, goroutines %3d, files %3d, mempool %3d, RSS %6.1f MB, heap %6.1f MB, heap goal %6.1f MB",
			node, x.at.Minutes(), x.height, x.reorgs, x.peers, x.goroutines, x.fds, x.mempool, x.rssMB, x.heapMB, x.goalMB)
	}
}

// checkLeaks compares the last quarter of the run with the second (the
// quarters after the warm-up), by their largest goroutine and file counts
// and their median heap goal.
func checkLeaks(t *testing.T, node string, s []nodeSample) {
	t.Helper()
	q := quarters(s)
	second := window(s, q[1].at, q[2].at)
	last := window(s, q[3].at, q[4].at)
	if len(second) == 0 || len(last) == 0 {
		t.Fatalf("%s: too few samples for the leak checks (run the soak longer)", node)
	}
	most := func(w []nodeSample, f func(nodeSample) int) int {
		m := 0
		for _, x := range w {
			m = max(m, f(x))
		}
		return m
	}
	medianGoal := func(w []nodeSample) float64 {
		h := make([]float64, len(w))
		for i, x := range w {
			h[i] = x.goalMB
		}
		slices.Sort(h)
		return h[len(h)/2]
	}
	if a, b := most(second, func(x nodeSample) int { return x.goroutines }), most(last, func(x nodeSample) int { return x.goroutines }); b > a+extraGoroutines {
		t.Errorf("%s: goroutines grew from at most %d to %d", node, a, b)
	}
	if a, b := most(second, func(x nodeSample) int { return x.fds }), most(last, func(x nodeSample) int { return x.fds }); b > a+extraFiles {
		t.Errorf("%s: open files grew from at most %d to %d", node, a, b)
	}
	if a, b := medianGoal(second), medianGoal(last); b > a*heapGrowth+heapSlackMB {
		t.Errorf("%s: median heap goal grew from %.1f MB to %.1f MB", node, a, b)
	}
}

// window returns the samples taken from from to to, both included.
func window(s []nodeSample, from, to time.Duration) []nodeSample {
	var w []nodeSample
	for _, x := range s {
		if x.at >= from && x.at <= to {
			w = append(w, x)
		}
	}
	return w
}
