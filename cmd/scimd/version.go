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

// commit is the commit scimd was built from, for builds that record no
// version control information (-buildvcs=false, or a source archive):
//
//	-ldflags "-X main.version=v1.2.3 -X main.commit=$(git rev-parse HEAD)"
var commit = ""

// versionCmd prints the version, the commit it was built from and the
// Go version that built it.
func versionCmd(args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] != "-h" && args[0] != "--help" {
		return fmt.Errorf("version: unexpected argument %q", args[0])
	}
	v, rev, goVersion := version, commit, "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		goVersion = info.GoVersion
		if v == "" {
			v = info.Main.Version
		}
		var modified bool
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if rev == "" {
					rev = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if modified && commit == "" && rev != "" {
			rev += " (modified)"
		}
	}
	if v == "" {
		v = "(devel)"
	}
	if rev == "" {
		rev = "unknown"
	}
	fmt.Fprintf(stdout, "scimd %s\ncommit %s\n%s\n", v, rev, goVersion)
	return nil
}
