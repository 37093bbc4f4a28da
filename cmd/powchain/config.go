package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"
)

// withConfig makes a command read its flags' values from the config file
// too (below flags and environment, above defaults).
func withConfig(cmd *cli.Command) *cli.Command {
	cmd.Before = func(c *cli.Context) error {
		if err := flagSwallowedFlag(c); err != nil {
			return err
		}
		if err := strayArgument(c); err != nil {
			return err
		}
		src, err := loadConfig(c)
		if err != nil {
			return err
		}
		if err := altsrc.ApplyInputSourceValues(c, src, cmd.Flags); err != nil {
			return err
		}
		return credentialsPaired(c)
	}
	return cmd
}

// perCommand reports whether key is a flag that names what one command
// does (a payment's destination and amount, the send to abandon): in the
// config file, every `wallet send` without --amount would pay its amount.
func perCommand(key string) bool {
	switch key {
	case "to", "amount", "txid":
		return true
	}
	return false
}

// loadConfig reads the config file: --config, else <datadir>/powchain.toml
// when it exists. A syntax error names the file and line; a key that is no
// flag of any powchain command, or a value of the wrong type, names the
// key. One file serves every command, so a key of another command (listen
// for `powchain rpc`) is accepted and ignored; the flags of one payment
// (perCommand) are refused.
func loadConfig(c *cli.Context) (altsrc.InputSourceContext, error) {
	path := c.String("config")
	if path == "" {
		path = filepath.Join(c.String("datadir"), "powchain.toml")
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return altsrc.NewMapInputSource("", map[any]any{}), nil
		}
	}
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	var raw map[string]any
	if _, err := toml.Decode(string(text), &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			msg := pe.Message
			if number, ok := strings.CutSuffix(msg, " is out of range for int64"); ok { // the library's words
				msg = fmt.Sprintf("%s is out of range: whole numbers go from %d to %d", number, math.MinInt64, math.MaxInt64)
			}
			return nil, fmt.Errorf("config file %s, line %d: %s", path, pe.Position.Line, msg)
		}
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	flags := allFlags(c.App.Commands)
	values := make(map[any]any, len(raw))
	for _, key := range sortedKeys(raw) {
		f, ok := flags[key]
		if !ok || key == "config" {
			return nil, fmt.Errorf("config file %s: unknown key %q%s", path, key, didYouMean(sortedKeys(flags), key, ""))
		}
		if perCommand(key) {
			return nil, fmt.Errorf("config file %s: %s is given on the command line (--%s), not in the config file, "+
				"where it would apply to every command that leaves it out", path, key, key)
		}
		v, err := configValue(f, raw[key])
		if err != nil {
			return nil, fmt.Errorf("config file %s: %s %w", path, key, err)
		}
		values[key] = v
	}
	return altsrc.NewMapInputSource(path, values), nil
}

// configValue converts a TOML value to what the flag's altsrc reader
// expects, or says which type the key needs.
func configValue(f cli.Flag, v any) (any, error) {
	switch f.(type) {
	case *altsrc.StringFlag:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return nil, errors.New("must be a string (in quotes)")
	case *altsrc.BoolFlag:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return nil, errors.New("must be true or false")
	case *altsrc.IntFlag:
		if n, ok := v.(int64); ok && int64(int(n)) == n {
			return int(n), nil
		}
		return nil, errors.New("must be a whole number")
	case *altsrc.StringSliceFlag:
		list, ok := v.([]any)
		for _, item := range list {
			if _, isString := item.(string); !isString {
				ok = false
			}
		}
		if ok {
			return list, nil
		}
		return nil, errors.New(`must be a list of strings, e.g. ["a", "b"]`)
	}
	return nil, errors.New("cannot be set in the config file")
}

// allFlags maps every flag name of the command tree to its flag.
func allFlags(cmds []*cli.Command) map[string]cli.Flag {
	out := make(map[string]cli.Flag)
	for _, cmd := range cmds {
		for _, f := range cmd.Flags {
			for _, name := range f.Names() {
				out[name] = f
			}
		}
		for name, f := range allFlags(cmd.Subcommands) {
			out[name] = f
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
