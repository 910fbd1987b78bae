package main

import (
	"archive/tar"
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// TestImageServes builds the image from freshly built static binaries, as
// "make image" does, then takes it apart as a container runtime would: the
// layer unpacked into a directory, the configuration's command run there
// with its environment, the health check run against it.
func TestImageServes(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the image's binaries are built for linux, and run here")
	}
	bins := t.TempDir()
	buildStatic(t, "../..", "./cmd/scimd", filepath.Join(bins, "scimd"))
	buildStatic(t, "..", "./healthcheck", filepath.Join(bins, "healthcheck"))
	t.Setenv("SOURCE_DATE_EPOCH", "1767225600")
	out := t.TempDir()
	args := []string{"-version", "1.2.3", "-platform", "linux/" + runtime.GOARCH + "=" + bins}
	if err := run(append(args, "-oci", filepath.Join(out, "oci"), "-tarball", filepath.Join(out, "image.tar"))); err != nil {
		t.Fatal(err)
	}

	img := onlyImage(t, filepath.Join(out, "oci"))
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("platform %s/%s, want linux/%s", cf.OS, cf.Architecture, runtime.GOARCH)
	}
	if want := time.Unix(1767225600, 0).UTC(); !cf.Created.Time.Equal(want) {
		t.Errorf("created %v, want SOURCE_DATE_EPOCH %v", cf.Created.Time, want)
	}
	if cf.Config.User != "65532:65532" {
		t.Errorf("user %q, want the non-root 65532:65532", cf.Config.User)
	}
	if got := cf.Config.Labels["org.opencontainers.image.version"]; got != "1.2.3" {
		t.Errorf("version label %q, want 1.2.3", got)
	}

	// The tarball for docker load holds the same image: the same
	// configuration and layer, under a manifest of Docker's format.
	tb, err := tarball.ImageFromPath(filepath.Join(out, "image.tar"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := configName(t, tb), configName(t, img); got != want {
		t.Errorf("tarball's image configuration %s, OCI layout's %s", got, want)
	}

	// The same binaries give the same image.
	again := t.TempDir()
	if err := run(append(args, "-oci", again)); err != nil {
		t.Fatal(err)
	}
	if got, want := digest(t, onlyImage(t, again)), digest(t, img); got != want {
		t.Errorf("second build %s, first %s: not reproducible", got, want)
	}

	root := t.TempDir()
	owners := unpack(t, img, root)
	if owners["data"] != 65532 {
		t.Errorf("/data belongs to uid %d, want 65532, that scimd runs as", owners["data"])
	}
	for _, f := range []string{"usr/bin/scimd", "usr/bin/healthcheck", "etc/ssl/certs/ca-certificates.crt"} {
		if _, ok := owners[f]; !ok {
			t.Errorf("no /%s in the image", f)
		}
	}
	passwd, err := os.ReadFile(filepath.Join(root, "etc/passwd"))
	if err != nil || !strings.Contains(string(passwd), "scimd:x:65532:65532:") {
		t.Errorf("/etc/passwd has no scimd user 65532: %q, %v", passwd, err)
	}

	// Run the image's command as the runtime would, with /data under
	// root, on a free port.
	addr := freeAddr(t)
	cmd := exec.Command(filepath.Join(root, cf.Config.Entrypoint[0]), cf.Config.Cmd...)
	cmd.Dir = filepath.Join(root, cf.Config.WorkingDir)
	for _, kv := range cf.Config.Env {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "SCIMD_ADDR":
			v = addr
		case "SCIMD_DB":
			v = strings.Replace(v, dataDir, filepath.Join(root, dataDir), 1)
		}
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logs, err := os.Create(filepath.Join(t.TempDir(), "scimd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	health := "http://" + addr + "/healthz"
	probe := cf.Config.Healthcheck.Test
	if len(probe) != 3 || probe[0] != "CMD" {
		t.Fatalf("health check %q, want CMD PROGRAM URL", probe)
	}
	if err := waitHealthy(health, 60*time.Second); err != nil {
		b, _ := os.ReadFile(logs.Name())
		t.Fatalf("%v; scimd's output:\n%s", err, b)
	}
	// The image's health check, against this server instead of the
	// container's address.
	hc := exec.Command(filepath.Join(root, probe[1]), health)
	if b, err := hc.CombinedOutput(); err != nil {
		t.Errorf("health check of a serving scimd: %v: %s", err, b)
	}
	if _, err := os.Stat(filepath.Join(root, "data/scimd.db")); err != nil {
		t.Errorf("no database in /data: %v", err)
	}

	cmd.Process.Kill()
	cmd.Wait()
	hc = exec.Command(filepath.Join(root, probe[1]), health)
	if err := hc.Run(); err == nil {
		t.Error("health check of a stopped scimd succeeded")
	}
}

// TestDockerfileMatchesImage keeps the Dockerfile, which cannot be built
// here, in step with the image ociimage builds: the final stage's user,
// environment, command, volume, port, health check and labels.
func TestDockerfileMatchesImage(t *testing.T) {
	t.Parallel()
	got := dockerfileConfig(t, "../../Dockerfile")
	want := imageConfig("$VERSION")
	slices.Sort(got.Env) // the order of variables does not matter
	slices.Sort(want.Env)
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("Dockerfile's final stage:\n%s\nociimage's:\n%s", g, w)
	}
}

func TestFlags(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1767225600")
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-platform", "linux/amd64=" + dir, "-oci", dir}, "-version is required"},
		{[]string{"-version", "1", "-oci", dir}, "at least one -platform"},
		{[]string{"-version", "1", "-platform", "linux/amd64=" + dir}, "give -oci, -tarball or both"},
		{[]string{"-version", "1", "-platform", "amd64=" + dir, "-oci", dir}, "want OS/ARCH=DIR"},
		{[]string{"-version", "1", "-platform", "linux/amd64=" + dir, "-oci", dir}, "healthcheck"}, // no binaries there
	} {
		err := run(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ociimage %q: %v, want an error saying %q", tc.args, err, tc.want)
		}
	}
}

// buildStatic builds pkg of the module in dir as the release does.
func buildStatic(t *testing.T, dir, pkg, out string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, b)
	}
}

