package testnet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"powchain/chain"
	"powchain/rpc"
)

// paceEnv sets the length, in minutes, of TestLocalPace.
const paceEnv = "POWCHAIN_PACE_MINUTES"

// Pace measurement: the first minute after block 1 is warm-up, then the
// block count is reported per two-minute window.
const (
	paceWarmUp = 60 * time.Second
	paceWindow = 2 * time.Minute
)

// paceSample is node1's tip as seen at one moment.
type paceSample struct {
	at      time.Time
	height  uint64
	tipTime int64
}

// TestLocalPace (long; POWCHAIN_PACE_MINUTES=N runs it for N minutes) brings
// up the local network exactly as a user does (up.sh: a seed, four nodes,
// one miner thread), samples node1's tip every second through the binary's
// RPC and reports, per two-minute window after the warm-up, the blocks found
// and the mean interval against the one-second target; how far the tip's
// timestamp runs ahead of or behind the wall clock; and how many blocks any
// node or the miner refused as too new. It fails only on a too-new refusal
// (a consensus event); the pace figures go to docs/BENCHMARKS.md.
func TestLocalPace(t *testing.T) {
	minutes, dir, _, rpcBase, ok := upForMinutes(t, paceEnv, "30 to measure the local network's pace for 30 minutes")
	if !ok {
		return
	}
	client := scriptNodeClient(t, dir, "node1", rpcBase+1)
	ctx := context.Background()

	var block1Hash string
	var block1 rpc.BlockHeaderResult
	if err := client.Call(ctx, "getblockhash", []any{1}, &block1Hash); err != nil {
		t.Fatal(err)
	}
	if err := client.Call(ctx, "getblockheader", []any{block1Hash}, &block1); err != nil {
		t.Fatal(err)
	}
	start := time.Unix(block1.Time, 0)
	end := start.Add(time.Duration(minutes) * time.Minute)
	var samples []paceSample
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for now := range tick.C {
		if now.After(end) {
			break
		}
		s, err := sampleTip(ctx, client)
		if err != nil {
			t.Fatalf("sample: %v", err)
		}
		s.at = now
		samples = append(samples, s)
	}
	reportPace(t, start, samples)

	tooNew, rejected := countLogLines(t, dir, "time-too-new", "ErrTimeTooNew"), countLogLines(t, dir, "rejected")
	t.Logf("blocks refused as too new (all logs): %d; blocks the miner saw rejected: %d", tooNew, rejected)
	if tooNew != 0 {
		t.Errorf("%d blocks were refused as too new", tooNew)
	}
}

// upForMinutes starts a long test that runs up.sh's network for the
// minutes that the environment variable env says, in a private network
// namespace (see inPrivateNetwork); it skips the test, with usage telling
// what to set env to, when env is unset. ok is false where the calling
// test must return: in the parent of the namespace, which reports the
// child's result. run runs the other scripts against the same network.
func upForMinutes(t *testing.T, env, usage string) (minutes int, dir string, run func(string, ...string) (string, error), rpcBase int, ok bool) {
	t.Helper()
	minutes, _ = strconv.Atoi(os.Getenv(env))
	if minutes <= 0 {
		t.Skipf("long test: set %s=%s", env, usage)
	}
	if !inPrivateNetwork(t) {
		return 0, "", nil, 0, false
	}
	dir = t.TempDir()
	run, rpcBase = scriptRunner(t, dir)
	if out, err := run("up.sh"); err != nil {
		t.Fatalf("up.sh: %v\n%s", err, out)
	}
	return minutes, dir, run, rpcBase, true
}

// sampleTip reads the node's tip height and timestamp.
func sampleTip(ctx context.Context, c *rpc.Client) (paceSample, error) {
	var info rpc.BlockchainInfo
	if err := c.Call(ctx, "getblockchaininfo", nil, &info); err != nil {
		return paceSample{}, err
	}
	var hdr rpc.BlockHeaderResult
	if err := c.Call(ctx, "getblockheader", []any{info.BestBlockHash}, &hdr); err != nil {
		return paceSample{}, err
	}
	return paceSample{height: info.Blocks, tipTime: hdr.Time}, nil
}

// reportPace logs the blocks per window after the warm-up and the drift of
// the tip's timestamp from the wall clock.
func reportPace(t *testing.T, start time.Time, samples []paceSample) {
	target := time.Duration(chain.LocalParams().TargetSpacing) * time.Second
	t.Logf("block 1 at %s; warm-up %v; windows of %v; target spacing %v", start.UTC().Format(time.RFC3339), paceWarmUp, paceWindow, target)
	worst := 0.0
	for w0 := start.Add(paceWarmUp); ; w0 = w0.Add(paceWindow) {
		a, b := sampleAt(samples, w0), sampleAt(samples, w0.Add(paceWindow))
		if a == nil || b == nil {
			break
		}
		blocks := b.height - a.height
		mean := paceWindow.Seconds() / float64(max(blocks, 1))
		dev := (mean/target.Seconds() - 1) * 100
		worst = max(worst, abs(dev))
		t.Logf("window %3ds-%3ds: %4d blocks, mean interval %.3f s (%+.1f%%)",
			int(w0.Sub(start).Seconds()), int(w0.Add(paceWindow).Sub(start).Seconds()), blocks, mean, dev)
	}
	t.Logf("largest deviation of a window's mean interval from the target: %.1f%%", worst)

	var aheadWarm, ahead, behind float64
	var measured, behind10 int
	var gap time.Duration // the longest the tip stood still between two samples that saw it move
	lastMove := samples[0]
	for _, s := range samples {
		if s.height != lastMove.height {
			gap, lastMove = max(gap, s.at.Sub(lastMove.at)), s
		}
		drift := float64(s.tipTime) - float64(s.at.UnixNano())/1e9
		if s.at.Before(start.Add(paceWarmUp)) {
			aheadWarm = max(aheadWarm, drift)
			continue
		}
		measured++
		if drift < -10 {
			behind10++
		}
		ahead, behind = max(ahead, drift), max(behind, -drift)
	}
	t.Logf("tip timestamp minus wall clock: at most %.1f s ahead and %.1f s behind after the warm-up (%.1f s ahead during it); "+
		"more than 10 s behind in %d of %d samples; longest the tip stood still: about %v",
		ahead, behind, aheadWarm, behind10, measured, gap.Round(time.Second))
}

// sampleAt returns the first sample at or after at, or nil.
func sampleAt(samples []paceSample, at time.Time) *paceSample {
	for i := range samples {
		if !samples[i].at.Before(at) {
			return &samples[i]
		}
	}
	return nil
}

func abs(x float64) float64 { return max(x, -x) }

// countLogLines counts the lines of the network's logs that contain any
// of words.
func countLogLines(t *testing.T, dir string, words ...string) int {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	n := 0
	for _, f := range logs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			for _, w := range words {
				if strings.Contains(line, w) {
					n++
					break
				}
			}
		}
	}
	return n
}

// scriptNodeClient returns an RPC client of a node that up.sh started in
// dir, with its cookie.
func scriptNodeClient(t *testing.T, dir, node string, port int) *rpc.Client {
	t.Helper()
	user, pass, err := rpc.ReadCookie(filepath.Join(dir, node, chain.LocalNet, rpc.CookieFile))
	if err != nil {
		t.Fatalf("%s's cookie: %v", node, err)
	}
	return rpc.NewClient(fmt.Sprintf("127.0.0.1:%d", port), user, pass)
}
