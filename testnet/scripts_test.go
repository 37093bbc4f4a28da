package testnet

import (
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestScripts runs the scripts as a user would, without a terminal: up.sh
// brings up a network (two nodes here), confirms its demo transaction
// everywhere and exits 0 leaving the network running; a second up.sh
// refuses to start on top of it; down.sh stops exactly what was started;
// up.sh then brings up a smaller network on the same data dirs.
func TestScripts(t *testing.T) {
	if !inPrivateNetwork(t) {
		return
	}
	dir := t.TempDir()
	run, _ := scriptRunner(t, dir)

	out, err := run("up.sh", "-n", "2")
	if err != nil {
		t.Fatalf("up.sh: %v\n%s", err, out)
	}
	if !strings.Contains(out, "is confirmed on every node") {
		t.Fatalf("up.sh did not confirm its transaction:\n%s", out)
	}
	// The explorer URL up.sh prints shows the confirmed transaction.
	url := regexp.MustCompile(`block explorer: (http://\S+/tx/[0-9a-f]{64})`).FindStringSubmatch(out)
	if url == nil {
		t.Fatalf("up.sh printed no explorer URL:\n%s", out)
	}
	resp, err := http.Get(url[1])
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "confirmed") {
		t.Fatalf("%s: %s\n%s", url[1], resp.Status, page)
	}
	pids := pidFiles(t, dir)
	if len(pids) != 4 { // seed, node1, node2, miner
		t.Fatalf("pid files %v, want seed, node1, node2 and miner", pids)
	}
	for name, pid := range pids {
		if syscall.Kill(pid, 0) != nil {
			t.Fatalf("%s (pid %d) is not running after up.sh", name, pid)
		}
	}
	if out, err := run("up.sh", "-n", "2"); err == nil || !strings.Contains(out, "already running") {
		t.Fatalf("a second up.sh: %v\n%s", err, out)
	}
	if out, err := run("status.sh"); err != nil || !strings.Contains(out, "node2") || !strings.Contains(out, "DIFFICULTY") ||
		strings.Count(out, "http://127.0.0.1:") != 3 { // the seed's, node1's and node2's explorers
		t.Fatalf("status.sh: %v\n%s", err, out)
	}
	if out, err := run("send.sh", "node1", "node7", "1"); err == nil || strings.Count(strings.TrimSpace(out), "\n") != 0 ||
		!strings.Contains(out, "unknown node 'node7'") {
		t.Fatalf("send.sh to an unknown node: %v, want one line naming it and a non-zero exit:\n%s", err, out)
	}
	// A misspelt node is refused before anything stops, not started as a new node.
	if out, err := run("partition.sh", "node1", "node2,node7"); err == nil || !strings.Contains(out, "unknown node 'node7'") {
		t.Fatalf("partition.sh with an unknown node: %v, want a failure naming it:\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "node7")); err == nil {
		t.Fatal("partition.sh made a node7")
	}
	if now := pidFiles(t, dir); now["seed"] != pids["seed"] || now["node1"] != pids["node1"] {
		t.Fatalf("partition.sh with an unknown node restarted nodes: pids %v, before %v", now, pids)
	}
	if out, err := run("down.sh"); err != nil {
		t.Fatalf("down.sh: %v\n%s", err, out)
	}
	for name, pid := range pids {
		if syscall.Kill(pid, 0) == nil {
			t.Fatalf("%s (pid %d) still runs after down.sh", name, pid)
		}
	}
	if left := pidFiles(t, dir); len(left) != 0 {
		t.Fatalf("down.sh left pid files %v", left)
	}

	// A smaller network on the same data dirs (one node: the seed and
	// node1 each have one peer) leaves node2 alone.
	if out, err := run("up.sh", "-n", "1"); err != nil || !strings.Contains(out, "is confirmed on every node") {
		t.Fatalf("up.sh -n 1 after up.sh -n 2: %v\n%s", err, out)
	}
	if _, ok := pidFiles(t, dir)["node2"]; ok {
		t.Fatal("up.sh -n 1 started node2")
	}
}

// TestUpSaysWhyANodeDidNotStart: a node that exits at start (here its RPC
// port is taken) stops up.sh at once with the node's own last words, not
// with a wait for its RPC that can only time out.
func TestUpSaysWhyANodeDidNotStart(t *testing.T) {
	if !inPrivateNetwork(t) {
		return
	}
	run, rpcBase := scriptRunner(t, t.TempDir())
	taken, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(rpcBase)) // the seed's RPC port
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	out, err := run("up.sh", "-n", "1")
	if err == nil || !strings.Contains(out, "seed exited at start") || !strings.Contains(out, "address already in use") {
		t.Fatalf("up.sh with the seed's RPC port taken: %v, want a failure naming the seed and the port in use:\n%s", err, out)
	}
}

