# handshaked as a system service on a kernel with its own net/handshake
# (tools/vm-run --systemd --kernel 6.12): installed by meson install,
# started as README says (no module load starts it there), hardened as
# the unit is, it serves NVMe/TCP with TLS: a connect, both handshakes in
# its journal, a block read back. Skipped outside --systemd.
. tests/vm/lib.sh
. tests/vm-mainline/nvme.sh
[ "${VM_SYSTEMD:-0}" = 1 ] || { echo "needs tools/vm-run --systemd"; exit 77; }
trap nvme_cleanup EXIT
systemctl add-wants multi-user.target handshaked.service ||
	fail "systemctl add-wants failed"
systemctl start handshaked.service || fail "handshaked.service did not start: $(journalctl -u handshaked.service --no-pager | tail -n 5)"
journal() { journalctl -u handshaked.service --no-pager -o cat; }
journal | grep -q "protocol version 1" || fail "the service did not see mainline's protocol: $(journal | tail -n 5)"

nvme_target
psk=$(nvme_psk)
nvme_connect "$psk" || fail "connect failed: $(cat "$LOGDIR/nvme-connect.log"); journal: $(journal | tail -n 5)"
wait_for 20 test -b /dev/nvme0n1 || fail "no /dev/nvme0n1 after the connect"
head -c 4096 /dev/urandom > /tmp/block.out
dd if=/tmp/block.out of=/dev/nvme0n1 bs=4096 count=1 oflag=direct status=none &&
	dd if=/dev/nvme0n1 of=/tmp/block.in bs=4096 count=1 iflag=direct status=none ||
	fail "block I/O failed"
cmp -s /tmp/block.out /tmp/block.in || fail "the block read back differs"
# The journal may lag a little behind the connect.
wait_for 10 sh -c "journalctl -u handshaked.service -o cat | grep -q 'role=server auth=psk result=0'" ||
	fail "no server handshake in the journal: $(journal | tail -n 5)"
journal | grep -q "role=client auth=psk result=0 remote-auth=$psk " ||
	fail "no client handshake in the journal: $(journal | tail -n 5)"
say "service: $(journal | grep -c 'result=0') handshakes; $(systemctl show -p ActiveState --value handshaked.service)"
