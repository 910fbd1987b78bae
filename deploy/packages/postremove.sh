#!/bin/sh
# After the files are removed. The database in /var/lib/scimd is kept, even
# on purge: it is the installation's data, removed by hand if need be.
set -e

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