// TestStatusWithoutNetwork: status.sh where no network was ever started
// says so in one line.
func TestStatusWithoutNetwork(t *testing.T) {
	cmd := exec.Command("./status.sh")
	cmd.Env = append(os.Environ(), "POWCHAIN_TESTNET_DIR="+filepath.Join(t.TempDir(), "none"))
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "no network in") || !strings.Contains(string(out), "up.sh") {
		t.Fatalf("status.sh without a network: %v, want a failure saying there is none and how to start one:\n%s", err, out)
	}
}

// TestStatusInterval: status.sh's mean block interval leaves the genesis
// block out (its timestamp is the network's birth, not a block interval) at
// every height, 120 too. A fake powchain answers its RPC calls: block i
// has timestamp 2000+i, genesis 0.
func TestStatusInterval(t *testing.T) {
	dir := t.TempDir()
	fakeBin(t, dir, `shift 3 # rpc --datadir DIR
case "$1" in
getblockchaininfo) printf '{\n  "blocks": 120,\n  "bestblockhash": "h120",\n  "difficulty": 1\n}\n' ;;
getconnectioncount) echo 2 ;;
getmempoolinfo) printf '{\n  "size": 0\n}\n' ;;
getblockhash) echo "h$2" ;;
getblockheader) n=${2#h}; printf '{\n  "time": %d\n}\n' $((n == 0 ? 0 : 2000 + n)) ;;
esac
`)
	startFake(t, dir, "seed")
	cmd := exec.Command("./status.sh")
	cmd.Env = append(os.Environ(), "POWCHAIN_TESTNET_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), " 1.00s/119 ") {
		t.Fatalf("status.sh at height 120: %v, want the mean interval of blocks 1 to 120 (1.00s/119):\n%s", err, out)
	}
}

// TestStalePidFile: a pid file whose process ended without the scripts
// (a crash, a reboot) and whose pid now belongs to another program (here a
// sleep) does not make that program a node or the miner: status.sh shows
// them down, kill.sh says the node is not running, and down.sh drops the
// pid files; none signals the program. Before, kill.sh killed it and
// down.sh sent it SIGTERM. A node the scripts did start (a stand-in with
// the node's command line) is still stopped.
func TestStalePidFile(t *testing.T) {
	dir := t.TempDir()
	fakeBin(t, dir, "")
	other := exec.Command("sleep", "300")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Process.Kill(); other.Wait() })
	for _, name := range []string{"node1", "miner"} {
		if err := os.WriteFile(filepath.Join(dir, name+".pid"), []byte(strconv.Itoa(other.Process.Pid)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "node1"), 0o755); err != nil {
		t.Fatal(err)
	}
	endOurs := startFake(t, dir, "node2")
	run := func(script string, args ...string) (string, error) {
		cmd := exec.Command("./"+script, args...)
		cmd.Env = append(os.Environ(), "POWCHAIN_TESTNET_DIR="+dir)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("status.sh")
	if err != nil || !regexp.MustCompile(`(?m)^node1 +down`).MatchString(out) || !strings.Contains(out, "miner: not running") {
		t.Errorf("status.sh: %v, want node1 down and the miner not running:\n%s", err, out)
	}
	if out, err := run("kill.sh", "node1"); err == nil || !strings.Contains(out, "node1 is not running") {
		t.Errorf("kill.sh node1: %v, want a failure saying it is not running:\n%s", err, out)
	}
	if out, err := run("down.sh"); err != nil {
		t.Fatalf("down.sh: %v\n%s", err, out)
	}
	if left := pidFiles(t, dir); len(left) != 0 {
		t.Errorf("down.sh left pid files %v", left)
	}
	if ws := endOurs().Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("down.sh did not stop node2 with SIGTERM: it %v", endOurs())
	}
	// The other program still runs: it ends by this test's SIGINT, not
	// by a signal of the scripts.
	other.Process.Signal(syscall.SIGINT)
	other.Wait()
	if ws := other.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Fatalf("the scripts ended an unrelated program that had a stale pid file's pid: %v", other.ProcessState)
	}
}

