package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
)

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(exitCode(err))
	}
}

// exitCode is the status the binary exits with after err: a cli.ExitCoder's
// code (usage mistakes, RPC errors), else 1.
func exitCode(err error) int {
	var exit cli.ExitCoder
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	return 1
}

func newApp() *cli.App {
	return &cli.App{
		Name:    "powchain",
		Usage:   "a proof-of-work blockchain full node",
		Version: buildVersion(),
		Commands: withUsageErrors([]*cli.Command{
			nodeCommand(),
			rpcCommand(),
			walletCommand(),
			minerCommand(),
			versionCommand(),
			helpCommand(),
		}),
		// helpCommand replaces the library's; its --help flag stays.
		HideHelpCommand: true,
		Flags:           []cli.Flag{cli.HelpFlag},
		Action:          groupAction(cli.ShowAppHelp),
		OnUsageError:    usageError,
		// Errors are printed once, by main.
		ExitErrHandler: func(*cli.Context, error) {},
	}
}
