# SPDX-License-Identifier: GPL-2.0
# Helpers for the NFS-over-TLS tests on a kernel with mainline's
# net/handshake: Debian 12's nfs-kernel-server (nfsd, rpc.mountd,
# exportfs) exporting a tmpfs directory as the NFSv4 root to 127.0.0.1,
# and the kernel's NFS client mounting it with xprtsec=. Sourced after
# tests/vm/lib.sh.

NFS_EXPORT=/tmp/nfs-export
NFS_MNT=/tmp/nfs-mnt

# nfs_server: nfsd (NFSv4 only) with /tmp/nfs-export as its root. The
# export leaves xprtsec at the kernel's default (any); Debian 12's exportfs
# predates the option.
nfs_server() {
	modprobe nfsd || fail "cannot load nfsd"
	mountpoint -q /proc/fs/nfsd || mount -t nfsd nfsd /proc/fs/nfsd
	mkdir -p /var/lib/nfs/rpc_pipefs /var/lib/nfs/v4recovery /run/rpcbind \
		"$NFS_EXPORT" "$NFS_MNT"
	touch /var/lib/nfs/etab /var/lib/nfs/rmtab
	mountpoint -q /var/lib/nfs/rpc_pipefs || mount -t rpc_pipefs sunrpc /var/lib/nfs/rpc_pipefs
	rpcbind -w || fail "rpcbind did not start"
	exportfs -o rw,no_root_squash,fsid=0,insecure,sync "127.0.0.1:$NFS_EXPORT" ||
		fail "exportfs failed"
	rpc.mountd || fail "rpc.mountd did not start"
	rpc.nfsd 4 || fail "rpc.nfsd did not start"
}

# nfs_mount XPRTSEC [OPTIONS]: mount the export with xprtsec=XPRTSEC and
# OPTIONS (comma-separated); killed after 90 s.
nfs_mount() {
	timeout 90 mount -t nfs -o "vers=4.2,xprtsec=$1${2:+,$2}" 127.0.0.1:/ "$NFS_MNT" \
		> "$LOGDIR/mount.log" 2>&1
}

# nfs_cleanup (the EXIT trap): unmount, stop the server.
nfs_cleanup() {
	umount -f "$NFS_MNT" 2>/dev/null
	rpc.nfsd 0 2>/dev/null
	exportfs -ua 2>/dev/null
	pkill -x rpc.mountd
	pkill -x rpcbind
	cleanup
}
