#!/bin/sh
# Before the files are unpacked: the scimd system user and group, which run
# the service and own /etc/scimd/scimd.env's group. Made here rather than
# after unpacking so that the package's files can belong to them. Both are
# kept on removal, as files they own may outlive the package.
set -e

if ! getent group scimd >/dev/null; then
	groupadd --system scimd
fi
if ! getent passwd scimd >/dev/null; then
	useradd --system --gid scimd --home-dir /var/lib/scimd --no-create-home \
		--shell /usr/sbin/nologin --comment "scimd SCIM server" scimd
fi
