#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# systemd-analyze verify on the units as meson installs them.
# Usage: test-units.sh SERVICE SOCKET INSTALLED-HANDSHAKED BUILT-HANDSHAKED
# verify wants ExecStart='s binary to exist; the installed path does not
# (yet) on a build machine, so the check is in two parts: the service names
# exactly the installed path, and a copy naming the built binary instead
# (nothing else changed) passes verify.
set -u
service=$1 socket=$2 installed=$3 built=$4
command -v systemd-analyze > /dev/null || { echo "no systemd-analyze"; exit 77; }

exec_start=$(sed -n 's/^ExecStart=//p' "$service")
[ "$exec_start" = "$installed" ] ||
	{ echo "FAIL: ExecStart=$exec_start, want $installed"; exit 1; }

dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
sed "s|^ExecStart=.*|ExecStart=$built|" "$service" > "$dir/handshaked.service"
cp "$socket" "$dir/handshaked.socket"
# Documentation=man: pages are checked by the man page test, not here.
out=$(cd "$dir" && systemd-analyze verify --man=no \
	./handshaked.socket ./handshaked.service 2>&1)
rc=$?
printf '%s\n' "$out"
[ $rc -eq 0 ] || { echo "FAIL: systemd-analyze verify exited $rc"; exit 1; }
# verify exits 0 on some warnings; ours must have none about our units.
if printf '%s\n' "$out" | grep -q 'handshaked\.'; then
	echo "FAIL: systemd-analyze verify complained"
	exit 1
fi
echo "ok: units verified (ExecStart=$installed)"
