#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Host tests of handshakectl without the kernel module.
#   test-cli.sh usage HANDSHAKECTL       bad arguments: usage, exit 2; --help: 0
#   test-cli.sh not-loaded HANDSHAKECTL  no family: the message, exit 1
#   test-cli.sh version HANDSHAKECTL VERSION
#                                        --version, -V: "handshakectl VERSION"
# Exit 0 pass, 1 fail, 77 skip (the module is loaded here).
set -u
what=$1 ctl=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

# expect CODE STDERR-PATTERN ARGS...: exit code and a line of stderr (grep -x).
expect() {
	code=$1 pattern=$2
	shift 2
	"$ctl" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne "$code" ] || ! grep -qx -- "$pattern" "$tmp/err"; then
		echo "FAIL: handshakectl $*: exit $rc (want $code), stderr:"
		sed 's/^/  /' "$tmp/err"
		fail=1
	else
		echo "ok: handshakectl $*: exit $rc"
	fi
}

case $what in
usage)
	expect 2 'handshakectl: no command given'
	expect 2 "handshakectl: unknown command 'frobnicate'" frobnicate
	expect 2 "handshakectl: unknown option '-x'" -x list
	expect 2 "handshakectl: unknown option '--nope'" --nope list
	expect 2 'handshakectl: show needs a COOKIE' show
	expect 2 "handshakectl: invalid cookie 'abc'" cancel abc
	expect 2 "handshakectl: invalid cookie '-1'" show -1
	expect 2 "handshakectl: invalid cookie '99999999999999999999'" show 99999999999999999999
	expect 2 "handshakectl: unexpected argument 'extra'" list extra
	expect 2 'Usage: handshakectl .*' stats 1
	# --help: usage on stdout, nothing on stderr, exit 0
	if "$ctl" --help >"$tmp/out" 2>"$tmp/err" && grep -q '^Usage: handshakectl' "$tmp/out" &&
	   [ ! -s "$tmp/err" ]; then
		echo "ok: handshakectl --help"
	else
		echo "FAIL: handshakectl --help"
		fail=1
	fi
	;;
not-loaded)
	"$ctl" stats >/dev/null 2>"$tmp/err"
	if [ $? -ne 1 ] || ! grep -qx 'handshakectl: the handshake module is not loaded' "$tmp/err"; then
		# Only a kernel that has the family excuses another answer.
		if [ -d /sys/module/handshake ] || grep -q 'handshake family speaks' "$tmp/err"; then
			echo "SKIP: this kernel has a handshake family"
			exit 77
		fi
	fi
	for cmd in list stats monitor 'show 1' 'cancel 1' '-j list' '-p stats'; do
		# shellcheck disable=SC2086 # cmd is split into arguments on purpose
		expect 1 'handshakectl: the handshake module is not loaded' $cmd
	done
	[ -s "$tmp/out" ] && { echo "FAIL: output on stdout"; fail=1; }
	;;
version)
	# VERSION is meson.project_version(): the one in project().
	want="handshakectl $3"
	for opt in --version -V '--version list' '-j -V'; do
		# shellcheck disable=SC2086 # opt is split into arguments on purpose
		"$ctl" $opt >"$tmp/out" 2>"$tmp/err"
		rc=$?
		if [ "$rc" -eq 0 ] && [ "$(cat "$tmp/out")" = "$want" ] &&
		   [ "$(wc -l <"$tmp/out")" -eq 1 ] && [ ! -s "$tmp/err" ]; then
			echo "ok: handshakectl $opt: $want"
		else
			echo "FAIL: handshakectl $opt: exit $rc; want exit 0, \"$want\" alone; got:"
			sed 's/^/  /' "$tmp/out" "$tmp/err"
			fail=1
		fi
	done
	# --help tells of it.
	if ! "$ctl" --help | grep -q -- '-V, --version'; then
		echo "FAIL: --help does not list -V, --version"
		fail=1
	fi
	;;
*)
	echo "unknown test $what"
	exit 1
	;;
esac
exit $fail
