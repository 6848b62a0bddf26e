# SPDX-License-Identifier: GPL-2.0
# Shared by the lint tests (tests/lint/*): pass/fail/skip helpers, the
# kernel's own check scripts from Debian's 6.1 packages, a fresh Kbuild copy
# of the module sources, and Debian's 6.1 header packages fetched into a
# cache in the build directory.
#
# Every test is run as  TEST SRCROOT WORKDIR [ARGS...]  (tests/lint/meson.build)
# with WORKDIR the build directory's tests/lint. Exit 0 passes, 1 fails, 77
# skips (meson's convention); a skip always says why.

set -u
src=$1 work=$2
shift 2
mkdir -p "$work/cache"
# Absolute: apt takes a relative directory as relative to its own root.
src=$(cd "$src" && pwd) work=$(cd "$work" && pwd)
cache="$work/cache"

# Both print to stderr: they are also called inside $(...).
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*" >&2
	exit 77
}

need() {
	command -v "$1" > /dev/null || skip "$1 is not installed (tools/setup installs ${2:-$1})"
}

# The kernel and header files the lint tests look at: every C source and
# header under kernel/, and the uAPI header, relative to SRCROOT.
lint_sources() {
	(cd "$src" && find kernel -type f \( -name '*.c' -o -name '*.h' \) | LC_ALL=C sort &&
		echo uapi/linux/handshake.h)
}

# lint_locked NAME CMD...: run CMD holding the lock NAME in the cache, so
# tests that run in parallel do not fill the same cache entry at once.
lint_locked() {
	local lock="$cache/$1.lock"
	shift
	(flock 9 && "$@") 9> "$lock"
}

# lint_source_scripts: a directory holding checkpatch.pl, spelling.txt,
# const_structs.checkpatch and kernel-doc from Debian's linux-source-6.1.
# Debian's linux-headers-*-common and linux-kbuild-6.1 have kernel-doc but
# not checkpatch, so these files are unpacked from the source tarball
# (/usr/src/linux-source-6.1.tar.xz, 10-20 s) once per package version into
# the cache. Skips if the package is not installed.
lint_source_scripts() {
	local tarball=/usr/src/linux-source-6.1.tar.xz ver dir
	[ -f "$tarball" ] || skip "$tarball is missing (tools/setup installs linux-source-6.1)"
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null)
	[ -n "$ver" ] || ver=$(stat -c %s-%Y "$tarball")
	dir="$cache/linux-source-6.1_$ver/scripts"
	lint_locked source-scripts _lint_unpack_scripts "$tarball" "$dir" >&2 ||
		fail "could not unpack the check scripts from $tarball"
	echo "$dir"
}

_lint_unpack_scripts() {
	local tarball=$1 dir=$2 tmp
	[ -f "$dir/.done" ] && [ -f "$dir/kernel-doc" ] && return 0
	tmp=$(mktemp -d "$cache/unpack.XXXXXX")
	tar -xJf "$tarball" -C "$tmp" --occurrence=1 --strip-components=1 \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch \
		linux-source-6.1/scripts/kernel-doc || { rm -rf "$tmp"; return 1; }
	rm -rf "$dir"
	mkdir -p "$(dirname "$dir")"
	mv "$tmp/scripts" "$dir" && rm -rf "$tmp" && touch "$dir/.done"
}

