package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
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
// The clients cost CPU of their own on the same cores, which a real
// client (another process, often another machine) would not take from the
// node: so they do the least an HTTP client can. Each writes prebuilt
// requests and reads each answer's status line, headers and body (by its
// Content-Length) into a reused buffer, and checks the whole body against
// the exact reply expected: that id and that txid as the result.
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
	calls := make([]call, len(txs))
	for i, tx := range txs {
		calls[i] = call{
			request: httpRequest(fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"method":"sendrawtransaction","params":["%s"]}`, i, hex.EncodeToString(tx.Bytes()))),
			reply:   fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"result":"%s"}`+"\n", i, tx.TxID()),
		}
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
		start := time.Now()
		var stop func()
		pprof.Do(context.Background(), pprof.Labels("phase", "submit"), func(context.Context) {
			var addr string
			addr, stop = serveBackend(b, &server.Backend{Chain: c, Mempool: pool, Clock: clock, Started: clock.Now(), Net: relayCounter{&fakeNet{}, new(atomic.Int64)}})
			b.StartTimer()
			submitAll(b, addr, calls)
			b.StopTimer()
		})
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

// call is one prebuilt request and the exact reply body it must get.
type call struct{ request, reply []byte }

// submitAll makes every call to addr from sendClients clients, each on its
// own connection, and fails on any answer but the expected reply. The
// clients take the calls in turn from one queue, so that all of them stay
// busy until the last call (with a fixed share each, one that fell behind
// would finish alone, on one core).
func submitAll(b *testing.B, addr string, calls []call) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range sendClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := send(addr, calls, &next); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
}

// send makes calls, taking the next one to make from next, on one
// keep-alive connection; it writes each request and reads and checks its
// answer before the next.
func send(addr string, calls []call, next *atomic.Int64) error {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	var body []byte
	for i := next.Add(1) - 1; i < int64(len(calls)); i = next.Add(1) - 1 {
		c := calls[i]
		if _, err := conn.Write(c.request); err != nil {
			return err
		}
		if body, err = readAnswer(r, body); err != nil {
			return err
		}
		if !bytes.Equal(body, c.reply) {
			return fmt.Errorf("got %s, want %s", body, c.reply)
		}
	}
	return nil
}

// readAnswer reads one HTTP/1.1 response from r into buf (reused) and
// returns its body, or an error for any status but 200 OK or a response
// without a Content-Length (the node sends one for every small reply).
func readAnswer(r *bufio.Reader, buf []byte) ([]byte, error) {
	status, err := r.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 200 OK\r\n")) {
		return nil, fmt.Errorf("answer %q", status)
	}
	length := -1
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return nil, err
		}
		if string(line) == "\r\n" {
			break
		}
		if name, value, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(name, []byte("Content-Length")) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(value))); err != nil {
				return nil, fmt.Errorf("header %q", line)
			}
		}
	}
	if length < 0 {
		return nil, errors.New("answer without a Content-Length")
	}
	buf = slices.Grow(buf[:0], length)[:length]
	_, err = io.ReadFull(r, buf)
	return buf, err
}
