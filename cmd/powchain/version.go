package main

import (
	"fmt"
	"runtime/debug"

	"github.com/urfave/cli/v2"

	"powchain/wire"
)

// buildVersion describes the binary from the build information the Go
// toolchain embeds: the module version (or "(devel)"), the VCS commit it
// was built from (with "+dirty" for uncommitted changes) and the Go
// version; and the signature backend it was built with (-tags
// libsecp256k1 or not).
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (built without module information)"
	}
	version := info.Main.Version
	if version == "" {
		version = "(devel)"
	}
	commit, dirty, when := "unknown", "", ""
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		case "vcs.time":
			when = ", " + s.Value
		}
	}
	return fmt.Sprintf("%s (commit %s%s%s) %s; signatures: %s", version, commit, dirty, when, info.GoVersion, wire.SignatureBackend)
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version, the commit it was built from and the Go version",
		Action: func(c *cli.Context) error {
			cli.ShowVersion(c)
			return nil
		},
	}
}
