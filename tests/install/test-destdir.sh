#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# test-destdir.sh SRCDIR VERSION KDIR: configure with a non-default prefix,
# meson install into a DESTDIR, and check that every file lands where it
# should (and nothing else is installed), that the installed agent looks
# for its configuration under the configured sysconfdir, and, with KDIR
# (modules built), that the modules land in /lib/modules/<their release>/extra.
set -eu
if [ $# -ne 3 ]; then
	echo "usage: test-destdir.sh SRCDIR VERSION KDIR" >&2
	exit 2
fi
src=$1 version=$2 kdir=$3
# shellcheck source=tests/install/lib.sh
. "$(dirname "$0")/lib.sh"

prefix=/opt/handshake-test
dest=$scratch/root
opts="-Ddkms=true"
if [ -n "$kdir" ]; then
	opts="$opts -Dinstall_modules=true -Dkdir=$kdir"
else
	opts="$opts -Dmodules=false"
fi
# shellcheck disable=SC2086 # opts is a word list
run "$scratch/setup.log" meson setup "$scratch/build" "$src" --prefix="$prefix" $opts
run "$scratch/compile.log" meson compile -C "$scratch/build"
run "$scratch/install.log" meson install -C "$scratch/build" --no-rebuild --destdir "$dest"

unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || :)
unitdir=${unitdir:-/lib/systemd/system}
udevdir=$(pkg-config --variable=udevdir udev 2>/dev/null || :)
udevdir=${udevdir:-/lib/udev}
dkms=/usr/src/handshake-$version
if [ -n "$kdir" ]; then
	kver=$(kernel_release "$kdir")
	[ -n "$kver" ] || fail "no UTS_RELEASE in $kdir/include/generated/utsrelease.h"
fi

{
	echo "$prefix/sbin/handshaked"
	echo "$prefix/sbin/handshakectl"
	echo "$prefix/share/man/man8/handshaked.8"
	echo "$prefix/share/man/man5/handshaked.conf.5"
	echo "$prefix/share/man/man8/handshakectl.8"
	echo "$prefix/share/doc/handshake/examples/handshaked.conf.example"
	echo "$prefix/include/linux/handshake.h"
	echo "$unitdir/handshaked.service"
	echo "$unitdir/handshaked.socket"
	echo "$udevdir/rules.d/60-handshaked.rules"
	echo "$dkms/dkms.conf"
	echo "$dkms/Kbuild"
	echo "$dkms/include/net/handshake.h"
	echo "$dkms/include/net/tls_prot.h"
	for f in alert.c handshake.h ktls.c main.c netlink.c request.c tls.c \
		trace.c trace.h demo/async.c demo/batch.c demo/client.c \
		demo/common.c demo/demo.h demo/echo.c demo/main.c demo/parse.c; do
		echo "$dkms/net/handshake/$f"
	done
	echo "$dkms/net/handshake/mainline/main.c"
	echo "$dkms/uapi/linux/handshake.h"
	if [ -n "$kdir" ]; then
		echo "/lib/modules/$kver/extra/handshake.ko"
		echo "/lib/modules/$kver/extra/handshake_demo.ko"
	fi
} | sort > "$scratch/expected"
(cd "$dest" && find . ! -type d | sed 's|^\.||' | sort) > "$scratch/installed"
if ! diff -u "$scratch/expected" "$scratch/installed" >&2; then
	fail "installed files (+) differ from the expected ones (-)"
fi

# The files are the right ones.
for f in handshaked handshakectl; do
	[ -x "$dest$prefix/sbin/$f" ] || fail "$prefix/sbin/$f is not executable"
done
cmp "$src/uapi/linux/handshake.h" "$dest$prefix/include/linux/handshake.h" ||
	fail "installed uapi header differs from uapi/linux/handshake.h"
cmp "$src/daemon/handshaked/handshaked.conf.example" \
	"$dest$prefix/share/doc/handshake/examples/handshaked.conf.example" ||
	fail "installed example configuration differs from the source"
cmp "$src/dkms.conf" "$dest$dkms/dkms.conf" || fail "installed dkms.conf differs"
grep -qx "PACKAGE_VERSION=\"$version\"" "$dest$dkms/dkms.conf" ||
	fail "dkms.conf's PACKAGE_VERSION is not the project version $version"

# The configuration path follows --sysconfdir (prefix/etc here), in the
# agent and in its man pages.
conf=$prefix/etc/handshaked/handshaked.conf
"$dest$prefix/sbin/handshaked" -h | grep -qF "(default $conf)" ||
	fail "handshaked -h does not name $conf as its default configuration"
for page in man8/handshaked.8 man5/handshaked.conf.5; do
	grep -qF "$conf" "$dest$prefix/share/man/$page" || fail "$page does not name $conf"
	if sed "s|$prefix/etc/handshaked||g" "$dest$prefix/share/man/$page" |
		grep -n /etc/handshaked >&2; then
		fail "$page still names /etc/handshaked"
	fi
done
grep -qx "ExecStart=$prefix/sbin/handshaked" "$dest$unitdir/handshaked.service" ||
	fail "handshaked.service does not start $prefix/sbin/handshaked"

if [ -n "$kdir" ]; then
	for m in handshake handshake_demo; do
		ko=$dest/lib/modules/$kver/extra/$m.ko
		[ "$(modinfo -F name "$ko")" = "$m" ] || fail "$ko: modinfo name is not $m"
		vermagic=$(modinfo -F vermagic "$ko")
		[ "${vermagic%% *}" = "$kver" ] || fail "$ko: vermagic '$vermagic' is not for $kver"
	done
fi
echo "ok: $(wc -l < "$scratch/expected") files under $prefix and the system directories"
