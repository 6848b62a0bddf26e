# A TLS 1.3 peer sends KeyUpdate mid-stream (openssl s_server's "k"
# command). kTLS on 6.1 cannot take the new keys: the consumer must hear
# so at once (-EKEYEXPIRED from handshake_record_check()), with one kernel
# log line, rather than fail to decrypt what follows (-EBADMSG).
. tests/vm/lib.sh
pki_make
agent_start
fifo=/tmp/s_server.keyupdate.in
rm -f "$fifo" && mkfifo "$fifo"
exec 3<>"$fifo"
# Not -quiet: s_server takes its one-letter commands only then.
openssl s_server -accept 127.0.0.1:4441 -cert "$PKI/server.pem" \
	-key "$PKI/server.key" -tls1_3 -naccept 1 <&3 \
	> "$LOGDIR/s_server.keyupdate.log" 2>&1 &
SERVER_PIDS="$SERVER_PIDS $!"
wait_for 10 port_listening 4441 || fail "openssl s_server did not start"
demo_connect "host=127.0.0.1 port=4441 peername=localhost timeout=20000 message=hello" &
client=$!
wait_for 20 grep -q '^hello' "$LOGDIR/s_server.keyupdate.log" ||
	fail "the message did not reach s_server: $(cat "$LOGDIR/s_server.keyupdate.log")"
printf 'k\n' >&3
sleep 0.5
printf 'after the update\n' >&3
wait $client
expect_eq status "$(demo_result status)" -$(python3 -c 'import errno; print(errno.EKEYEXPIRED)')
grep -q 'KEYUPDATE\|KeyUpdate\|key update' "$LOGDIR/s_server.keyupdate.log" ||
	say "s_server did not log the KeyUpdate (its log: $(tr '\n' ' ' < "$LOGDIR/s_server.keyupdate.log"))"
dmesg | grep -q 'sent KeyUpdate' || fail "no kernel log line for the KeyUpdate"
exec 3>&-
