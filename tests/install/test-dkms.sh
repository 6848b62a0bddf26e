#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# test-dkms.sh SRCDIR VERSION KDIR: install the module sources as meson
# install -Ddkms=true does (into a staging root), then dkms add, build and
# install them for KDIR's kernel with private dkms, source and install trees,
# and check what modprobe would find: both modules, for that kernel, under
# updates/dkms. Needs root and Debian's dkms; the host's /lib/modules and
# /var/lib/dkms are left alone (dkms keeps its module signing key in
# /var/lib/dkms: a private mount namespace puts a scratch directory there).
set -eu
if [ $# -ne 3 ]; then
	echo "usage: test-dkms.sh SRCDIR VERSION KDIR" >&2
	exit 2
fi
src=$1 version=$2 kdir=$3
# shellcheck source=tests/install/lib.sh
. "$(dirname "$0")/lib.sh"

[ -n "$kdir" ] || skip "modules are not built (-Dmodules=false)"
[ "$(id -u)" -eq 0 ] || skip "dkms needs root"
command -v dkms > /dev/null || skip "no dkms (apt-get install dkms, or tools/setup)"
kver=$(kernel_release "$kdir")
[ -n "$kver" ] || fail "no UTS_RELEASE in $kdir/include/generated/utsrelease.h"

root=$scratch/root
run "$scratch/setup.log" meson setup "$scratch/build" "$src" -Dmodules=false -Ddkms=true
run "$scratch/install.log" meson install -C "$scratch/build" --no-rebuild --tags dkms --destdir "$root"
srcdir=$root/usr/src/handshake-$version
[ -f "$srcdir/dkms.conf" ] || fail "meson install -Ddkms=true did not install $srcdir/dkms.conf"
# dkms takes -v's word for it; the directory name must match too.
grep -qx "PACKAGE_VERSION=\"$version\"" "$srcdir/dkms.conf" ||
	fail "dkms.conf's PACKAGE_VERSION is not the project version $version"

mkdir -p "$scratch/dkms" "$scratch/var-lib-dkms" "$root/lib/modules/$kver"
# dkms TREES ACTION...: dkms with the private trees.
cat > "$scratch/dkms.sh" <<EOS
set -eu
if [ -d /var/lib/dkms ]; then
	mount --bind "$scratch/var-lib-dkms" /var/lib/dkms
fi
for action in add build install; do
	echo "== dkms \$action"
	dkms "\$action" -m handshake -v "$version" -k "$kver" --kernelsourcedir "$kdir" \
		--dkmstree "$scratch/dkms" --sourcetree "$root/usr/src" \
		--installtree "$root/lib/modules" --no-depmod
done
echo "== dkms status"
dkms status --dkmstree "$scratch/dkms" --sourcetree "$root/usr/src" \
	--installtree "$root/lib/modules"
EOS
unshare -m true 2> /dev/null || skip "cannot make a private mount namespace (unshare -m)"
rc=0
unshare -m sh "$scratch/dkms.sh" > "$scratch/dkms.log" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
	cat "$scratch/dkms.log" >&2
	make_log=$scratch/dkms/handshake/$version/build/make.log
	if [ -f "$make_log" ]; then
		tail -n 40 "$make_log" >&2
	fi
	fail "dkms failed (exit $rc)"
fi
grep -q "^handshake/$version, $kver, [^:]*: installed" "$scratch/dkms.log" || {
	cat "$scratch/dkms.log" >&2
	fail "dkms status does not show handshake/$version installed for $kver"
}

# What modprobe would load for that kernel.
depmod -b "$root" "$kver" 2> "$scratch/depmod.log" || {
	cat "$scratch/depmod.log" >&2
	fail "depmod -b $root $kver"
}
for m in handshake handshake_demo; do
	ko=$root/lib/modules/$kver/updates/dkms/$m.ko
	[ -f "$ko" ] || fail "dkms install did not put $m.ko in updates/dkms: $(find "$root/lib/modules" -name '*.ko*')"
	found=$(modinfo -b "$root" -k "$kver" -F filename "$m") || fail "modinfo -k $kver $m: not found after depmod"
	[ "$found" = "$ko" ] || fail "modinfo -k $kver $m finds $found, not $ko"
	[ "$(modinfo -F name "$ko")" = "$m" ] || fail "$ko: modinfo name is not $m"
	vermagic=$(modinfo -F vermagic "$ko")
	[ "${vermagic%% *}" = "$kver" ] || fail "$ko: vermagic '$vermagic' is not for $kver"
done
modinfo -F depends "$root/lib/modules/$kver/updates/dkms/handshake_demo.ko" |
	tr ',' '\n' | grep -qx handshake || fail "handshake_demo.ko does not depend on handshake"
echo "ok: dkms built and installed handshake/$version for $kver"
