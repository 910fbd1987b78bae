// Command ociimage assembles scimd's container image from release binaries,
// without a container engine: the same image the Dockerfile builds, one
// layer on an empty base, for each platform given.
//
//	go run ./ociimage -version 1.2.0 \
//		-platform linux/amd64=../dist/linux_amd64 -platform linux/arm64=../dist/linux_arm64 \
//		-oci ../dist/oci -tarball ../dist/scimd_1.2.0_image_linux_amd64.tar
//
// Each platform's directory holds the static binaries scimd and healthcheck.
// -oci writes an OCI image layout with one image per platform (push it with
// "skopeo copy --all oci:dist/oci docker://REPO:TAG" or "crane push");
// -tarball writes the first platform's image for "docker load". Times in the
// image are SOURCE_DATE_EPOCH's, so that the same binaries give the same
// digests.
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/scimd/scimd/deploy/internal/sourcedate"
)

// The image, as the Dockerfile describes it. A change here belongs there
// too; the test compares them.
const (
	uid = 65532 // the non-root user scimd runs as, "scimd"

	binary      = "/usr/bin/scimd"
	healthcheck = "/usr/bin/healthcheck"
	caCerts     = "/etc/ssl/certs/ca-certificates.crt"
	dataDir     = "/data" // the volume holding the SQLite database and its secret
)

// imageConfig is the image's runtime configuration.
func imageConfig(version string) v1.Config {
	return v1.Config{
		User:       fmt.Sprintf("%d:%d", uid, uid),
		Entrypoint: []string{binary},
		Cmd:        []string{"serve"},
		Env: []string{
			"PATH=/usr/bin",
			"SCIMD_DB=sqlite:" + dataDir + "/scimd.db",
			"SCIMD_ADDR=0.0.0.0:8080",
		},
		WorkingDir:   dataDir,
		ExposedPorts: map[string]struct{}{"8080/tcp": {}},
		Volumes:      map[string]struct{}{dataDir: {}},
		Healthcheck: &v1.HealthConfig{
			Test:        []string{"CMD", healthcheck, "http://127.0.0.1:8080/healthz"},
			Interval:    30 * time.Second,
			Timeout:     5 * time.Second,
			StartPeriod: 30 * time.Second,
			Retries:     3,
		},
		Labels: map[string]string{
			"org.opencontainers.image.title":    "scimd",
			"org.opencontainers.image.version":  version,
			"org.opencontainers.image.source":   "https://github.com/scimd/scimd",
			"org.opencontainers.image.licenses": "Apache-2.0",
		},
	}
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ociimage:", err)
		os.Exit(1)
	}
}

// platformFlag collects -platform OS/ARCH=DIR.
type platformFlag []platformBinaries

type platformBinaries struct {
	platform v1.Platform
	dir      string
}

func (p *platformFlag) String() string { return fmt.Sprint(*p) }

func (p *platformFlag) Set(s string) error {
	plat, dir, ok := strings.Cut(s, "=")
	goos, arch, ok2 := strings.Cut(plat, "/")
	if !ok || !ok2 || dir == "" {
		return fmt.Errorf("%q: want OS/ARCH=DIR", s)
	}
	*p = append(*p, platformBinaries{v1.Platform{OS: goos, Architecture: arch}, dir})
	return nil
}

