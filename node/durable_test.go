package node

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"

	"powchain/wire"
)

// openLogged makes the node of dir without running it (New opens the
// chain, logging on this goroutine) and returns it with what it logged;
// it is closed when the test ends.
func openLogged(t *testing.T, dir string) (*Node, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	n, err := New(testConfig(dir), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n.rpcLn.Close()
		n.closeUnstarted()
	})
	return n, &logs
}

// TestTornJournalIsLogged: a node at height 50 whose chain journal loses
// the writes after height 25 restarts at 25 and says which heights it lost.
func TestTornJournalIsLogged(t *testing.T) {
	dir := t.TempDir()
	n, done := startNode(t, testConfig(dir))
	ctx := context.Background()
	client := clientOf(t, n)
	addr, _ := wire.EncodeAddress(n.params.AddressPrefix, wire.KeyHash{5})
	if _, err := client.GenerateToAddress(ctx, 25, addr); err != nil {
		t.Fatal(err)
	}
	chainDir := filepath.Join(n.NetDir(), "chain")
	journals, _ := filepath.Glob(filepath.Join(chainDir, "*.log"))
	if len(journals) != 1 {
		t.Fatalf("journals %v, want one", journals)
	}
	info, err := os.Stat(journals[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.GenerateToAddress(ctx, 25, addr); err != nil {
		t.Fatal(err)
	}
	n.Stop()
	if err := waitResult(t, done); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(journals[0], info.Size()); err != nil {
		t.Fatal(err)
	}
	n2, logs := openLogged(t, dir)
	if h := n2.chain.Tip().Height; h != 25 {
		t.Fatalf("reopened at height %d, want 25", h)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "heights 26-50 are gone") {
		t.Fatalf("no warning naming the lost heights in the log:\n%s", logs.String())
	}
}

// TestInterruptedReindexSaysSo: a node whose last reindex stopped midway
// (the chain's 'r' record is there) finishes it as it opens the chain,
// and says so in its log instead of sitting silent in a rebuild that can
// take long on a large chain.
func TestInterruptedReindexSaysSo(t *testing.T) {
	dir := t.TempDir()
	n, done := startNode(t, testConfig(dir))
	addr, _ := wire.EncodeAddress(n.params.AddressPrefix, wire.KeyHash{6})
	if _, err := clientOf(t, n).GenerateToAddress(context.Background(), 5, addr); err != nil {
		t.Fatal(err)
	}
	n.Stop()
	if err := waitResult(t, done); err != nil {
		t.Fatal(err)
	}
	db, err := leveldb.OpenFile(filepath.Join(n.NetDir(), "chain"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Put([]byte{'r'}, nil, nil); err != nil { // as Reindex writes it before deleting the derived state
		t.Fatal(err)
	}
	db.Close()

	n2, logs := openLogged(t, dir)
	if h := n2.chain.Tip().Height; h != 5 {
		t.Fatalf("reopened at height %d, want 5", h)
	}
	if !strings.Contains(logs.String(), "finishing a reindex that stopped midway") || !strings.Contains(logs.String(), "blocks=5") {
		t.Fatalf("the log does not say a reindex of the 5 blocks above genesis is being finished:\n%s", logs.String())
	}
}
