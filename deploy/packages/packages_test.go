// Package packages holds the nfpm configuration of scimd's Debian and RPM
// packages, their maintainer scripts, and tests that build a package and
// read it back.
package packages

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDeb builds the Debian package as "make packages" does, around a
// stand-in binary, and reads back its files and control fields.
func TestDeb(t *testing.T) {
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("dpkg-deb is needed to read the package back")
		}
		t.Skip("no dpkg-deb")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "scimd")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "tool", "nfpm", "package", "--config", "packages/nfpm.yaml", "--packager", "deb", "--target", dir)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "VERSION=1.2.3-rc.1", "ARCH=arm64", "BINARY="+bin, "SOURCE_DATE_EPOCH=1767225600")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nfpm: %v\n%s", err, b)
	}
	deb := filepath.Join(dir, "scimd_1.2.3~rc.1_arm64.deb")

	fields := map[string]string{"Package": "scimd", "Version": "1.2.3~rc.1", "Architecture": "arm64", "Pre-Depends": "passwd"}
	for field, want := range fields {
		if got := dpkgDeb(t, "--field", deb, field); got != want {
			t.Errorf("%s: %q, want %q", field, got, want)
		}
	}
	// The settings survive upgrades, and are removed on purge only.
	if got := dpkgDeb(t, "--info", deb, "conffiles"); got != "/etc/scimd/scimd.env" {
		t.Errorf("conffiles %q, want /etc/scimd/scimd.env", got)
	}
	for _, script := range []string{"preinst", "postinst", "prerm", "postrm"} {
		if body := dpkgDeb(t, "--info", deb, script); !strings.HasPrefix(body, "#!/bin/sh") {
			t.Errorf("%s: %.40q, want a shell script", script, body)
		}
	}

	// mode owner/group size date time path, as tar lists them
	files := map[string]string{}
	for line := range strings.Lines(dpkgDeb(t, "--contents", deb)) {
		f := strings.Fields(line)
		if len(f) == 6 {
			files[strings.TrimPrefix(f[5], ".")] = f[0] + " " + f[1]
		}
	}
	for path, want := range map[string]string{
		"/usr/bin/scimd":                        "-rwxr-xr-x root/root",
		"/usr/lib/systemd/system/scimd.service": "-rw-r--r-- root/root",
		"/etc/scimd/":                           "drwxr-x--- root/scimd",
		"/etc/scimd/scimd.env":                  "-rw-r----- root/scimd",
		"/usr/share/doc/scimd/LICENSE":          "-rw-r--r-- root/root",
	} {
		if got := files[path]; got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
}

// TestEnvFile checks that every variable the packaged env file names, set or
// commented out, is one that "scimd serve" reads.
func TestEnvFile(t *testing.T) {
	t.Parallel()
	scimd := filepath.Join(t.TempDir(), "scimd")
	build := exec.Command("go", "build", "-o", scimd, "./cmd/scimd")
	build.Dir = "../.."
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build scimd: %v\n%s", err, b)
	}
	help, _ := exec.Command(scimd, "serve", "-h").CombinedOutput() // -h exits non-zero
	env, err := os.ReadFile("../systemd/scimd.env")
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`(?m)^#?(SCIMD_[A-Z0-9_]+)=`)
	vars := name.FindAllStringSubmatch(string(env), -1)
	if len(vars) < 10 {
		t.Fatalf("%d variables in scimd.env: the pattern misses them", len(vars))
	}
	known := regexp.MustCompile(`SCIMD_[A-Z0-9_]+`).FindAllString(string(help), -1)
	for _, v := range vars {
		if !slices.Contains(known, v[1]) {
			t.Errorf("scimd.env names %s, which scimd serve -h does not", v[1])
		}
	}
	if !strings.Contains(string(env), "\nSCIMD_DB=sqlite:/var/lib/scimd/scimd.db\n") {
		t.Error("scimd.env does not put the SQLite database in the state directory")
	}
}

// dpkgDeb runs dpkg-deb and returns its output, trimmed.
func dpkgDeb(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("dpkg-deb", args...).Output()
	if err != nil {
		t.Fatalf("dpkg-deb %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}
