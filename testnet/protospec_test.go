package testnet

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"powchain/chain"
)

// TestProtocolDocClient runs protospec/client.py, a peer written in Python
// from docs/PROTOCOL.md alone (no Go code, no .proto files), against a node
// of the local network: it reproduces the document's worked examples and
// genesis blocks, handshakes, syncs and validates the headers (linkage,
// proof of work, aserti3-2d bits, median time past), fetches blocks and
// checks their merkle roots, answers ping and getheaders, and signs
// (BIP340), relays and sees mined a transaction, then fetches that block
// as a compact block, checks its short ids and rebuilds it (getblocktxn),
// and mines and submits a block of its own, which becomes the node's tip,
// and an invalid one, which gets a reject and a disconnection. A failure means the node
// and the document disagree: fix whichever is wrong, the document too.
//
// It needs python3. Where there is none the test is skipped, unless
// POWCHAIN_REQUIRE_PYTHON is set (CI sets it: there a missing python3 is
// a failure, not a skip).
func TestProtocolDocClient(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("POWCHAIN_REQUIRE_PYTHON") != "" {
			t.Fatalf("python3 not found and POWCHAIN_REQUIRE_PYTHON is set: %v", err)
		}
		t.Skipf("skipped: python3 not found (%v); the independent client of docs/PROTOCOL.md needs it", err)
	}
	n := NewNetwork(t, bin, chain.LocalNet)
	nd := n.Start("node", isolated...)
	start := time.Now()
	out, err := exec.Command(python, "protospec/client.py", "--datadir", nd.DataDir, "--p2p", nd.P2PAddr).CombinedOutput()
	if err != nil {
		t.Fatalf("protospec/client.py: %v\n%s", err, out)
	}
	t.Logf("protospec/client.py passed in %v:\n%s", time.Since(start).Round(time.Millisecond), out)
}
