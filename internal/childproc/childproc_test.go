//go:build linux

package childproc

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestChildDiesWithParent starts a shell that starts a long sleep with
// DieWithParent, then kills the shell: the sleep must go too. The shell is
// this test's child and the sleep its child, so the test can watch the
// grandchild die without dying itself.
func TestChildDiesWithParent(t *testing.T) {
	if os.Getenv("CHILDPROC_HELPER") == "1" {
		sleep := exec.Command("sleep", "60")
		DieWithParent(sleep)
		if err := sleep.Start(); err != nil {
			os.Exit(2)
		}
		os.Stdout.WriteString(strconv.Itoa(sleep.Process.Pid) + "\n")
		select {} // until killed
	}
	parent := exec.Command(os.Args[0], "-test.run=^TestChildDiesWithParent$")
	parent.Env = append(os.Environ(), "CHILDPROC_HELPER=1")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 32)
	n, err := out.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(string(buf[:n-1]))
	if err != nil {
		t.Fatalf("helper said %q", buf[:n])
	}
	parent.Process.Kill()
	parent.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatal("the child outlived its parent")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
