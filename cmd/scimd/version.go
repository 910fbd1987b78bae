package main

import (
	"fmt"
	"io"
	"runtime/debug"
)

// version is scimd's version, set by release builds:
//
//	go build -ldflags "-X main.version=v1.2.3" ./cmd/scimd
//
// Without it, the version is the module's as the Go toolchain recorded
// it: v1.2.3 for "go install github.com/scimd/scimd/cmd/scimd@v1.2.3",
// (devel) for a build of a checkout.
var version = ""

// versionCmd prints the version, the commit it was built from and the
// Go version that built it.
func versionCmd(args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] != "-h" && args[0] != "--help" {
		return fmt.Errorf("version: unexpected argument %q", args[0])
	}
	v, commit, goVersion := version, "unknown", "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		goVersion = info.GoVersion
		if v == "" {
			v = info.Main.Version
		}
		var modified bool
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if modified && commit != "unknown" {
			commit += " (modified)"
		}
	}
	if v == "" {
		v = "(devel)"
	}
	fmt.Fprintf(stdout, "scimd %s\ncommit %s\n%s\n", v, commit, goVersion)
	return nil
}
