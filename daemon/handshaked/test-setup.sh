#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# test-setup.sh SRCDIR MESON GNUTLS_NEED GLIBC_NEED: meson setup of the
# project refuses a system older than the code needs, naming what and
# which version, before anything is compiled:
#   - a gnutls.pc claiming GnuTLS 3.0.0, first in PKG_CONFIG_PATH;
#   - a <features.h> in front of glibc's claiming glibc 2.30.
# NEED are the requirements as meson.build states them (">= X").
# -Dmodules=false: no kernel tree needed, the failure comes first anyway.
set -u
src=$1 meson=$2 gnutls_need=$3 glibc_need=$4
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

# setup NAME WANT [VAR=VALUE...]: meson setup with the environment given
# must fail with the line WANT (fixed string) in its output.
setup() {
	name=$1 want=$2
	shift 2
	env "$@" "$meson" setup "$tmp/build-$name" "$src" -Dmodules=false \
		>"$tmp/$name.log" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] && grep -qF -- "$want" "$tmp/$name.log"; then
		echo "ok: $name: meson setup fails with: $want"
	else
		echo "FAIL: $name: meson setup exit $rc, want failure with \"$want\"; output:"
		sed 's/^/  /' "$tmp/$name.log"
		fail=1
	fi
}

mkdir "$tmp/pc" "$tmp/include"
cat >"$tmp/pc/gnutls.pc" <<EOF
Name: GnuTLS
Description: a GnuTLS too old for handshaked
Version: 3.0.0
Libs: -lgnutls
Cflags:
EOF
setup gnutls "Dependency gnutls found: NO found 3.0.0 but need: '$gnutls_need'" \
	PKG_CONFIG_PATH="$tmp/pc${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"

cat >"$tmp/include/features.h" <<EOF
#include_next <features.h>
#undef __GLIBC_MINOR__
#define __GLIBC_MINOR__ 30
EOF
setup glibc "glibc found: NO found 2.30 but need: '$glibc_need'" \
	CFLAGS="-I$tmp/include${CFLAGS:+ $CFLAGS}"

exit $fail
