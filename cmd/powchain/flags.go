package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"

	"powchain/chain"
)

// envVar is the environment variable that sets a flag.
func envVar(flag string) []string {
	return []string{"POWCHAIN_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))}
}

func stringFlag(name, value, usage string) cli.Flag {
	return altsrc.NewStringFlag(&cli.StringFlag{Name: name, Value: value, Usage: usage, EnvVars: envVar(name)})
}

func stringSliceFlag(name, usage string) cli.Flag {
	return altsrc.NewStringSliceFlag(&cli.StringSliceFlag{Name: name, Usage: usage, EnvVars: envVar(name)})
}

func boolFlag(name, usage string) cli.Flag {
	return boolFlagDefault(name, usage, "")
}

// boolFlagDefault is a bool flag whose default --help states as
// defaultText, for a default that is not false.
func boolFlagDefault(name, usage, defaultText string) cli.Flag {
	return altsrc.NewBoolFlag(&cli.BoolFlag{Name: name, Usage: usage, EnvVars: envVar(name), DefaultText: defaultText})
}

func intFlag(name string, value int, usage string) cli.Flag {
	return altsrc.NewIntFlag(&cli.IntFlag{Name: name, Value: value, Usage: usage, EnvVars: envVar(name)})
}

func defaultDataDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ".powchain"
	}
	return filepath.Join(home, ".powchain")
}

// commonFlags are accepted by every leaf command.
func commonFlags() []cli.Flag {
	return []cli.Flag{
		stringFlag("datadir", defaultDataDir(), "data directory (one folder per network inside)"),
		stringFlag("network", chain.LocalNet, "network: local, regtest or main"),
		// The config flag itself is read from the command line or the
		// environment only.
		&cli.StringFlag{Name: "config", Usage: "TOML config file (default <datadir>/powchain.toml if it exists)", EnvVars: envVar("config")},
	}
}

// clientFlags select the node a client command talks to.
func clientFlags() []cli.Flag {
	return append(commonFlags(),
		stringFlag("rpc", "", "node RPC address host:port, or http://host:port (a host alone: the network's RPC port; default: the one the node published in the data dir)"),
		stringFlag("rpc-user", "", "RPC user (with --rpc-password, instead of the cookie)"),
		stringFlag("rpc-password", "", "RPC password"),
		stringFlag("rpc-cookie", "", "RPC cookie file (default <datadir>/<network>/.cookie)"),
	)
}

// netDir is the data dir's folder for the selected network.
func netDir(c *cli.Context) (string, *chain.Params, error) {
	params, err := chain.ParamsForNetwork(c.String("network"))
	if err != nil {
		return "", nil, err
	}
	return filepath.Join(c.String("datadir"), params.Name), params, nil
}
