package childproc

import (
	"os/exec"
	"syscall"
)

// DieWithParent makes cmd, not yet started, receive SIGKILL when the process
// that starts it exits.
func DieWithParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
