package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/urfave/cli/v2"
)

// groupAction is the action of a command that only groups others (and of
// the app itself): with no argument it shows the help; with one it names
// the unknown command and the nearest real one.
func groupAction(showHelp func(*cli.Context) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		if !c.Args().Present() {
			return showHelp(c)
		}
		return unknownCommand(c, c.Command.Subcommands, c.Args().First())
	}
}

func unknownCommand(c *cli.Context, cmds []*cli.Command, typed string) error {
	var names []string
	for _, cmd := range cmds {
		names = append(names, cmd.Names()...)
	}
	return cli.Exit(fmt.Sprintf("unknown command %q%s (%s lists the commands)",
		typed, didYouMean(names, typed, ""), helpCommandLine(c)), 2)
}

// helpCommand is `powchain help [COMMAND...]`: the same as
// `powchain COMMAND... --help`.
func helpCommand() *cli.Command {
	return &cli.Command{
		Name:      "help",
		Usage:     "show the commands, or one command's help",
		ArgsUsage: "[COMMAND [SUBCOMMAND]]",
		Action: func(c *cli.Context) error {
			if first := c.Args().First(); first != "" && c.App.Command(first) == nil {
				return unknownCommand(c.Lineage()[1], c.App.Commands, first)
			}
			args := append([]string{c.App.Name}, c.Args().Slice()...)
			return c.App.RunContext(c.Context, append(args, "--help"))
		},
	}
}

// helpCommandLine is how the user gets the help of the command c runs.
func helpCommandLine(c *cli.Context) string {
	return c.Command.HelpName + " --help"
}

// usageExit is the exit (status 2) for a usage mistake: what is wrong and
// where the help is.
func usageExit(c *cli.Context, msg string) error {
	return cli.Exit(fmt.Sprintf("%s (see %s)", msg, helpCommandLine(c)), 2)
}

// usageError turns a flag parsing error into one line that names the
// mistake, the nearest real flag and where the help is.
func usageError(c *cli.Context, err error, _ bool) error {
	msg := err.Error()
	const undefined = "flag provided but not defined: "
	if typed, ok := strings.CutPrefix(msg, undefined); ok {
		typed = strings.TrimLeft(typed, "-")
		var names []string
		for _, f := range c.Command.Flags {
			names = append(names, f.Names()...)
		}
		msg = fmt.Sprintf("unknown flag --%s%s", typed, didYouMean(names, typed, "--"))
	}
	return usageExit(c, valueError(msg))
}

// A flag's value that does not parse, as the flag package says it (on the
// command line) and as urfave/cli does (from the environment).
var (
	badFlagValue = regexp.MustCompile(`^invalid (boolean )?value (".*") for (?:flag )?-([\w-]+): (.*)$`)
	badEnvValue  = regexp.MustCompile(`^could not parse (".*") as (int|bool) value from environment variable "(\w+)" for flag ([\w-]+): (.*)$`)
)

// valueError says what is wrong with a flag's value in the config file's
// words (--max-peers "abc": must be a whole number), for msg, the
// library's message; any other message is returned as it is.
func valueError(msg string) string {
	want := func(isBool bool, failure string) string {
		switch {
		case isBool:
			return "must be true or false"
		case strings.HasSuffix(failure, "out of range"):
			return "out of range"
		}
		return "must be a whole number"
	}
	if m := badFlagValue.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("--%s %s: %s", m[3], m[2], want(m[1] != "", m[4]))
	}
	if m := badEnvValue.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s %s: %s %s", m[3], m[1], m[4], want(m[2] == "bool", m[5]))
	}
	return msg
}

// flagSwallowedFlag catches a flag given without its value, which swallows
// the next flag as its value: `--datadir --network regtest` would otherwise
// make a data directory named "--network" and run on the default network.
func flagSwallowedFlag(c *cli.Context) error {
	names := map[string]bool{}
	for _, f := range c.Command.Flags {
		for _, n := range f.Names() {
			names[n] = true
		}
	}
	for _, f := range c.Command.Flags {
		name := f.Names()[0]
		if !c.IsSet(name) {
			continue
		}
		value := c.String(name)
		if other := strings.TrimLeft(value, "-"); other != value && names[other] {
			msg := fmt.Sprintf("flag --%s needs a value, but got the flag %s", name, value)
			return usageExit(c, msg)
		}
	}
	return nil
}

// strayArgument refuses an argument to a command that takes none. The
// flags after an argument are not parsed, so `wallet send --to A --amount
// 1 oops --no-broadcast` would otherwise send the transaction, and `node
// run oops --datadir D` run on the default data dir.
func strayArgument(c *cli.Context) error {
	if c.Command.ArgsUsage != "" || !c.Args().Present() {
		return nil
	}
	msg := fmt.Sprintf("unexpected argument %q: %s takes no arguments, and the flags after one would not be read", c.Args().First(), c.Command.HelpName)
	return usageExit(c, msg)
}

// credentialsPaired refuses --rpc-user without --rpc-password or the other
// way round, from any source: the node would otherwise take a fresh cookie
// instead, refusing every client that logs in as the user, and a client
// the cookie.
func credentialsPaired(c *cli.Context) error {
	if (c.String("rpc-user") == "") == (c.String("rpc-password") == "") {
		return nil
	}
	return usageExit(c, "--rpc-user and --rpc-password go together: give both, or neither for the cookie")
}

// withUsageErrors gives every command of the tree the same handling of
// usage errors and unknown subcommands.
func withUsageErrors(cmds []*cli.Command) []*cli.Command {
	for _, cmd := range cmds {
		cmd.OnUsageError = usageError
		if len(cmd.Subcommands) > 0 && cmd.Action == nil {
			cmd.Action = groupAction(cli.ShowSubcommandHelp)
		}
		withUsageErrors(cmd.Subcommands)
	}
	return cmds
}

// didYouMean is ": did you mean PREFIX+name?" for the candidate nearest to
// typed, or "" when none is near enough to be a likely typo.
func didYouMean(candidates []string, typed, prefix string) string {
	best, bestDist := "", len(typed)/3+2 // a typo: about one edit in three letters
	for _, c := range candidates {
		if d := editDistance(c, typed); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %s%s?", prefix, best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
