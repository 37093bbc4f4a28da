package testnet

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Tests that use the local network's hard-coded seed addresses
// (127.0.0.1:19444-19446) would meet, and join, a network of up.sh already
// running on this machine. They run in a private network namespace of their
// own instead: the test binary runs again, for that one test, under
// `unshare -n` (as root) or `unshare -rn` (an unprivileged user namespace),
// with only loopback up, and the parent reports its result.
const (
	// privateNetEnv names the test a child process runs in its namespace.
	privateNetEnv = "POWCHAIN_TESTNET_PRIVATE_NET"
	// binEnv passes the binary the parent built, so the child does not
	// build it again.
	binEnv = "POWCHAIN_TESTNET_BIN"
)

// inPrivateNetwork reports whether the calling test should run its body
// here: true in the child that runs inside the namespace; false in the
// parent, after the child ran the test (the parent passes or fails with
// it). Where no namespace can be made the test is skipped, saying why.
func inPrivateNetwork(t *testing.T) bool {
	t.Helper()
	if os.Getenv(privateNetEnv) == t.Name() {
		return true
	}
	unshare, err := unshareArgs()
	if err != nil {
		t.Skipf("skipped: this test uses the local network's hard-coded seed ports and must run in a private network namespace, "+
			"which cannot be made here (%v); run the tests as root, or where unprivileged user namespaces are allowed", err)
	}
	args := append(unshare, "sh", "-c", `ip link set lo up && exec "$0" "$@"`, os.Args[0],
		"-test.run", "^"+t.Name()+"$", "-test.v", "-test.count=1", "-test.timeout=0")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), privateNetEnv+"="+t.Name(), binEnv+"="+bin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	// The child's own verdict lines would read as this process's; indent.
	report := "    " + strings.ReplaceAll(strings.TrimSpace(out.String()), "\n", "\n    ")
	switch {
	case err != nil:
		t.Fatalf("in a private network namespace (%s): %v\n%s", strings.Join(unshare, " "), err, report)
	case !strings.Contains(out.String(), "--- PASS: "+t.Name()):
		t.Fatalf("in a private network namespace: the test did not pass:\n%s", report)
	}
	t.Logf("ran in a private network namespace (%s):\n%s", strings.Join(unshare, " "), report)
	return false
}

// unshareArgs returns the command prefix that makes a private network
// namespace with loopback configurable, after checking that it works.
func unshareArgs() ([]string, error) {
	if _, err := exec.LookPath("ip"); err != nil {
		return nil, fmt.Errorf("no ip command (iproute2) to bring loopback up")
	}
	candidates := [][]string{{"unshare", "-rn"}}
	if os.Geteuid() == 0 {
		candidates = [][]string{{"unshare", "-n"}}
	}
	var last error
	for _, c := range candidates {
		probe := exec.Command(c[0], append(c[1:], "ip", "link", "set", "lo", "up")...)
		out, err := probe.CombinedOutput()
		if err == nil {
			return c, nil
		}
		last = fmt.Errorf("%s: %v: %s", strings.Join(c, " "), err, bytes.TrimSpace(out))
	}
	return nil, last
}
