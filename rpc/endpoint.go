package rpc

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"powchain/internal/atomicfile"
)

// Files a running node writes into its network folder so that clients (the
// wallet, the miner, `powchain rpc`) find it from the data dir alone.
const (
	AddressFile = "rpc.address" // host:port the RPC server is bound to
	CookieFile  = ".cookie"     // user:password, regenerated at every start
	cookieUser  = "__cookie__"
)

// NewCookie returns fresh credentials: the fixed cookie user and a random
// 32-byte password in hex.
func NewCookie() (user, password string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", err
	}
	return cookieUser, hex.EncodeToString(b[:]), nil
}

// WriteEndpoint records the server's address and credentials in dir. The
// cookie is readable by its owner only.
func WriteEndpoint(dir, addr, user, password string) error {
	if err := atomicfile.WriteFile(filepath.Join(dir, CookieFile), []byte(user+":"+password+"\n"), 0o600); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, AddressFile), []byte(addr+"\n"), 0o644)
}

// RemoveEndpoint deletes the files WriteEndpoint wrote (at shutdown).
func RemoveEndpoint(dir string) {
	os.Remove(filepath.Join(dir, AddressFile))
	os.Remove(filepath.Join(dir, CookieFile))
}

// ErrNoEndpoint means no node has published an RPC endpoint in the folder:
// the node is not running (or never ran) with this data dir and network.
var ErrNoEndpoint = errors.New("no running node found")

// ReadEndpoint returns the address a node published in dir.
func ReadEndpoint(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, AddressFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%w in %s (start one with `powchain node run`, or pass --rpc)", ErrNoEndpoint, dir)
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// ReadCookie reads credentials from a cookie file.
func ReadCookie(path string) (user, password string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("read RPC cookie: %w", err)
	}
	user, password, ok := strings.Cut(strings.TrimSpace(string(b)), ":")
	if !ok {
		return "", "", fmt.Errorf("RPC cookie %s is malformed", path)
	}
	return user, password, nil
}
