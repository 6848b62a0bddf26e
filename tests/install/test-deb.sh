#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# test-deb.sh SRCDIR VERSION: build the Debian packages (debian/) from a copy
# of the source tree with dpkg-buildpackage -us -uc -b, in a scratch
# directory (SRCDIR/tools/build-debs; the .debs land there, not beside
# SRCDIR), and check them: the version is the project's, each package holds
# exactly the files it should (the dkms source tree is the module sources,
# uapi/ and dkms.conf), the maintainer scripts enable and start the agent's
# socket and hand the sources to dkms, and lintian reports no error and no
# warning (overrides in debian/ count).
set -eu
if [ $# -ne 2 ]; then
	echo "usage: test-deb.sh SRCDIR VERSION" >&2
	exit 2
fi
src=$1 version=$2
# shellcheck source=tests/install/lib.sh
. "$(dirname "$0")/lib.sh"

command -v dpkg-buildpackage > /dev/null || skip "no dpkg-buildpackage (apt-get install dpkg-dev, or tools/setup)"
command -v dh > /dev/null || skip "no debhelper (apt-get install debhelper, or tools/setup)"
command -v dh_dkms > /dev/null || skip "no dh_dkms (apt-get install dh-dkms, or tools/setup)"
command -v lintian > /dev/null || skip "no lintian (apt-get install lintian, or tools/setup)"

# The build is tools/build-debs's (tools/run-tests builds the packages it
# installs in a VM the same way), with the source package: a binary-only
# build's .changes has none, and lintian checks debian/control, copyright
# and rules only there.
deb_version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
[ "$deb_version" = "$version" ] ||
	fail "debian/changelog's version $deb_version is not the project version $version"
start=$(date +%s)
"$src/tools/build-debs" --source "$scratch" || fail "tools/build-debs --source failed"
echo "dpkg-buildpackage: $(($(date +%s) - start)) s"
dsc=$scratch/handshake_$version.dsc
[ -f "$dsc" ] || fail "dpkg-source -b made no $(basename "$dsc")"

arch=$(dpkg-architecture -q DEB_HOST_ARCH)
dkms_deb=$scratch/handshake-dkms_${version}_all.deb
agent_deb=$scratch/handshaked_${version}_$arch.deb
changes=$scratch/handshake_${version}_$arch.changes
for f in "$dkms_deb" "$agent_deb" "$changes"; do
	[ -f "$f" ] || fail "dpkg-buildpackage made no $(basename "$f"): $(ls "$scratch")"
done

# contents DEB: the package's files (not directories), one a line, sorted.
contents() {
	dpkg-deb -c "$1" | awk '$6 !~ /\/$/ { print substr($6, 2) }' | sort
}

# check_contents DEB EXPECTED-FILE
check_contents() {
	contents "$1" > "$scratch/contents"
	if ! diff -u "$2" "$scratch/contents" >&2; then
		fail "$(basename "$1"): files (+) differ from the expected ones (-)"
	fi
}

dkms=/usr/src/handshake-$version
{
	echo /usr/share/doc/handshake-dkms/changelog.gz
	echo /usr/share/doc/handshake-dkms/copyright
	echo "$dkms/dkms.conf"
	echo "$dkms/uapi/linux/handshake.h"
	# What Kbuild compiles: kernel/ but for meson's and the tests' files.
	(cd "$src/kernel" && find Kbuild include net -type f) | sed "s|^|$dkms/|"
} | sort > "$scratch/expected-dkms"
check_contents "$dkms_deb" "$scratch/expected-dkms"

sort > "$scratch/expected-agent" <<EOF
/usr/sbin/handshaked
/usr/sbin/handshakectl
/lib/systemd/system/handshaked.service
/lib/systemd/system/handshaked.socket
/lib/udev/rules.d/60-handshaked.rules
/usr/share/man/man5/handshaked.conf.5.gz
/usr/share/man/man8/handshaked.8.gz
/usr/share/man/man8/handshakectl.8.gz
/usr/share/doc/handshaked/changelog.gz
/usr/share/doc/handshaked/copyright
/usr/share/doc/handshaked/examples/handshaked.conf.example
/usr/share/lintian/overrides/handshaked
EOF
check_contents "$agent_deb" "$scratch/expected-agent"

# The files are the right ones.
dpkg-deb -x "$dkms_deb" "$scratch/dkms-root"
dpkg-deb -x "$agent_deb" "$scratch/agent-root"
cmp "$src/dkms.conf" "$scratch/dkms-root$dkms/dkms.conf" || fail "packaged dkms.conf differs from dkms.conf"
grep -qx "PACKAGE_VERSION=\"$version\"" "$scratch/dkms-root$dkms/dkms.conf" ||
	fail "dkms.conf's PACKAGE_VERSION is not the package version $version"
cmp "$src/uapi/linux/handshake.h" "$scratch/dkms-root$dkms/uapi/linux/handshake.h" ||
	fail "packaged uapi header differs from uapi/linux/handshake.h"
for f in handshaked handshakectl; do
	[ -x "$scratch/agent-root/usr/sbin/$f" ] || fail "/usr/sbin/$f is not executable"
done
grep -qx "ExecStart=/usr/sbin/handshaked" "$scratch/agent-root/lib/systemd/system/handshaked.service" ||
	fail "handshaked.service does not start /usr/sbin/handshaked"
"$scratch/agent-root/usr/sbin/handshaked" -h | grep -qF "(default /etc/handshaked/handshaked.conf)" ||
	fail "the packaged handshaked does not read /etc/handshaked/handshaked.conf"

# field DEB FIELD: a control field of DEB.
field() {
	dpkg-deb -f "$1" "$2"
}
field "$dkms_deb" Depends | grep -q '\bdkms\b' || fail "handshake-dkms does not depend on dkms"

# The maintainer scripts: dkms adds, builds and installs the sources on
# configure and removes them before removal; the socket is enabled and
# started on install and stopped on removal.
dpkg-deb -e "$dkms_deb" "$scratch/dkms-control"
dpkg-deb -e "$agent_deb" "$scratch/agent-control"
# has SCRIPT LINE WHAT: SCRIPT has LINE (a fixed string), else fail WHAT.
has() {
	[ -f "$1" ] || fail "no $(basename "$(dirname "$1")")/$(basename "$1"): $3"
	grep -qF -- "$2" "$1" || fail "$(basename "$1") of $(basename "$(dirname "$1")"): $3"
}
has "$scratch/dkms-control/postinst" "DKMS_NAME=handshake" "postinst does not hand the sources to dkms"
has "$scratch/dkms-control/postinst" "DKMS_VERSION=$version" "postinst names another version than $version"
has "$scratch/dkms-control/postinst" "/usr/lib/dkms/common.postinst" "postinst does not run dkms's common.postinst"
has "$scratch/dkms-control/prerm" "dkms remove -m \$DKMS_NAME -v \$DKMS_VERSION --all" "prerm does not dkms remove"
has "$scratch/agent-control/postinst" "deb-systemd-helper enable 'handshaked.socket'" "postinst does not enable handshaked.socket"
has "$scratch/agent-control/postinst" "deb-systemd-invoke \$_dh_action 'handshaked.socket'" "postinst does not start handshaked.socket"
has "$scratch/agent-control/prerm" "deb-systemd-invoke stop 'handshaked.socket'" "prerm does not stop handshaked.socket"
has "$scratch/agent-control/postrm" "deb-systemd-helper purge 'handshaked.service'" "postrm does not purge handshaked.service's state"

# lintian on the source and what was built: no error, no warning.
rc=0
lintian -I --show-overrides "$dsc" "$changes" > "$scratch/lintian.log" 2>&1 || rc=$?
cat "$scratch/lintian.log"
if grep -q '^[EW]: ' "$scratch/lintian.log"; then
	fail "lintian reports errors or warnings"
fi
[ "$rc" -eq 0 ] || fail "lintian exited $rc"
echo "ok: handshake-dkms and handshaked $version built, their files and scripts as expected, lintian clean"
