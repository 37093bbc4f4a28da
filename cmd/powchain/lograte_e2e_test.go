package main

import (
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"powchain/chain"
)

// TestLogRateLimit: a stranger that opens connection after connection
// cannot make the node write a log line for each: with --log-rate-limit 2,
// "disconnecting peer" is written twice, then one warning says that lines
// of it are dropped, and no more are written in the hour.
func TestLogRateLimit(t *testing.T) {
	var log syncBuffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the node's log:\n%s", log.String())
		}
	})
	startNodeLogging(t, &log, t.TempDir(), chain.RegtestNet, "--connect", "0", "--http", "off", "--log-rate-limit", "2")
	var p2pAddr string
	waitFor(t, 10*time.Second, "the node's P2P address in its log", func() bool {
		m := regexp.MustCompile(`p2p=(\S+)`).FindStringSubmatch(log.String())
		if m != nil {
			p2pAddr = m[1]
		}
		return m != nil
	})
	const connections = 6
	for range connections {
		conn, err := net.Dial("tcp", p2pAddr)
		if err != nil {
			t.Fatal(err)
		}
		conn.Write([]byte("not the network's magic, not a frame"))
		// The node hangs up on a wrong magic: wait for it, so that the
		// connections come one after another.
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := conn.Read(make([]byte, 1)); err == nil {
			t.Fatal("the node answered garbage")
		}
		conn.Close()
	}
	dropped := regexp.MustCompile(`level=WARN msg="log lines dropped: a message reached its limit for this window" .*message="disconnecting peer" level=INFO limit=2 window=1h0m0s`)
	waitFor(t, 10*time.Second, "the warning that lines are dropped", func() bool {
		return dropped.MatchString(log.String())
	})
	if n := strings.Count(log.String(), `msg="disconnecting peer"`); n != 2 {
		t.Fatalf(`%d "disconnecting peer" lines for %d connections, want 2; log:\n%s`, n, connections, log.String())
	}
}
