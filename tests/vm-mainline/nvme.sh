# SPDX-License-Identifier: GPL-2.0
# Helpers for the NVMe/TCP-over-TLS tests on a kernel with mainline's
# net/handshake (Debian 12's 6.12): an nvmet target on 127.0.0.1 whose
# port requires TLS 1.3 (configured through configfs), a PSK in the
# kernel's .nvme keyring, and the kernel's NVMe/TCP host connecting to it
# through /dev/nvme-fabrics. Sourced after tests/vm/lib.sh.

HOSTID=6b1d0f3e-2c4a-4d5e-9f60-7a8b9c0d1e2f
HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:$HOSTID
SUBNQN=nqn.2026-11.org.example:handshake-tls
NVMET=/sys/kernel/config/nvmet
NVME_PORT=4420

# nvme_target: the target, its namespace a 16 MiB file.
nvme_target() {
	modprobe nvmet && modprobe nvmet-tcp && modprobe nvme-tcp ||
		fail "cannot load the NVMe modules"
	mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
	local s=$NVMET/subsystems/$SUBNQN p=$NVMET/ports/1
	truncate -s 16M /tmp/nvme-ns.img
	mkdir "$s" "$s/namespaces/1" "$p" || fail "configfs: cannot create the target"
	echo 1 > "$s/attr_allow_any_host"
	echo -n /tmp/nvme-ns.img > "$s/namespaces/1/device_path"
	echo 1 > "$s/namespaces/1/buffered_io"
	echo 1 > "$s/namespaces/1/enable" || fail "configfs: cannot enable the namespace"
	echo tcp > "$p/addr_trtype"
	echo ipv4 > "$p/addr_adrfam"
	echo 127.0.0.1 > "$p/addr_traddr"
	echo $NVME_PORT > "$p/addr_trsvcid"
	echo tls1.3 > "$p/addr_tsas" || fail "configfs: the port takes no TLS (CONFIG_NVME_TARGET_TCP_TLS?)"
	expect_eq "port TLS requirement" "$(cat "$p/addr_treq")" required
	ln -s "$s" "$p/subsystems/" || fail "configfs: cannot link the subsystem to the port"
}

# nvme_keyring: the serial of the kernel's .nvme keyring.
nvme_keyring() {
	local id
	id=$(awk '$9 == ".nvme:" { print $1 }' /proc/keys)
	[ -n "$id" ] || fail "no .nvme keyring in /proc/keys"
	echo $((16#$id))
}

# nvme_psk [SECRET-FILE]: a retained TLS PSK for this host and subsystem
# (identity "NVMe0R01 HOSTNQN SUBNQN": version 0, SHA-256) in the .nvme
# keyring, 32 random bytes unless given; its serial on stdout.
nvme_psk() {
	local f=${1:-/tmp/nvme-psk.bin}
	[ -f "$f" ] || head -c 32 /dev/urandom > "$f"
	keyctl padd psk "NVMe0R01 $HOSTNQN $SUBNQN" "$(nvme_keyring)" < "$f" ||
		fail "cannot add the PSK to the .nvme keyring"
}

# nvme_connect KEY [PORT]: the host connects with TLS and PSK KEY to the
# target (or to PORT); returns the write's status (the kernel fails it
# when the connect fails).
nvme_connect() {
	local opts="transport=tcp,traddr=127.0.0.1,trsvcid=${2:-$NVME_PORT},nqn=$SUBNQN"
	opts="$opts,hostnqn=$HOSTNQN,hostid=$HOSTID,tls,tls_key=$1"
	( exec 3<>/dev/nvme-fabrics && printf '%s\n' "$opts" >&3 && cat <&3 ) \
		> "$LOGDIR/nvme-connect.log" 2>&1
}

# nvme_disconnect: every controller of the host goes.
nvme_disconnect() {
	local c
	for c in /sys/class/nvme/nvme*; do
		[ -e "$c/delete_controller" ] && echo 1 > "$c/delete_controller"
	done
	return 0
}

# nvme_cleanup (the EXIT trap): host, target and PSKs go, for the next test.
nvme_cleanup() {
	local s=$NVMET/subsystems/$SUBNQN p=$NVMET/ports/1
	nvme_disconnect
	rm -f "$p/subsystems/$SUBNQN" 2>/dev/null
	rmdir "$p" 2>/dev/null
	[ -e "$s/namespaces/1/enable" ] && echo 0 > "$s/namespaces/1/enable"
	rmdir "$s/namespaces/1" "$s" 2>/dev/null
	keyctl clear "$(nvme_keyring)" 2>/dev/null
	cleanup
}

