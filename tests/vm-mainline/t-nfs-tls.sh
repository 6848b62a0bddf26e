# NFS over TLS on a kernel with mainline's net/handshake, handshaked the
# only agent: the kernel's NFS client mounts the kernel's nfsd over
# 127.0.0.1 with xprtsec=tls (the client verifies the server's certificate
# from [server], by the address it mounts) and with xprtsec=mtls (the
# client presents [client]'s too, and the server, which asks for one with
# client-auth = optional, reports it). The agent does the client and the
# server handshake and
# installs kTLS on both sockets; a file written through the mount is read
# back intact on the server's side, and the other way round.
. tests/vm/lib.sh
. tests/vm-mainline/nfs.sh
trap nfs_cleanup EXIT
pki_make
agent_conf /tmp/nfs.conf
printf 'client-auth = optional\n' >> /tmp/nfs.conf
agent_start /tmp/nfs.conf
nfs_server

# check_mount MODE CLIENT-AUTH: a mount with xprtsec=MODE, files both ways.
check_mount() {
	local mode=$1 client_auth=$2 before tx rx
	before=$(wc -l < "$LOGDIR/agent.log")
	tx=$(tls_stat TlsTxSw) rx=$(tls_stat TlsRxSw)
	nfs_mount "$mode" || fail "xprtsec=$mode: mount failed: $(cat "$LOGDIR/mount.log"); agent: $(tail -n 4 "$LOGDIR/agent.log")"
	grep -q " $NFS_MNT nfs4 .*xprtsec=$mode" /proc/mounts ||
		fail "xprtsec=$mode: not in /proc/mounts: $(grep nfs4 /proc/mounts)"
	head -c 65536 /dev/urandom > "$NFS_EXPORT/from-server.$mode"
	cmp -s "$NFS_EXPORT/from-server.$mode" "$NFS_MNT/from-server.$mode" ||
		fail "xprtsec=$mode: the server's file reads back different through the mount"
	head -c 65536 /dev/urandom > /tmp/from-client
	cp /tmp/from-client "$NFS_MNT/from-client.$mode" && sync ||
		fail "xprtsec=$mode: cannot write through the mount"
	cmp -s /tmp/from-client "$NFS_EXPORT/from-client.$mode" ||
		fail "xprtsec=$mode: the client's file arrived different"
	# Two more kTLS sockets each way: this mount's client and server.
	[ "$(tls_stat TlsTxSw)" -ge $((tx + 2)) ] && [ "$(tls_stat TlsRxSw)" -ge $((rx + 2)) ] ||
		fail "xprtsec=$mode: kTLS is not on both ends: $(cat /proc/net/tls_stat)"
	sed -n "$((before + 1)),\$p" "$LOGDIR/agent.log" | grep "handshake cookie=" > /tmp/hs.txt
	grep -q "role=client auth=$client_auth result=0 remote-auth=[0-9]" /tmp/hs.txt ||
		fail "xprtsec=$mode: no successful $client_auth client handshake with the server's identity: $(cat /tmp/hs.txt)"
	say "xprtsec=$mode: mounted, 64 KiB each way; $(tr '\n' ' ' < /tmp/hs.txt)"
	umount "$NFS_MNT" || fail "xprtsec=$mode: umount failed"
}


check_mount tls unauth
grep "role=server auth=x509 result=0" "$LOGDIR/agent.log" | grep -q "remote-auth=" &&
	fail "xprtsec=tls: the server reports a client identity the client never showed"
check_mount mtls x509
grep "role=server auth=x509 result=0 remote-auth=[0-9]" "$LOGDIR/agent.log" > /dev/null ||
	fail "xprtsec=mtls: the server handshake reports no client identity: $(grep 'role=server' "$LOGDIR/agent.log")"