func run(args []string) error {
	fs := flag.NewFlagSet("ociimage", flag.ContinueOnError)
	version := fs.String("version", "", "the version, for the image's label and the tarball's tag")
	var platforms platformFlag
	fs.Var(&platforms, "platform", "OS/ARCH=DIR: a platform and the directory of its binaries (repeatable)")
	certs := fs.String("ca-certs", caCerts, "CA certificate bundle to include, for TLS to PostgreSQL, webhooks and SMTP")
	ociDir := fs.String("oci", "", "write an OCI image layout of every platform's image into this directory")
	tarPath := fs.String("tarball", "", "write the first platform's image into this file, for docker load")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *version == "":
		return errors.New("-version is required")
	case len(platforms) == 0:
		return errors.New("at least one -platform is required")
	case *ociDir == "" && *tarPath == "":
		return errors.New("nothing to write: give -oci, -tarball or both")
	}
	created, err := sourcedate.Get()
	if err != nil {
		return err
	}
	bundle, err := os.ReadFile(*certs)
	if err != nil {
		return fmt.Errorf("CA certificates: %w", err)
	}
	tag, err := name.NewTag("scimd:" + strings.ReplaceAll(*version, "+", "_"))
	if err != nil {
		return err
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	var first v1.Image
	for _, p := range platforms {
		img, err := buildImage(p, *version, bundle, created)
		if err != nil {
			return fmt.Errorf("%s/%s: %w", p.platform.OS, p.platform.Architecture, err)
		}
		if first == nil {
			first = img
		}
		plat := p.platform
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add: img,
			Descriptor: v1.Descriptor{
				Platform:    &plat,
				Annotations: map[string]string{"org.opencontainers.image.ref.name": tag.TagStr()},
			},
		})
	}
	if *ociDir != "" {
		if err := os.RemoveAll(*ociDir); err != nil {
			return err
		}
		if _, err := layout.Write(*ociDir, idx); err != nil {
			return fmt.Errorf("OCI layout: %w", err)
		}
	}
	if *tarPath != "" {
		if err := tarball.WriteToFile(*tarPath, tag, first); err != nil {
			return fmt.Errorf("tarball: %w", err)
		}
	}
	return nil
}

// buildImage makes one platform's image: a single layer on nothing.
func buildImage(p platformBinaries, version string, bundle []byte, created time.Time) (v1.Image, error) {
	layerTar, err := rootFS(p.dir, bundle, created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "ociimage: scimd " + version, Comment: "scimd, its health check, users, CA certificates"},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.platform.OS, p.platform.Architecture, p.platform.Variant
	cf.Created = v1.Time{Time: created}
	cf.Config = imageConfig(version)
	return mutate.ConfigFile(img, cf)
}

// rootFS is the image's one layer, as an uncompressed tar.
func rootFS(dir string, bundle []byte, mtime time.Time) ([]byte, error) {
	files := []struct {
		name string
		mode int64
		uid  int
		body []byte // nil for a directory
		src  string // or the file to read body from
	}{
		{name: "data/", mode: 0o700, uid: uid},
		{name: "etc/", mode: 0o755},
		{name: "etc/group", mode: 0o644, body: fmt.Appendf(nil, "root:x:0:\nscimd:x:%d:\n", uid)},
		{name: "etc/passwd", mode: 0o644, body: fmt.Appendf(nil, "root:x:0:0:root:/root:/sbin/nologin\nscimd:x:%d:%d:scimd:%s:/sbin/nologin\n", uid, uid, dataDir)},
		{name: "etc/ssl/", mode: 0o755},
		{name: "etc/ssl/certs/", mode: 0o755},
		{name: strings.TrimPrefix(caCerts, "/"), mode: 0o644, body: bundle},
		{name: "tmp/", mode: 0o1777},
		{name: "usr/", mode: 0o755},
		{name: "usr/bin/", mode: 0o755},
		{name: strings.TrimPrefix(healthcheck, "/"), mode: 0o755, src: filepath.Join(dir, "healthcheck")},
		{name: strings.TrimPrefix(binary, "/"), mode: 0o755, src: filepath.Join(dir, "scimd")},
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{Name: f.name, Mode: f.mode, Uid: f.uid, Gid: f.uid, ModTime: mtime, Format: tar.FormatPAX}
		body := f.body
		if f.src != "" {
			b, err := os.ReadFile(f.src)
			if err != nil {
				return nil, err
			}
			body = b
		}
		if strings.HasSuffix(f.name, "/") {
			hdr.Typeflag = tar.TypeDir
		} else {
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
