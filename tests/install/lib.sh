# SPDX-License-Identifier: GPL-2.0
# Shared by the install tests: fail/skip helpers, a scratch directory.

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit 77
}

# The release of the kernel tree KDIR, as its modules' vermagic names it.
kernel_release() {
	sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$1/include/generated/utsrelease.h"
}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/handshake-install.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# run LOG CMD...: run CMD with its output in LOG, shown if it fails.
run() {
	log=$1
	shift
	rc=0
	"$@" > "$log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		tail -n 40 "$log" >&2
		fail "$* (exit $rc)"
	fi
}
