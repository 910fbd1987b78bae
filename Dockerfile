# syntax=docker/dockerfile:1
# scimd's container image: the static binary on an empty base, run as a
# non-root user, with its SQLite database on the volume /data.
#
#   docker build --build-arg VERSION=1.2.0 --build-arg COMMIT=$(git rev-parse HEAD) -t scimd:1.2.0 .
#   docker run -p 8080:8080 -v scimd:/data scimd:1.2.0
#
# "make image" builds the same image without a container engine
# (deploy/ociimage, which a test keeps in step with this file).

FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
# The context has no .git: the commit, for scimd version, is an argument.
ARG TARGETOS=linux TARGETARCH=amd64 VERSION=0.0.0-dev COMMIT=
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH
RUN go build -trimpath -buildvcs=false -ldflags "-s -w -X main.version=v$VERSION -X main.commit=$COMMIT" \
		-o /rootfs/usr/bin/scimd ./cmd/scimd \
	&& cd deploy && go build -trimpath -buildvcs=false -ldflags "-s -w" \
		-o /rootfs/usr/bin/healthcheck ./healthcheck
RUN mkdir -p /rootfs/etc/ssl/certs /rootfs/data /rootfs/tmp \
	&& cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
	&& printf 'root:x:0:0:root:/root:/sbin/nologin\nscimd:x:65532:65532:scimd:/data:/sbin/nologin\n' > /rootfs/etc/passwd \
	&& printf 'root:x:0:\nscimd:x:65532:\n' > /rootfs/etc/group \
	&& chown 65532:65532 /rootfs/data && chmod 0700 /rootfs/data \
	&& chmod 1777 /rootfs/tmp

FROM scratch
ARG VERSION=0.0.0-dev
COPY --from=build /rootfs/ /
COPY --from=build --chown=65532:65532 /rootfs/data /data
LABEL org.opencontainers.image.title=scimd \
	org.opencontainers.image.version=$VERSION \
	org.opencontainers.image.source=https://github.com/scimd/scimd \
	org.opencontainers.image.licenses=Apache-2.0
USER 65532:65532
ENV PATH=/usr/bin SCIMD_DB=sqlite:/data/scimd.db SCIMD_ADDR=0.0.0.0:8080
WORKDIR /data
VOLUME /data
EXPOSE 8080
# No shell or curl here: healthcheck is a static probe of its own.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
	CMD ["/usr/bin/healthcheck", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/bin/scimd"]
CMD ["serve"]
