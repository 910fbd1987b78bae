#!/bin/sh
# After the files are unpacked, on install and upgrade alike (Debian:
# "configure"; RPM: 1 or 2). The service is not started on install: its first
# start prints the first tokens, so the settings come first. An upgrade
# restarts it if it runs.
set -e

# The state directory, so that the CLI can be used before the first start
# (systemd makes it too, with StateDirectory=).
install -d -o scimd -g scimd -m 0700 /var/lib/scimd

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
	systemctl try-restart scimd.service >/dev/null 2>&1 || true
fi

# A first install: Debian gives "configure" and no earlier version, RPM 1.
case "$1:${2:-}" in
configure: | 1:)
	cat <<'MSG'
scimd is installed. Review /etc/scimd/scimd.env, then start it:
  systemctl enable --now scimd
MSG
	;;
esac