// onlyImage reads the OCI layout in dir, which must hold one image.
func onlyImage(t *testing.T, dir string) v1.Image {
	t.Helper()
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 {
		t.Fatalf("%d manifests in the layout, want 1", len(m.Manifests))
	}
	if p := m.Manifests[0].Platform; p == nil || p.OS != "linux" || p.Architecture != runtime.GOARCH {
		t.Errorf("manifest's platform %v, want linux/%s", p, runtime.GOARCH)
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func configName(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	h, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func digest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// unpack writes the image's filesystem under root and returns the owner
// of each entry, by its path without a trailing slash.
func unpack(t *testing.T, img v1.Image, root string) map[string]int {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	owners := map[string]int{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return owners
		}
		if err != nil {
			t.Fatal(err)
		}
		owners[strings.TrimSuffix(hdr.Name, "/")] = hdr.Uid
		path := filepath.Join(root, hdr.Name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(path, 0o755)
		case tar.TypeReg:
			var b []byte
			if b, err = io.ReadAll(tr); err == nil {
				err = os.WriteFile(path, b, os.FileMode(hdr.Mode))
			}
		default:
			t.Fatalf("%s: unexpected entry type %c", hdr.Name, hdr.Typeflag)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitHealthy waits for url to answer 200, for as long as a first start
// (migrations, the first tokens) takes on a loaded machine.
func waitHealthy(url string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%s", resp.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not healthy after %v: %v", url, limit, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// dockerfileConfig reads the image configuration that a Dockerfile's last
// stage sets, for the instructions it uses; ARG values stay as written.
func dockerfileConfig(t *testing.T, path string) v1.Config {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	var cont string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		if s, ok := strings.CutSuffix(line, "\\"); ok {
			cont += s + " "
			continue
		}
		lines = append(lines, cont+line)
		cont = ""
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	var c v1.Config
	jsonArray := func(s string) []string {
		var v []string
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatalf("%q: want a JSON array: %v", s, err)
		}
		return v
	}
	for _, line := range lines {
		instr, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(instr) {
		case "FROM":
			c = v1.Config{} // a new stage: only the last one counts
		case "USER":
			c.User = rest
		case "WORKDIR":
			c.WorkingDir = rest
		case "ENTRYPOINT":
			c.Entrypoint = jsonArray(rest)
		case "CMD":
			c.Cmd = jsonArray(rest)
		case "ENV":
			c.Env = append(c.Env, strings.Fields(rest)...)
		case "LABEL":
			for _, kv := range strings.Fields(rest) {
				k, v, _ := strings.Cut(kv, "=")
				if c.Labels == nil {
					c.Labels = map[string]string{}
				}
				c.Labels[k] = v
			}
		case "VOLUME":
			c.Volumes = map[string]struct{}{rest: {}}
		case "EXPOSE":
			c.ExposedPorts = map[string]struct{}{rest + "/tcp": {}}
		case "HEALTHCHECK":
			hc := &v1.HealthConfig{}
			for {
				opt, after, _ := strings.Cut(rest, " ")
				k, v, ok := strings.Cut(strings.TrimPrefix(opt, "--"), "=")
				if !strings.HasPrefix(opt, "--") || !ok {
					break
				}
				rest = strings.TrimSpace(after)
				var err error
				switch k {
				case "retries":
					_, err = fmt.Sscan(v, &hc.Retries)
				case "interval":
					hc.Interval, err = time.ParseDuration(v)
				case "timeout":
					hc.Timeout, err = time.ParseDuration(v)
				case "start-period":
					hc.StartPeriod, err = time.ParseDuration(v)
				default:
					err = errors.New("unknown option")
				}
				if err != nil {
					t.Fatalf("HEALTHCHECK --%s=%s: %v", k, v, err)
				}
			}
			kind, argv, _ := strings.Cut(rest, " ")
			hc.Test = append([]string{kind}, jsonArray(argv)...)
			c.Healthcheck = hc
		}
	}
	return c
}
