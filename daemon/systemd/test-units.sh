#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# systemd-analyze verify on the units as meson installs them, and the
# service's exposure level (systemd-analyze security) at most 2.0.
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

# The same level tests/systemd/scenario checks on a running systemd.
out=$(cd "$dir" && systemd-analyze security --offline=yes --no-pager \
	./handshaked.service 2>&1)
score=$(printf '%s\n' "$out" |
	sed -n 's/.*Overall exposure level for handshaked\.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || { printf '%s\n' "$out"; echo "FAIL: no exposure level"; exit 1; }
if ! awk "BEGIN { exit !($score <= 2.0) }"; then
	printf '%s\n' "$out" | grep -E '✗'
	echo "FAIL: exposure level $score, want 2.0 or lower"
	exit 1
fi
echo "ok: exposure level $score"
