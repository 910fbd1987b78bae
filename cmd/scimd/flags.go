package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/duration"
)

// Every command reads its flags alike, through parseArgs: durations take
// days too ("30d", "1d12h"), a value that does not parse stops the
// command with a message saying what the flag accepts, and a flag bound
// to an environment variable (bindEnv) takes its value from there when
// the command line does not give it. A flag is registered as the flag
// package has it (fs.DurationVar, fs.BoolVar…); parseArgs does the rest.

// value is a flag's value as parseArgs reads it.
type value struct {
	flag.Value
	// env is the environment variable that sets the flag when the
	// command line does not; "" for none.
	env string
}

// kind is what a flag's value is, for messages and help: "duration",
// "bool", "int", "number", "string", or "" for a type of the command's
// own, which says itself what it accepts.
func kind(v flag.Value) string {
	g, ok := v.(flag.Getter)
	if !ok {
		return ""
	}
	switch g.Get().(type) {
	case time.Duration:
		return "duration"
	case bool:
		return "bool"
	case int, int64, uint, uint64:
		return "int"
	case float64:
		return "number"
	case string:
		return "string"
	}
	return ""
}

// accepts says what a flag of the kind accepts, for errors.
var accepts = map[string]string{
	"duration": duration.ErrSyntax.Error(),
	"bool":     "want true or false (or 1, 0, t, f)",
	"int":      "want a whole number",
	"number":   "want a number, such as 10 or 0.5",
}

func (v *value) Set(s string) error {
	k := kind(v.Value)
	if k == "duration" {
		d, err := duration.Parse(s)
		if err != nil {
			return errors.New(accepts[k])
		}
		// Go's form of a duration, which the flag package's reads.
		s = d.String()
	}
	if err := v.Value.Set(s); err != nil {
		if a, ok := accepts[k]; ok {
			return errors.New(a)
		}
		return err
	}
	return nil
}

func (v *value) String() string {
	if v == nil || v.Value == nil {
		return "" // the flag package's zero value, for its help
	}
	if g, ok := v.Value.(flag.Getter); ok {
		if d, ok := g.Get().(time.Duration); ok {
			return duration.Format(d)
		}
	}
	return v.Value.String()
}

func (v *value) Get() any {
	if g, ok := v.Value.(flag.Getter); ok {
		return g.Get()
	}
	return nil
}

// IsBoolFlag lets a boolean flag stand alone: --json for --json=true.
func (v *value) IsBoolFlag() bool {
	b, ok := v.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// wrap makes f's value a *value, once.
func wrap(f *flag.Flag) *value {
	if v, ok := f.Value.(*value); ok {
		return v
	}
	v := &value{Value: f.Value}
	f.Value = v
	if kind(v.Value) == "duration" {
		f.DefValue = v.String()
	}
	return v
}

// envName is the environment variable of a flag: SCIMD_ and the flag's
// name in capitals, "-" as "_": SCIMD_TOKEN_TTL for --token-ttl.
func envName(flagName string) string {
	return "SCIMD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// bindEnv binds the named flags, or without names every flag of fs, to
// their environment variables, and says so in their help.
func bindEnv(fs *flag.FlagSet, names ...string) {
	bind := func(f *flag.Flag) {
		if v := wrap(f); v.env == "" {
			v.env = envName(f.Name)
			f.Usage += " (env " + v.env + ")"
		}
	}
	if len(names) == 0 {
		fs.VisitAll(bind)
	}
	for _, n := range names {
		bind(fs.Lookup(n))
	}
}

// parseArgs parses flags wherever they are among the positional
// arguments, which it returns: "revoke ID --workspace W" works as well as
// "revoke --workspace W ID". Then the environment sets the flags bound to
// it that the command line did not give; an empty variable counts as
// unset.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.VisitAll(func(f *flag.Flag) { wrap(f) })
	// The flag package prints the whole help with an error; the error
	// alone, with where to find the help, is easier to read.
	out := fs.Output()
	fs.SetOutput(io.Discard)
	defer fs.SetOutput(out)
	var pos []string
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(out)
			fs.Usage()
			return nil, err
		} else if err != nil {
			return nil, fmt.Errorf("%w (see scimd %s -h)", err, fs.Name())
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		v := f.Value.(*value)
		if v.env == "" || given[f.Name] {
			return
		}
		s := os.Getenv(v.env)
		if s == "" {
			return
		}
		if err := v.Set(s); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", v.env, s, err))
		}
	})
	return pos, errors.Join(errs...)
}

// printFlags prints the help of fs's flags, as fs.PrintDefaults does.
func printFlags(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		var b strings.Builder
		fmt.Fprintf(&b, "  -%s", f.Name)
		name, usage := flag.UnquoteUsage(f)
		if !strings.Contains(f.Usage, "`") {
			switch name = kind(f.Value); name {
			case "bool":
				name = ""
			case "":
				name = "value"
			}
		}
		if name != "" {
			b.WriteString(" " + name)
		}
		b.WriteString("\n    \t")
		b.WriteString(strings.ReplaceAll(usage, "\n", "\n    \t"))
		switch f.DefValue {
		case "", "0", "0s", "false":
		default:
			if kind(f.Value) == "string" {
				fmt.Fprintf(&b, " (default %q)", f.DefValue)
			} else {
				fmt.Fprintf(&b, " (default %s)", f.DefValue)
			}
		}
		fmt.Fprintln(fs.Output(), b.String())
	})
}
