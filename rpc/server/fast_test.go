package server_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"powchain/chain/chaintest"
	"powchain/rpc/server"
)

// rawConn is a client connection that writes requests as given and reads
// each answer whole, byte for byte.
type rawConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(time.Minute)) // a guard against hanging, not a timing assertion
	return &rawConn{t: t, c: c, r: bufio.NewReader(c)}
}

// rawRequest is an HTTP/1.1 POST of body as a JSON-RPC client sends it,
// with extra header lines after Host.
func rawRequest(body, user, pass string, extra ...string) string {
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	head := "POST / HTTP/1.1\r\nHost: node\r\n" + strings.Join(append(extra, ""), "\r\n") +
		"Authorization: Basic " + auth + "\r\nContent-Type: application/json\r\n"
	return fmt.Sprintf("%sContent-Length: %d\r\n\r\n%s", head, len(body), body)
}

func (rc *rawConn) write(raw string) {
	if _, err := io.WriteString(rc.c, raw); err != nil {
		rc.t.Fatal(err)
	}
}

// answer reads one answer (which must have a Content-Length, as every
// answer of the server but a 204 has) and returns it as received, its
// Date's value replaced by "DATE".
func (rc *rawConn) answer() string {
	rc.t.Helper()
	var raw []byte
	length := -1
	for {
		line, err := rc.r.ReadString('\n')
		if err != nil {
			rc.t.Fatal(err)
		}
		raw = append(raw, line...)
		if line == "\r\n" {
			break
		}
		if name, value, ok := strings.Cut(line, ":"); ok && strings.EqualFold(name, "Content-Length") {
			length, _ = strconv.Atoi(strings.TrimSpace(value))
		}
	}
	if length < 0 {
		rc.t.Fatalf("answer without a Content-Length: %q", raw)
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(rc.r, body); err != nil {
		rc.t.Fatal(err)
	}
	return dateValue.ReplaceAllString(string(append(raw, body...)), "Date: DATE\r\n")
}

var dateValue = regexp.MustCompile(`Date: [^\r]*\r\n`)

// answerTo sends raw on a new connection and returns the answer.
func answerTo(t *testing.T, addr, raw string) string {
	rc := dialRaw(t, addr)
	rc.write(raw)
	return rc.answer()
}

// TestFastPathAnswersAsNetHTTP: sendrawtransaction in the form clients
// send it is answered by the fast path, byte for byte as net/http answers
// the same call (there forced by a header the fast path leaves to it),
// whatever the verdict; requests pipelined on one connection are answered
// in order; a request split across writes is read whole; the headers
// common clients add (Connection: keep-alive among them) are read.
func TestFastPathAnswersAsNetHTTP(t *testing.T) {
	var srv *server.Server
	e := newEnvWith(t, func(s *server.Server) { srv = s })
	g := e.miner
	var hashes []string
	e.must("generatetoaddress", &hashes, 3, e.address(g.KeyHash()))
	tx := g.SpendTx([]chaintest.SpendableOut{g.TxOut(e.coinbaseOf(hashes[0]), 0)}, 5000, 2)
	send := func(id int, hexTx string) string {
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"sendrawtransaction","params":["%s"]}`, id, hexTx)
	}
	served := srv.FastServedForTest()
	expectServed := func(n int64) {
		t.Helper()
		if got := srv.FastServedForTest() - served; got != n {
			t.Fatalf("the fast path answered %d requests, want %d", got, n)
		}
	}

	for _, body := range []string{send(1, "deadbeef"), send(2, "zz"), send(3, hex.EncodeToString(tx.Bytes()))} {
		fast := answerTo(t, e.addr, rawRequest(body, "user", "pass"))
		slow := answerTo(t, e.addr, rawRequest(body, "user", "pass", "X-Forced-To-Net-Http: 1"))
		if strings.Contains(body, `"id":3`) { // the valid tx: accepted first, then refused as already in the pool
			if want := fmt.Sprintf(`{"jsonrpc":"2.0","id":3,"result":"%s"}`+"\n", tx.TxID()); !strings.HasSuffix(fast, "\r\n\r\n"+want) {
				t.Fatalf("accepted: %q", fast)
			}
			fast = answerTo(t, e.addr, rawRequest(body, "user", "pass"))
		}
		if fast != slow {
			t.Fatalf("fast path:\n%q\nnet/http:\n%q", fast, slow)
		}
	}
	expectServed(4)

	rc := dialRaw(t, e.addr)
	rc.write(rawRequest(send(4, "00"), "user", "pass") + rawRequest(send(5, "01"), "user", "pass"))
	for _, id := range []string{`"id":4`, `"id":5`} {
		if a := rc.answer(); !strings.Contains(a, id) || !strings.HasPrefix(a, "HTTP/1.1 200 OK\r\n") {
			t.Fatalf("pipelined: %q, want %s", a, id)
		}
	}
	whole := rawRequest(send(6, "02"), "user", "pass")
	rc.write(whole[:len(whole)-20])
	rc.write(whole[len(whole)-20:])
	if a := rc.answer(); !strings.Contains(a, `"id":6`) {
		t.Fatalf("split: %q", a)
	}
	rc.write(rawRequest(send(7, "03"), "user", "pass", "Connection: keep-alive", "User-Agent: python-requests/2.31.0", "Accept: */*", "Accept-Encoding: gzip, deflate"))
	if a := rc.answer(); !strings.Contains(a, `"id":7`) {
		t.Fatalf("keep-alive: %q", a)
	}
	expectServed(8)
}

// TestFastPathHandsOver: at a request the fast path does not serve (here
// another method, wrong credentials), net/http answers it
// as before and keeps the connection: later requests on it, even plain
// sendrawtransaction calls, are net/http's.
func TestFastPathHandsOver(t *testing.T) {
	var srv *server.Server
	e := newEnvWith(t, func(s *server.Server) {
		srv = s
		s.SetWaitForTest(func(context.Context, time.Duration) {})
	})
	send := `{"jsonrpc":"2.0","id":1,"method":"sendrawtransaction","params":["00"]}`
	served := srv.FastServedForTest()

	rc := dialRaw(t, e.addr)
	rc.write(rawRequest(send, "user", "pass"))
	rc.answer()
	rc.write(rawRequest(`{"jsonrpc":"2.0","id":2,"method":"getblockcount"}`, "user", "pass"))
	if a := rc.answer(); !strings.HasSuffix(a, `{"jsonrpc":"2.0","id":2,"result":0}`+"\n") {
		t.Fatalf("getblockcount: %q", a)
	}
	rc.write(rawRequest(send, "user", "pass"))
	if a := rc.answer(); !strings.Contains(a, `"code":-22`) {
		t.Fatalf("after the hand-over: %q", a)
	}
	if got := srv.FastServedForTest() - served; got != 1 {
		t.Fatalf("the fast path answered %d requests, want 1 (net/http the rest)", got)
	}

	if a := answerTo(t, e.addr, rawRequest(send, "user", "nope")); !strings.HasPrefix(a, "HTTP/1.1 401 Unauthorized\r\n") ||
		!strings.Contains(a, "Www-Authenticate: Basic realm=\"powchain\"\r\n") || !strings.Contains(a, "Connection: close\r\n") {
		t.Fatalf("wrong password: %q", a)
	}
}

// TestFastPathShutdown: Shutdown closes a connection the fast path holds
// idle, and Serve returns.
func TestFastPathShutdown(t *testing.T) {
	_, srv := newUnservedEnv(t, false, func(*env, *server.Backend) {})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	rc := dialRaw(t, ln.Addr().String())
	rc.write(rawRequest(`{"jsonrpc":"2.0","id":1,"method":"sendrawtransaction","params":["00"]}`, "user", "pass"))
	rc.answer()
	if srv.FastServedForTest() != 1 {
		t.Fatal("the fast path did not answer")
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := server.Receive(t, served); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if n, err := rc.r.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("idle connection after Shutdown: read %d bytes, %v; want it closed", n, err)
	}
}