# lint_kernel_doc: the kernel-doc script of Debian's newest installed 6.1
# headers (linux-headers-6.1.0-N-common/scripts is linux-kbuild-6.1's),
# else the one in linux-source-6.1.
lint_kernel_doc() {
	local f
	f=$(ls -d /usr/src/linux-headers-6.1.*-common/scripts/kernel-doc 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$f" ] && [ -f /usr/lib/linux-kbuild-6.1/scripts/kernel-doc ]; then
		f=/usr/lib/linux-kbuild-6.1/scripts/kernel-doc
	fi
	if [ -z "$f" ]; then
		f="$(lint_source_scripts)/kernel-doc" || exit $?
	fi
	echo "$f"
}

# lint_kdir [KDIR]: KDIR if given (meson's -Dkdir), else the newest
# installed Debian 6.1 build tree, /lib/modules/6.1.*/build.
lint_kdir() {
	local k=${1:-}
	[ -n "$k" ] || k=$(ls -d /lib/modules/6.1.*/build 2>/dev/null | sort -V | tail -n 1)
	[ -n "$k" ] && [ -f "$k/Makefile" ] ||
		skip "no Linux 6.1 build tree in /lib/modules/6.1.*/build (tools/setup installs linux-headers-amd64)"
	echo "$k"
}

# lint_mirror DIR: a fresh Kbuild directory laid out as kernel/build-modules
# lays out build/kernel/kbuild (kernel/ with uapi/ inside).
lint_mirror() {
	rm -rf "$1"
	mkdir -p "$1/uapi"
	cp -a "$src/kernel/." "$1/"
	cp -a "$src/uapi/." "$1/uapi/"
}

# lint_build KDIR DIR LOG [MAKE-ARGS...]: build the modules from a fresh copy
# of the sources in DIR against KDIR, with W=1 and the Kbuild file's -Werror
# as the normal build does, but with make -k so that every object is tried
# and every diagnostic is listed. Its output goes to LOG; returns make's
# status.
lint_build() {
	local kdir=$1 dir=$2 log=$3
	shift 3
	lint_mirror "$dir"
	# No vmlinux in a headers package: no BTF (as kernel/build-modules).
	make -k -C "$kdir" M="$dir" W=1 CONFIG_DEBUG_INFO_BTF_MODULES= "$@" modules \
		> "$log" 2>&1
}

# lint_findings LOG: the compiler's, sparse's and modpost's diagnostics in a
# build log (with -Werror a warning reads "error: ... [-Werror=...]").
lint_findings() {
	grep -E ': (warning|error): |^(WARNING|ERROR): ' "$1"
}

# lint_report NAME DIR LOG STATUS: the verdict on a build in DIR: passes
# only if make succeeded and printed no diagnostic; else lists the findings
# after the whole log (their context), last so that meson's shortened
# error log keeps them, with the sources' paths as in the repository.
lint_report() {
	local name=$1 dir=$2 log=$3 rc=$4 findings n
	findings=$(lint_findings "$log" | sed -e "s|$dir/uapi/|uapi/|g" -e "s|$dir/|kernel/|g" |
		LC_ALL=C sort -u)
	n=$(printf '%s' "$findings" | grep -c .)
	if [ "$rc" -eq 0 ] && [ "$n" -eq 0 ]; then
		echo "$name: 0 warnings"
		exit 0
	fi
	echo "--- build output ($log) ---"
	cat "$log"
	echo "--- $name: $n finding(s), make exit $rc ---"
	[ "$n" -eq 0 ] || printf '%s\n' "$findings"
	fail "$name: $n finding(s), make exit $rc"
}

# Debian's 6.1 header packages, without installing them: a private apt
# state per architecture in the cache (its own package lists, the system's
# sources, an empty dpkg status) so that neither the system's apt nor dpkg
# is changed. That is also what makes the i386 headers reachable on this
# amd64 machine with no `dpkg --add-architecture i386`: apt is told that
# i386 is its native architecture for this state only. The package lists
# are refreshed at most once a day.
_lint_apt_opts() {
	local st="$cache/apt-$1"
	mkdir -p "$st/lists/partial" "$st/archives/partial"
	[ -f "$st/status" ] || : > "$st/status"
	echo "-o Dir::State=$st -o Dir::State::Lists=$st/lists -o Dir::State::status=$st/status"
	echo "-o Dir::Cache=$st -o Dir::Cache::archives=$st/archives"
	echo "-o APT::Architecture=$1 -o APT::Architectures::=$1"
	[ "$(id -u)" -ne 0 ] || echo "-o APT::Sandbox::User=root"
}

_lint_apt_update() {
	local arch=$1 st="$cache/apt-$1" opts
	opts=$(_lint_apt_opts "$arch")
	if [ -n "$(find "$st/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null)" ]; then
		return 0
	fi
	# shellcheck disable=SC2086
	apt-get -q -q $opts update > "$st/update.log" 2>&1 ||
		echo "note: apt-get update ($arch) reported errors; the lists it could fetch are used:" >&2
	grep -E '^(E|W):' "$st/update.log" | head -n 3 >&2
	[ -n "$(find "$st/lists" -maxdepth 1 -name '*_Packages*' 2>/dev/null)" ]
}

# lint_headers ARCH FLAVOUR oldest|newest: the build tree of the oldest or
# the newest linux-headers-6.1.0-N-FLAVOUR package of architecture ARCH that
# Debian's archive offers, unpacked with its -common package into the cache
# (once per package version), or the installed tree if that very package
# and version is installed. The unpacked tree is made to work where it
# lies: its Makefile includes the unpacked -common's Makefile (Debian's
# names /usr/src/... absolutely), and its scripts/ and tools/ links
# (../../lib/linux-kbuild-6.1/...) reach the installed linux-kbuild-6.1,
# whose helpers (fixdep, modpost) are host programs and serve any target
# architecture; Debian's packages ask only for linux-kbuild-6.1 >= their
# version. Skips when the archive cannot be reached or has no such package.
lint_headers() {
	local arch=$1 flavour=$2 which=$3 opts pkg ver n common root
	need apt-get apt
	need dpkg-deb dpkg
	[ -d /usr/lib/linux-kbuild-6.1/scripts ] ||
		skip "linux-kbuild-6.1 is not installed (tools/setup installs it with linux-headers-amd64)"
	lint_locked "apt-$arch" _lint_apt_update "$arch" ||
		skip "could not fetch Debian's $arch package lists (see $cache/apt-$arch/update.log)"
	opts=$(_lint_apt_opts "$arch")
	# shellcheck disable=SC2086
	pkg=$(apt-cache $opts pkgnames linux-headers-6.1.0- 2>/dev/null |
		grep -E "^linux-headers-6\.1\.0-[0-9]+-$flavour\$" | sort -V |
		if [ "$which" = oldest ]; then head -n 1; else tail -n 1; fi)
	[ -n "$pkg" ] || skip "Debian's archive lists no linux-headers-6.1.0-N-$flavour for $arch"
	n=${pkg#linux-headers-6.1.0-}
	n=${n%%-*}
	common=linux-headers-6.1.0-$n-common
	# shellcheck disable=SC2086
	ver=$(apt-cache $opts show "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1)
	[ -n "$ver" ] || skip "apt has no version of $pkg"
	# The same package installed (the newest amd64 one, usually): use it.
	if [ "$(dpkg-query -W -f='${Version} ${Status}' "$pkg" 2>/dev/null)" = "$ver install ok installed" ] &&
		[ -f "/usr/src/$pkg/Makefile" ]; then
		echo "/usr/src/$pkg"
		return 0
	fi
	root="$cache/headers/${pkg}_$ver"
	lint_locked "headers-$pkg" _lint_unpack_headers "$arch" "$pkg" "$common" "$ver" "$root" >&2 ||
		skip "could not download or unpack $pkg $ver ($arch) and $common"
	echo "$root/usr/src/$pkg"
}

_lint_unpack_headers() {
	local arch=$1 pkg=$2 common=$3 ver=$4 root=$5 opts debs d
	[ -f "$root/.done" ] && return 0
	opts=$(_lint_apt_opts "$arch")
	debs="$cache/apt-$arch/debs"
	rm -rf "$debs" "$root"
	mkdir -p "$debs" "$root"
	# shellcheck disable=SC2086
	(cd "$debs" && apt-get -q -q $opts download "$pkg=$ver" "$common=$ver") || return 1
	for d in "$debs"/*.deb; do
		dpkg-deb -x "$d" "$root" || return 1
	done
	[ -f "$root/usr/src/$pkg/.config" ] && [ -f "$root/usr/src/$common/Makefile" ] || return 1
	echo "include $root/usr/src/$common/Makefile" > "$root/usr/src/$pkg/Makefile"
	mkdir -p "$root/usr/lib"
	ln -sfn /usr/lib/linux-kbuild-6.1 "$root/usr/lib/linux-kbuild-6.1"
	rm -rf "$debs"
	echo "$pkg $ver ($arch) and $common unpacked into $root"
	touch "$root/.done"
}
