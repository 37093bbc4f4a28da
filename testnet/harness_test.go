package testnet

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLastLines(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc\n", 2, "b\nc"},
		{"a\nb\nc", 2, "b\nc"},
		{"a\nb\n", 5, "a\nb"},
		{"", 3, ""},
	} {
		if got := lastLines(c.in, c.n); got != c.want {
			t.Errorf("lastLines(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

// logRecorder is a TB that keeps what is logged.
type logRecorder struct {
	TB
	logs []string
}

func (r *logRecorder) Logf(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func TestReportShowsLogTail(t *testing.T) {
	dir := t.TempDir()
	var log strings.Builder
	for i := 1; i <= 100; i++ {
		fmt.Fprintf(&log, "line %d\n", i)
	}
	if err := os.WriteFile(filepath.Join(dir, "node.log"), []byte(log.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := &logRecorder{TB: t}
	n := &Network{t: rec, dir: dir, nodes: map[string]*Node{"a": {Name: "a", DataDir: dir}}}
	n.report(3)
	got := strings.Join(rec.logs, "\n")
	if !strings.Contains(got, "line 98\nline 99\nline 100") || strings.Contains(got, "line 97") {
		t.Fatalf("report of a's log:\n%s", got)
	}
}
