// Command release builds scimd for every platform it is released for and
// packs each build with the LICENSE, README and CHANGELOG into an archive:
// a .tar.gz, or a .zip for Windows.
//
// Builds are static (CGO_ENABLED=0) and reproducible: -trimpath keeps the
// checkout's path out of the binary, which records the commit rather than
// the time (-buildvcs, shown by "scimd version"), and archive entries carry
// the time in SOURCE_DATE_EPOCH, so that the same commit built twice,
// anywhere, with the same Go gives the same bytes.
//
//	go run ./release -src .. -out ../dist -version 1.2.0
package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/scimd/scimd/deploy/internal/sourcedate"
)

// platforms are the GOOS/GOARCH pairs released by default.
const platforms = "linux/amd64,linux/arm64,darwin/arm64,windows/amd64"

// docs are the files of the source tree shipped beside each binary.
var docs = []string{"LICENSE", "README.md", "CHANGELOG.md"}

func main() {
	src := flag.String("src", ".", "root of the scimd source tree")
	out := flag.String("out", "dist", "directory for the binaries (OS_ARCH/scimd) and archives")
	version := flag.String("version", "", "version, e.g. 1.2.0: in archive names, and in the binaries as main.version with a v (v1.2.0)")
	targets := flag.String("platforms", platforms, "comma-separated GOOS/GOARCH pairs")
	flag.Parse()
	if err := run(*src, *out, *version, strings.Split(*targets, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func run(src, out, version string, targets []string) error {
	if version == "" {
		return errors.New("-version is required")
	}
	epoch, err := sourcedate.Get()
	if err != nil {
		return err
	}
	for _, target := range targets {
		goos, goarch, ok := strings.Cut(strings.TrimSpace(target), "/")
		if !ok || goos == "" || goarch == "" {
			return fmt.Errorf("platform %q: want GOOS/GOARCH", target)
		}
		bin, err := build(src, out, version, goos, goarch)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("scimd_%s_%s_%s", version, goos, goarch)
		files := []string{bin}
		for _, d := range docs {
			files = append(files, filepath.Join(src, d))
		}
		if goos == "windows" {
			err = writeZip(filepath.Join(out, name+".zip"), name, files, epoch)
		} else {
			err = writeTarGz(filepath.Join(out, name+".tar.gz"), name, files, epoch)
		}
		if err != nil {
			return fmt.Errorf("%s/%s: %w", goos, goarch, err)
		}
		fmt.Println(filepath.Join(out, name))
	}
	return nil
}

// build compiles cmd/scimd for one platform into out/GOOS_GOARCH and
// returns the binary's path.
func build(src, out, version, goos, goarch string) (string, error) {
	exe := "scimd"
	if goos == "windows" {
		exe += ".exe"
	}
	bin, err := filepath.Abs(filepath.Join(out, goos+"_"+goarch, exe))
	if err != nil {
		return "", err
	}
	cmd := exec.Command("go", "build",
		"-trimpath", "-buildvcs=auto",
		"-ldflags", "-s -w -X main.version=v"+version,
		"-o", bin, "./cmd/scimd")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build %s/%s: %w", goos, goarch, err)
	}
	return bin, nil
}

// writeTarGz writes files into a gzipped tar under the directory dir, in
// the order given, owned by root and dated mtime.
func writeTarGz(path, dir string, files []string, mtime time.Time) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer closeInto(f, &err)
	zw := gzip.NewWriter(f) // no name or time in the header: reproducible
	defer closeInto(zw, &err)
	tw := tar.NewWriter(zw)
	defer closeInto(tw, &err)
	for _, name := range files {
		body, mode, err := readFile(name)
		if err != nil {
			return err
		}
		hdr := &tar.Header{
			Name:     dir + "/" + filepath.Base(name),
			Mode:     int64(mode),
			Size:     int64(len(body)),
			ModTime:  mtime,
			Typeflag: tar.TypeReg,
			Uname:    "root",
			Gname:    "root",
			Format:   tar.FormatPAX,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(body); err != nil {
			return err
		}
	}
	return nil
}

// writeZip writes files into a zip under the directory dir, dated mtime.
func writeZip(path, dir string, files []string, mtime time.Time) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer closeInto(f, &err)
	zw := zip.NewWriter(f)
	defer closeInto(zw, &err)
	for _, name := range files {
		body, mode, err := readFile(name)
		if err != nil {
			return err
		}
		hdr := &zip.FileHeader{Name: dir + "/" + filepath.Base(name), Method: zip.Deflate, Modified: mtime}
		hdr.SetMode(mode)
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if _, err := w.Write(body); err != nil {
			return err
		}
	}
	return nil
}

// readFile reads a file to archive, with the mode it is archived with:
// 0755 for binaries, 0644 for the rest, whatever the checkout says.
func readFile(name string) ([]byte, os.FileMode, error) {
	body, err := os.ReadFile(name)
	if err != nil {
		return nil, 0, err
	}
	base := filepath.Base(name)
	if base == "scimd" || base == "scimd.exe" {
		return body, 0o755, nil
	}
	return body, 0o644, nil
}

// closeInto closes c, keeping its error if none came before: a failed
// close of a writer means a truncated archive.
func closeInto(c io.Closer, err *error) {
	if cerr := c.Close(); *err == nil {
		*err = cerr
	}
}
