# NFS over TLS, what goes wrong: with no agent running, with a client
# that trusts another CA, and with the agent killed mid-handshake, the
# mount fails within its time limit instead of hanging, and leaves
# nothing mounted; a new agent then serves a mount that succeeds.
. tests/vm/lib.sh
. tests/vm/peers.sh
. tests/vm-mainline/nfs.sh
trap nfs_cleanup EXIT
pki_make
nfs_server

# mount_fails WHAT LIMIT_S [MOUNT-OPTIONS]
mount_fails() {
	local what=$1 limit=$2 t0 s
	shift 2
	t0=$(date +%s)
	nfs_mount tls "$@" && fail "$what: the mount succeeded"
	s=$(($(date +%s) - t0))
	say "$what: failed after $s s: $(tr '\n' ' ' < "$LOGDIR/mount.log")"
	[ "$s" -le "$limit" ] || fail "$what: took $s s, limit $limit"
	grep -q " $NFS_MNT " /proc/mounts && fail "$what: something is mounted"
	return 0
}

mount_fails "no agent" 60

agent_conf /tmp/rogue.conf
sed -i "s|$PKI/ca.pem|$PKI/rogue-ca.pem|" /tmp/rogue.conf
agent_start /tmp/rogue.conf
mount_fails "server certificate from an untrusted CA" 60
grep -q "role=client auth=unauth result=EACCES" "$LOGDIR/agent.log" ||
	fail "untrusted CA: the agent did not fail the client handshake with EACCES: $(grep handshake "$LOGDIR/agent.log")"
agent_stop

agent_start
bg_peer 2050 $PEERS proxy 2050 2049 5
nfs_mount tls port=2050 &
mount=$!
wait_for 15 grep -q ": claimed" "$LOGDIR/agent.log" || fail "the agent claimed nothing"
sleep 1
t0=$(date +%s)
kill -KILL "$AGENT_PID"
AGENT_PID=
wait "$mount" && fail "agent killed: the mount succeeded"
s=$(($(date +%s) - t0))
say "agent killed mid-handshake: the mount failed $s s later: $(tr '\n' ' ' < "$LOGDIR/mount.log")"
[ "$s" -le 60 ] || fail "agent killed: the mount took $s s"

agent_start
nfs_mount tls || fail "after a new agent: $(cat "$LOGDIR/mount.log")"
