#!/bin/sh
# Before the files are removed: stop and disable the service when the package
# goes away (Debian: "remove"; RPM: 0), not when it is upgraded.
set -e

case "$1" in
remove | 0)
	if [ -d /run/systemd/system ]; then
		systemctl disable --now scimd.service >/dev/null 2>&1 || true
	fi
	;;
esac
