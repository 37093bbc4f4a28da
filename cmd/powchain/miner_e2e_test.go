package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"powchain/chain"
	"powchain/internal/childproc"
	"powchain/wire"
)

func localAddress(kh wire.KeyHash) string {
	a, _ := wire.EncodeAddress(chain.LocalParams().AddressPrefix, kh)
	return a
}

// coinbaseAddress is the address the coinbase of the best chain's block
// at height pays (asked in-process: starting the race-built binary for
// every query is slow).
func coinbaseAddress(t *testing.T, datadir string, height uint64) string {
	t.Helper()
	client := localClient(t, datadir)
	ctx := context.Background()
	hash, err := client.GetBlockHash(ctx, height)
	if err != nil {
		t.Fatal(err)
	}
	var blk struct {
		Tx []struct {
			Vout []struct{ Address string }
		}
	}
	if err := client.Call(ctx, "getblock", []any{hash, 2}, &blk); err != nil || len(blk.Tx) == 0 || len(blk.Tx[0].Vout) == 0 {
		t.Fatalf("getblock %s: %v", hash, err)
	}
	return blk.Tx[0].Vout[0].Address
}

// TestMinerCLI: `powchain miner start --address A --blocks 5` against a
// local node mines five accepted blocks paying A and exits 0; the flags
// also come from the environment and the config file.
func TestMinerCLI(t *testing.T) {
	datadir := t.TempDir()
	startNode(t, datadir)
	addr := localAddress(wire.KeyHash{7})
	out := mustCLI(t, nil, "miner", "start", "--datadir", datadir, "--address", addr, "--blocks", "5", "--threads", "2")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != "mining to "+addr+" on local with 2 threads" {
		t.Fatalf("first line %q", lines[0])
	}
	var found []string
	for _, l := range lines {
		if strings.HasPrefix(l, "block found ") {
			found = append(found, l)
		}
	}
	if len(found) != 5 || !strings.HasSuffix(found[4], "accepted (5/5)") || !strings.HasPrefix(found[0], "block found height=1 hash=") {
		t.Fatalf("output:\n%s", out)
	}
	if n := strings.TrimSpace(mustCLI(t, nil, "rpc", "--datadir", datadir, "getblockcount")); n != "5" {
		t.Fatalf("getblockcount %s after mining 5 blocks", n)
	}
	for h := uint64(1); h <= 5; h++ {
		if got := coinbaseAddress(t, datadir, h); got != addr {
			t.Fatalf("block %d pays %s, want %s", h, got, addr)
		}
	}

	// The address from the config file, the count from the environment.
	other := localAddress(wire.KeyHash{8})
	if err := os.WriteFile(filepath.Join(datadir, "powchain.toml"), []byte(fmt.Sprintf("address = %q\nthreads = 1\n", other)), 0o600); err != nil {
		t.Fatal(err)
	}
	out = mustCLI(t, []string{"POWCHAIN_BLOCKS=2"}, "miner", "start", "--datadir", datadir)
	if !strings.Contains(out, "with 1 threads") || !strings.Contains(out, "accepted (2/2)") {
		t.Fatalf("output:\n%s", out)
	}
	if got := coinbaseAddress(t, datadir, 7); got != other {
		t.Fatalf("block 7 pays %s, want %s", got, other)
	}
}

// TestMinerCLIRefusesBadAddress: a missing, malformed or other-network
// address is refused before any mining, with a non-zero exit.
func TestMinerCLIRefusesBadAddress(t *testing.T) {
	datadir := t.TempDir()
	startNode(t, datadir)
	mainAddr, _ := wire.EncodeAddress(chain.MainParams().AddressPrefix, wire.KeyHash{1})
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing", nil, "--address is required"},
		{"malformed", []string{"--address", "pcrt1notanaddress"}, "invalid address"},
		{"other network", []string{"--address", mainAddr}, "another network"},
		{"bad checksum", []string{"--address", localAddress(wire.KeyHash{1}) + "x"}, "invalid address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, nil, append([]string{"miner", "start", "--datadir", datadir, "--blocks", "1"}, tc.args...)...)
			if r.code == 0 || !strings.Contains(r.stderr, tc.want) || strings.Contains(r.stdout, "mining to") {
				t.Fatalf("exit %d, stdout %q, stderr %q; want a non-zero exit mentioning %q before mining", r.code, r.stdout, r.stderr, tc.want)
			}
		})
	}
	if n := strings.TrimSpace(mustCLI(t, nil, "rpc", "--datadir", datadir, "getblockcount")); n != "0" {
		t.Fatalf("getblockcount %s after refused starts", n)
	}
}

// syncBuffer collects a process's output for polling.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMinerCLINodeDown: with no node the miner says so and keeps
// retrying; when a node starts it mines; when the node goes away it says
// so again; SIGTERM ends it cleanly (exit 0).
func TestMinerCLINodeDown(t *testing.T) {
	datadir := t.TempDir()
	cmd := exec.Command(binary, "miner", "start", "--datadir", datadir, "--address", localAddress(wire.KeyHash{9}), "--threads", "1")
	childproc.DieWithParent(cmd)
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	})
	waitOut := func(what string, cond func(string) bool) {
		t.Helper()
		waitFor(t, 60*time.Second, what, func() bool {
			select {
			case err := <-done:
				t.Fatalf("miner exited (%v) while waiting for %s\nstdout:\n%s\nstderr:\n%s", err, what, stdout.String(), stderr.String())
			default:
			}
			return cond(stdout.String())
		})
	}
	waitOut("the miner to report the node down", func(s string) bool { return strings.Contains(s, "node unreachable") })

	node := startNode(t, datadir)
	waitOut("a block mined once the node is up", func(s string) bool {
		return strings.Contains(s, "node reachable again") && strings.Contains(s, "block found height=")
	})
	before := strings.Count(stdout.String(), "node unreachable") + strings.Count(stdout.String(), "getblocktemplate failed")
	node.cmd.Process.Signal(syscall.SIGTERM)
	if code := node.exit(t); code != 0 {
		t.Fatalf("node exit %d", code)
	}
	waitOut("the miner to notice the node went away", func(s string) bool {
		return strings.Count(s, "node unreachable")+strings.Count(s, "getblocktemplate failed") > before
	})

	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		done <- err // for the cleanup
		if err != nil {
			t.Fatalf("miner after SIGTERM: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the miner did not exit on SIGTERM")
	}
	if out := stdout.String(); !strings.HasSuffix(out, "miner stopped\n") || stderr.String() != "" {
		t.Fatalf("stdout:\n%s\nstderr:\n%s", out, stderr.String())
	}
}
