//go:build !linux

package childproc

import "os/exec"

// DieWithParent does nothing where the kernel offers no parent-death signal.
func DieWithParent(cmd *exec.Cmd) {}
