# NVMe/TCP with TLS on a kernel with mainline's net/handshake, handshaked
# the only agent: the kernel's host connects to its own nvmet target over
# 127.0.0.1 with a PSK from the .nvme keyring. The agent does both
# handshakes of every queue (client for the host, server for the target,
# which finds the PSK by the identity the host offers), installs kTLS, and
# reports the PSK as the peer's identity; a 4 KiB block written through
# the namespace reads back intact, over kTLS. handshakectl says that such
# a kernel has nothing for it to list.
. tests/vm/lib.sh
. tests/vm-mainline/nvme.sh
trap nvme_cleanup EXIT
pki_make
agent_start
nvme_target
psk=$(nvme_psk)
tx0=$(tls_stat TlsTxSw)

nvme_connect "$psk" || fail "connect failed: $(cat "$LOGDIR/nvme-connect.log"); agent: $(tail -n 5 "$LOGDIR/agent.log")"
say "connected: $(cat "$LOGDIR/nvme-connect.log")"
wait_for 20 test -b /dev/nvme0n1 || fail "no /dev/nvme0n1 after the connect"

clients=$(grep -c "role=client auth=psk result=0 remote-auth=$psk " "$LOGDIR/agent.log")
servers=$(grep -c "role=server auth=psk result=0 remote-auth=$psk " "$LOGDIR/agent.log")
say "handshakes: $clients as the host's agent, $servers as the target's"
[ "$clients" -ge 1 ] && [ "$clients" -eq "$servers" ] ||
	fail "want as many server as client handshakes, with the PSK as identity: $(grep handshake "$LOGDIR/agent.log")"
grep -q "protocol version 1" "$LOGDIR/agent.log" || fail "the agent did not say it speaks mainline's protocol"
[ "$(tls_stat TlsCurrTxSw)" -ge $((2 * clients)) ] && [ "$(tls_stat TlsCurrRxSw)" -ge $((2 * clients)) ] ||
	fail "kTLS is not on both ends of every queue: $(cat /proc/net/tls_stat)"

head -c 4096 /dev/urandom > /tmp/block.out
dd if=/tmp/block.out of=/dev/nvme0n1 bs=4096 count=1 seek=7 oflag=direct status=none ||
	fail "write to /dev/nvme0n1 failed"
dd if=/dev/nvme0n1 of=/tmp/block.in bs=4096 count=1 skip=7 iflag=direct status=none ||
	fail "read from /dev/nvme0n1 failed"
cmp -s /tmp/block.out /tmp/block.in || fail "the block read back differs"
[ "$(tls_stat TlsTxSw)" -gt "$tx0" ] || fail "no kTLS transmit counted"
say "4 KiB block written and read back over kTLS ($(tls_stat TlsTxSw) kTLS TX sockets so far)"

# handshakectl has nothing to show on such a kernel, and says why.
"$HANDSHAKECTL" list > "$LOGDIR/ctl.out" 2> "$LOGDIR/ctl.err" && fail "handshakectl list succeeded"
grep -q "mainline's own net/handshake (protocol version 1)" "$LOGDIR/ctl.err" ||
	fail "handshakectl list: $(cat "$LOGDIR/ctl.err")"
