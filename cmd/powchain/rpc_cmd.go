package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"powchain/rpc"
)

func rpcCommand() *cli.Command {
	return withConfig(&cli.Command{
		Name:      "rpc",
		Usage:     "call a JSON-RPC method of a running node",
		ArgsUsage: "METHOD [ARGS...]",
		Description: "Flags go before METHOD. Each argument is sent as JSON when it is valid JSON, otherwise as a string " +
			"(as bitcoin-cli does); one that is a flag of this command is refused. The result is printed exactly as the node sent it: a string bare, " +
			"anything else as indented JSON with every number as the node wrote it. " +
			"When the node answers with an error, the exit status is the absolute value of its code, as bitcoin-cli's " +
			"(-8 exits 8; a shell sees -32601 as 89, modulo 256); any other failure exits 1, a usage mistake 2.\n\n" +
			"powchain rpc help lists the node's methods; powchain rpc help METHOD describes one.",
		Flags: clientFlags(),
		// "help" is the node's method, not this command's subcommand.
		HideHelpCommand: true,
		Action:          runRPC,
	})
}

func runRPC(c *cli.Context) error {
	if c.NArg() < 1 {
		return cli.Exit("usage: powchain rpc METHOD [ARGS...] (try: powchain rpc help)", 2)
	}
	if err := flagAfterMethod(c); err != nil {
		return err
	}
	client, err := newClient(c)
	if err != nil {
		return err
	}
	params := make([]any, 0, c.NArg()-1)
	for _, arg := range c.Args().Slice()[1:] {
		params = append(params, jsonOrString(arg))
	}
	var result json.RawMessage
	if err := client.Call(c.Context, c.Args().First(), params, &result); err != nil {
		var rpcErr *rpc.Error
		if errors.As(err, &rpcErr) {
			msg := fmt.Sprintf("error code %d: %s", rpcErr.Code, rpcErr.Message)
			if rpcErr.Code == rpc.CodeMethodNotFound {
				msg += nearestMethod(c.Context, client, c.Args().First())
			}
			return cli.Exit(msg, rpcErrorStatus(rpcErr.Code))
		}
		return err
	}
	return printResult(c.App.Writer, result)
}

// rpcErrorStatus is the exit status of a call the node answered with an
// error: the absolute value of its code, as bitcoin-cli exits, so that
// scripts can tell errors apart (a shell sees it modulo 256: -8 exits 8,
// -32601 exits 89); 1 when that would read as success (a code that is a
// multiple of 256, which no node sends).
func rpcErrorStatus(code int) int {
	status := max(code, -code)
	if status%256 == 0 {
		return 1
	}
	return status
}

// flagAfterMethod refuses a flag of this command written after the method:
// flags are read only before it, so the flag would go to the node as a
// parameter instead of choosing the node or the credentials.
func flagAfterMethod(c *cli.Context) error {
	for _, arg := range c.Args().Tail() {
		name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if arg == name || !slices.ContainsFunc(c.Command.Flags, func(f cli.Flag) bool { return slices.Contains(f.Names(), name) }) {
			continue
		}
		return usageExit(c, fmt.Sprintf("flag %s after the method %s would be sent to the node as a parameter: put flags before the method", arg, c.Args().First()))
	}
	return nil
}

// nearestMethod is "; did you mean NAME?" for the node's method nearest
// to a mistyped one, from the node's help list, or "".
func nearestMethod(ctx context.Context, client *rpc.Client, typed string) string {
	var list string
	if err := client.Call(ctx, "help", nil, &list); err != nil {
		return ""
	}
	var names []string
	for _, line := range strings.Split(list, "\n") {
		if fields := strings.Fields(line); len(fields) > 0 {
			names = append(names, fields[0])
		}
	}
	return didYouMean(names, typed, "")
}

func jsonOrString(arg string) any {
	if json.Valid([]byte(arg)) {
		return json.RawMessage(arg)
	}
	return arg
}

// printResult prints a string result bare, null as nothing, and anything
// else as indented JSON. The JSON is re-indented, never decoded: numbers
// keep the exact digits the node sent (404730144278106326 stays itself,
// 50.00000000 keeps its zeros).
func printResult(w io.Writer, result json.RawMessage) error {
	result = bytes.TrimSpace(result)
	switch {
	case len(result) == 0 || string(result) == "null":
		return nil
	case result[0] == '"':
		var s string
		if err := json.Unmarshal(result, &s); err != nil {
			return fmt.Errorf("the node sent a malformed string: %w", err)
		}
		_, err := fmt.Fprintln(w, s)
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, result, "", "  "); err != nil {
		return fmt.Errorf("the node sent malformed JSON: %w", err)
	}
	out.WriteByte('\n')
	_, err := out.WriteTo(w)
	return err
}

// rpcAddress is the host:port of --rpc, given as host:port, as a URL of
// the node (http://host:port/) or as a host alone, which means port, the
// network's RPC port, as bitcoin-cli's -rpcconnect does.
func rpcAddress(c *cli.Context, given string, port uint16) (string, error) {
	addr := given
	if strings.Contains(given, "://") {
		u, err := url.Parse(given)
		if err != nil || u.Scheme != "http" || strings.Trim(u.Path, "/") != "" || u.Host == "" {
			return "", usageExit(c, fmt.Sprintf("--rpc %q: give the node's RPC address as host:port (or http://host:port)", given))
		}
		addr = u.Host
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(strings.Trim(addr, "[]"), strconv.Itoa(int(port)))
	}
	return addr, nil
}

// newClient finds the node from the flags: --rpc or the address the node
// published, and --rpc-user/--rpc-password, --rpc-cookie or the published
// cookie.
func newClient(c *cli.Context) (*rpc.Client, error) {
	dir, params, err := netDir(c)
	if err != nil {
		return nil, err
	}
	addr := c.String("rpc")
	if addr == "" {
		if addr, err = rpc.ReadEndpoint(dir); err != nil {
			return nil, err
		}
	} else if addr, err = rpcAddress(c, addr, params.RPCPort); err != nil {
		return nil, err
	}
	user, pass := c.String("rpc-user"), c.String("rpc-password")
	if user == "" || pass == "" {
		cookie := c.String("rpc-cookie")
		if cookie == "" {
			cookie = filepath.Join(dir, rpc.CookieFile)
		}
		if user, pass, err = rpc.ReadCookie(cookie); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("no RPC credentials for the node at %s: there is no cookie at %s. Authenticate in one of three ways: "+
					"--rpc-user and --rpc-password (as set on the node); --rpc-cookie FILE (the node's <datadir>/<network>/.cookie); "+
					"or the --datadir and --network the node runs with, where it publishes its cookie", addr, cookie)
			}
			return nil, err
		}
	}
	return rpc.NewClient(addr, user, pass), nil
}
