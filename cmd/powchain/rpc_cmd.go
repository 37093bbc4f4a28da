package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"powchain/rpc"
)

func rpcCommand() *cli.Command {
	return withConfig(&cli.Command{
		Name:      "rpc",
		Usage:     "call a JSON-RPC method of a running node",
		ArgsUsage: "METHOD [ARGS...]",
		Description: "Each argument is sent as JSON when it is valid JSON, otherwise as a string " +
			"(as bitcoin-cli does). The result is printed as JSON; a bare string or number is printed plain.",
		Flags:  clientFlags(),
		Action: runRPC,
	})
}

func runRPC(c *cli.Context) error {
	if c.NArg() < 1 {
		return cli.Exit("usage: powchain rpc METHOD [ARGS...] (try: powchain rpc help)", 2)
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
			return cli.Exit(fmt.Sprintf("error code %d: %s", rpcErr.Code, rpcErr.Message), 1)
		}
		return err
	}
	return printResult(result)
}

func jsonOrString(arg string) any {
	if json.Valid([]byte(arg)) {
		return json.RawMessage(arg)
	}
	return arg
}

// printResult prints strings and numbers plain, null as nothing, and
// everything else as indented JSON.
func printResult(result json.RawMessage) error {
	var v any
	if err := json.Unmarshal(result, &v); err != nil {
		return err
	}
	switch t := v.(type) {
	case nil:
		return nil
	case string:
		fmt.Println(t)
		return nil
	case float64:
		fmt.Println(string(result))
		return nil
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	return nil
}

// newClient finds the node from the flags: --rpc or the address the node
// published, and --rpc-user/--rpc-password, --rpc-cookie or the published
// cookie.
func newClient(c *cli.Context) (*rpc.Client, error) {
	dir, _, err := netDir(c)
	if err != nil {
		return nil, err
	}
	addr := c.String("rpc")
	if addr == "" {
		if addr, err = rpc.ReadEndpoint(dir); err != nil {
			return nil, err
		}
	}
	user, pass := c.String("rpc-user"), c.String("rpc-password")
	if user == "" || pass == "" {
		cookie := c.String("rpc-cookie")
		if cookie == "" {
			cookie = filepath.Join(dir, rpc.CookieFile)
		}
		if user, pass, err = rpc.ReadCookie(cookie); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("%w: no cookie at %s (is the node running with this --datadir and --network?)", rpc.ErrNoEndpoint, cookie)
			}
			return nil, err
		}
	}
	return rpc.NewClient(addr, user, pass), nil
}
