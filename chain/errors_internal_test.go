package chain

import (
	"fmt"
	"regexp"
	"testing"
)

// TestErrorCodeText: every error code has a name and a BIP 22 reason
// (lower-case words joined by dashes), and no two codes share a name or a
// reason, so a reason identifies the rule.
func TestErrorCodeText(t *testing.T) {
	reasonShape := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	names, reasons := map[string]ErrorCode{}, map[string]ErrorCode{}
	for c := ErrorCode(1); c < numErrorCodes; c++ {
		name, reason := c.String(), c.Reason()
		if _, ok := errorCodeText[c]; !ok {
			t.Errorf("code %d has no entry in errorCodeText", int(c))
			continue
		}
		if !regexp.MustCompile(`^Err[A-Z]\w+$`).MatchString(name) {
			t.Errorf("code %d: name %q", int(c), name)
		}
		if !reasonShape.MatchString(reason) {
			t.Errorf("%s: reason %q is not BIP 22 shaped", name, reason)
		}
		if other, dup := names[name]; dup {
			t.Errorf("%s: name shared with code %d", name, int(other))
		}
		if other, dup := reasons[reason]; dup {
			t.Errorf("%s: reason %q shared with %s", name, reason, other)
		}
		names[name], reasons[reason] = c, c
	}
	if len(errorCodeText) != int(numErrorCodes)-1 {
		t.Errorf("errorCodeText has %d entries for %d codes", len(errorCodeText), int(numErrorCodes)-1)
	}
	if got, want := numErrorCodes.String(), fmt.Sprintf("ErrorCode(%d)", int(numErrorCodes)); got != want {
		t.Errorf("unknown code prints %q", got)
	}
	if got := numErrorCodes.Reason(); got != "rejected" {
		t.Errorf("unknown code's reason %q", got)
	}
}
