#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# test-options.sh HANDSHAKED VERSION: the command line without a kernel:
# --version/-V, --help/-h, a missing --config/-c file, unknown options.
# None of these gets as far as the configuration's credentials or netlink.
set -u
agent=$1 version=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

bad() {
	echo "FAIL: $*"
	for f in out err; do
		[ -s "$tmp/$f" ] && { echo "  std$f:"; sed 's/^/    /' "$tmp/$f"; }
	done
	fail=1
}

# run ARGS...: exit status in $rc, output in $tmp/out and $tmp/err.
run() {
	"$agent" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

for opt in --version -V; do
	run "$opt"
	if [ "$rc" -eq 0 ] && [ "$(cat "$tmp/out")" = "handshaked $version" ] &&
	   [ ! -s "$tmp/err" ]; then
		echo "ok: handshaked $opt: handshaked $version"
	else
		bad "handshaked $opt: exit $rc, want \"handshaked $version\" on stdout and exit 0"
	fi
done

for opt in --help -h; do
	run "$opt"
	if [ "$rc" -eq 0 ] && grep -q '^Usage: handshaked ' "$tmp/out" &&
	   grep -q -- '--config FILE' "$tmp/out" && grep -q -- '--verbose' "$tmp/out" &&
	   grep -q -- '--version' "$tmp/out" && [ ! -s "$tmp/err" ]; then
		echo "ok: handshaked $opt"
	else
		bad "handshaked $opt: exit $rc, want the usage (with the long options) on stdout and exit 0"
	fi
done

# A configuration file named on the command line must exist; each spelling
# says so the same way.
missing=$tmp/nonexistent.conf
for args in "-c $missing" "--config $missing" "--config=$missing"; do
	# shellcheck disable=SC2086 # args is a word list without blanks
	run $args
	if [ "$rc" -eq 1 ] && [ ! -s "$tmp/out" ] &&
	   [ "$(cat "$tmp/err")" = "$missing: No such file or directory" ]; then
		echo "ok: handshaked $args: exit 1, $(cat "$tmp/err")"
	else
		bad "handshaked $args: exit $rc, want exit 1 and \"$missing: No such file or directory\""
	fi
done

# Unknown options and stray arguments: the usage on stderr, exit 1.
for args in --nope -x "--version=1" extra; do
	run "$args"
	if [ "$rc" -eq 1 ] && [ ! -s "$tmp/out" ] && grep -q '^Usage: handshaked ' "$tmp/err"; then
		echo "ok: handshaked $args: exit 1, usage on stderr"
	else
		bad "handshaked $args: exit $rc, want exit 1 and the usage on stderr"
	fi
done

exit $fail