// TestPartitionEveryNodeInOneGroup: partition.sh refuses, before it stops
// anything, a split that would not hold: a running node in neither group
// (it keeps its normal arguments and dials both groups from its address
// book) or a node in both (it would be connected to both). Before, both
// went ahead and the groups stayed joined through that node.
func TestPartitionEveryNodeInOneGroup(t *testing.T) {
	dir := t.TempDir()
	fakeBin(t, dir, "")
	var ends []func() *os.ProcessState
	for _, name := range []string{"node1", "node2", "node3"} {
		ends = append(ends, startFake(t, dir, name))
	}
	before := pidFiles(t, dir)
	for _, tc := range []struct{ a, b, want string }{
		{"node1", "node2", "node3 runs and is in neither group"},
		{"node1,node2", "node2,node3", "node2 is named twice"},
	} {
		cmd := exec.Command("./partition.sh", tc.a, tc.b)
		cmd.Env = append(os.Environ(), "POWCHAIN_TESTNET_DIR="+dir)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("partition.sh %s %s: %v, want a failure saying %q:\n%s", tc.a, tc.b, err, tc.want, out)
		}
	}
	if now := pidFiles(t, dir); !maps.Equal(now, before) {
		t.Errorf("refused partitions changed the pid files: %v, before %v", now, before)
	}
	for i, end := range ends {
		if state := end(); !state.Success() {
			t.Errorf("node%d was stopped (%v) by a refused partition", i+1, state)
		}
	}
}

// fakeBin writes dir/bin/powchain, a shell script standing in for the
// binary: `node run ...` runs until its stdin closes (a running node as
// far as the scripts can tell: its command line is a node's), anything
// else runs script.
func fakeBin(t *testing.T, dir, script string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	fake := "#!/bin/sh\nif [ \"$1\" = node ]; then cat >/dev/null; exit 0; fi\n" + script
	if err := os.WriteFile(filepath.Join(dir, "bin", "powchain"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
}

// startFake starts dir's fake binary as the scripts start node name (with
// its data dir) and writes its pid file: it runs until it is signalled or
// end (or the test's end) closes its stdin; end returns how it ended. It is
// reaped as soon as it exits, as a node is by init.
func startFake(t *testing.T, dir, name string) (end func() *os.ProcessState) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(dir, "bin", "powchain"), "node", "run", "--datadir", filepath.Join(dir, name))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	end = func() *os.ProcessState {
		stdin.Close()
		<-exited
		return cmd.ProcessState
	}
	t.Cleanup(func() { end() })
	if err := os.WriteFile(filepath.Join(dir, name+".pid"), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return end
}

// scriptRunner returns a function that runs a script of this directory
// against the network in dir (ports of its own) and returns its combined
// output, and the RPC port base. down.sh runs when the test ends.
func scriptRunner(t *testing.T, dir string) (func(script string, args ...string) (string, error), int) {
	base := freePort(t) // ports base+N for P2P and base+1000+N for RPC
	env := append(os.Environ(),
		"POWCHAIN_TESTNET_DIR="+dir,
		"POWCHAIN_TESTNET_P2P_BASE="+strconv.Itoa(base),
		"POWCHAIN_TESTNET_RPC_BASE="+strconv.Itoa(base+1000),
	)
	run := func(script string, args ...string) (string, error) {
		cmd := exec.Command("./"+script, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() { run("down.sh") })
	return run, base + 1000
}

func pidFiles(t *testing.T, dir string) map[string]int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.pid"))
	pids := map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		pids[strings.TrimSuffix(filepath.Base(f), ".pid")] = pid
	}
	return pids
}
