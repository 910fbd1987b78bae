# Release builds, packages and the container image, into dist/; and the
# checks of deploy/ that CI runs. The tools (nfpm, helm, go-containerregistry)
# live in deploy/go.mod, apart from scimd's own dependencies.
#
#   make release                 everything a release publishes, with SHA256SUMS
#   make release VERSION=1.2.0   the same, stamped 1.2.0 (default: from git describe)
#   make binaries | packages | image
#   make check-deploy            vet and test deploy/: the image, the chart, the tools

# The version: the newest tag v1.2.3 without its v, else 0.0.0-dev+COMMIT.
VERSION ?= $(shell git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null | sed 's/^v//')
ifeq ($(VERSION),)
VERSION := 0.0.0-dev+$(shell git rev-parse --short=12 HEAD)
endif
# The time stamped into archives, packages and the image: the commit's.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct)
export SOURCE_DATE_EPOCH

DIST := $(CURDIR)/dist
LINUX_ARCHES := amd64 arm64

# Static, reproducible builds of deploy/'s programs for the image.
GOBUILD := CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w"

.PHONY: release binaries packages image checksums check-deploy clean

release: binaries packages image checksums

binaries:
	rm -rf $(DIST) && mkdir -p $(DIST)
	cd deploy && go run ./release -src .. -out $(DIST) -version $(VERSION)

packages:
	for arch in $(LINUX_ARCHES); do \
		for format in deb rpm; do \
			(cd deploy && VERSION=$(VERSION) ARCH=$$arch BINARY=$(DIST)/linux_$$arch/scimd \
				go tool nfpm package --config packages/nfpm.yaml --packager $$format --target $(DIST)/) || exit 1; \
		done; \
	done

image:
	for arch in $(LINUX_ARCHES); do \
		(cd deploy && GOOS=linux GOARCH=$$arch $(GOBUILD) -o $(DIST)/linux_$$arch/healthcheck ./healthcheck) || exit 1; \
	done
	cd deploy && go run ./ociimage -version $(VERSION) \
		$(foreach arch,$(LINUX_ARCHES),-platform linux/$(arch)=$(DIST)/linux_$(arch)) \
		-oci $(DIST)/oci -tarball $(DIST)/scimd_$(VERSION)_image_linux_amd64.tar

checksums:
	cd $(DIST) && sha256sum *.tar.gz *.zip *.deb *.rpm *_image_*.tar > SHA256SUMS
	cat $(DIST)/SHA256SUMS

check-deploy:
	cd deploy && go vet ./... && go tool staticcheck ./... && go test ./...

clean:
	rm -rf $(DIST)
