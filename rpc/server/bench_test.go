package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/mempool"
	"powchain/rpc/server"
	"powchain/wire"
)

// sendTxs is how many transactions one iteration of
// BenchmarkSendRawTransaction submits.
const sendTxs = 2000

// sendClients is how many HTTP clients submit them at once.
const sendClients = 4

// BenchmarkSendRawTransaction submits sendTxs one-input, two-output
// transactions (spending distinct confirmed outputs) through
// sendrawtransaction over loopback HTTP to a node's RPC server and mempool,
// from sendClients concurrent clients, each on its own keep-alive
// connection, all in this process. The ceiling is verifying the same
// transactions' signatures on GOMAXPROCS goroutines with nothing else
// (chaintest.VerifyCeiling, best of three), measured in every iteration
// next to the submission so that a shared machine's load weighs on both
// alike; verify_ceiling_ratio = ceiling time / submission time, so 1.0
// means the request path costs nothing beyond the signature checks. Each
// iteration starts on a fresh pool and server.
//
// The clients cost CPU of their own on the same cores: they write
// prebuilt requests and read the answers with net/http's response parser
// on their own goroutine, about the least an HTTP client can do.
//
//	go test ./rpc/server -run '^$' -bench SendRawTransaction -benchtime 5x -count 3
func BenchmarkSendRawTransaction(b *testing.B) {
	params := chaintest.Params(genesisTime)
	params.CoinbaseMaturity = 1
	clock := chaintest.NewClock(genesisTime.Add(24 * time.Hour))
	c, err := chain.Open(chain.Config{Params: params, Path: b.TempDir(), Clock: clock})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	txs := fundedSpends(b, c, chaintest.NewGenerator(b, params), sendTxs)
	requests := make([][]byte, len(txs))
	for i, tx := range txs {
		requests[i] = httpRequest(fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"method":"sendrawtransaction","params":["%s"]}`, i, hex.EncodeToString(tx.Bytes())))
	}

	var ceiling, submit time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		ceiling += chaintest.VerifyCeiling(txs, runtime.GOMAXPROCS(0))
		pool, err := mempool.New(mempool.Config{Chain: c, Clock: clock, SigCache: chain.NewSigCache(100_000), Policy: mempool.DefaultPolicy()})
		if err != nil {
			b.Fatal(err)
		}
		addr, stop := serveBackend(b, &server.Backend{Chain: c, Mempool: pool, Clock: clock, Net: relayCounter{&fakeNet{}, new(atomic.Int64)}})
		start := time.Now()
		b.StartTimer()
		submitAll(b, addr, requests)
		b.StopTimer()
		submit += time.Since(start)
		stop()
		if n := pool.Info().Size; n != sendTxs {
			b.Fatalf("pool has %d transactions, want %d", n, sendTxs)
		}
	}
	b.ReportMetric(float64(ceiling)/float64(submit), "verify_ceiling_ratio")
	b.ReportMetric(float64(b.N)*sendTxs/submit.Seconds(), "tx/s")
}

// relayCounter is the network of BenchmarkSendRawTransaction: fakeNet,
// but counting relayed transactions safely from concurrent requests.
type relayCounter struct {
	*fakeNet
	n *atomic.Int64
}

func (r relayCounter) RelayTransactions(txids []wire.Hash) error {
	r.n.Add(int64(len(txids)))
	return nil
}

// fundedSpends mines a fan-out transaction with n outputs on c and returns
// n signed transactions, each spending one of them into two outputs.
func fundedSpends(b *testing.B, c *chain.Chain, g *chaintest.Generator, n int) []*wire.Tx {
	mine := func(name string, txs ...*wire.Tx) {
		if _, err := c.ProcessBlock(g.NextBlock(name, txs)); err != nil {
			b.Fatal(err)
		}
	}
	mine("b1")
	mine("b2")
	fan := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 0, n)
	mine("b3", fan)
	txs := make([]*wire.Tx, n)
	for i := range txs {
		txs[i] = g.SpendTx([]chaintest.SpendableOut{g.TxOut(fan, uint32(i))}, 1000, 2)
	}
	return txs
}

// serveBackend serves b's methods on a loopback port until stop.
func serveBackend(tb testing.TB, b *server.Backend) (addr string, stop func()) {
	srv, err := server.NewServer("user", "pass", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil {
		err = srv.RegisterNodeMethods(b)
	}
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	return ln.Addr().String(), func() {
		srv.Shutdown(context.Background())
		<-done
	}
}

// httpRequest is the bytes of an authenticated JSON-RPC POST of body.
func httpRequest(body []byte) []byte {
	auth := base64.StdEncoding.EncodeToString([]byte("user:pass"))
	head := fmt.Sprintf("POST / HTTP/1.1\r\nHost: node\r\nAuthorization: Basic %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", auth, len(body))
	return append([]byte(head), body...)
}

// submitAll sends every request to addr from sendClients clients, each on
// its own connection, and fails on any answer but a result.
func submitAll(b *testing.B, addr string, requests [][]byte) {
	var wg sync.WaitGroup
	for w := range sendClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine [][]byte
			for i := w; i < len(requests); i += sendClients {
				mine = append(mine, requests[i])
			}
			if err := send(addr, mine); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
}

// send writes each request on one keep-alive connection and reads its
// answer before the next.
func send(addr string, requests [][]byte) error {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	for _, req := range requests {
		if _, err := conn.Write(req); err != nil {
			return err
		}
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			return err
		}
		reply, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || !bytes.Contains(reply, []byte(`"result":"`)) {
			return fmt.Errorf("HTTP %d: %s", resp.StatusCode, reply)
		}
	}
	return nil
}
