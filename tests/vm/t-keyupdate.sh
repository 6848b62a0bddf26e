# A TLS 1.3 peer sends KeyUpdate mid-stream (openssl s_server's "k"
# command). kTLS on 6.1 cannot take the new keys: the consumer must hear
# so at once, with one kernel log line, rather than fail to decrypt what
# follows (-EBADMSG). The demo client hears -EKEYEXPIRED from
# handshake_record_check(); handshake_mainline.ko, written against
# mainline's API, finds the KeyUpdate in the handshake record that
# tls_get_record_type() announced and ends with -EKEYEXPIRED too.
. tests/vm/lib.sh
. tests/vm/peers.sh
. tests/vm/mainline.sh
pki_make
agent_start
ekeyexpired=-$(python3 -c 'import errno; print(errno.EKEYEXPIRED)')

# keyupdate_server PORT: s_server taking its commands from fd 3.
keyupdate_server() {
	local fifo=/tmp/s_server.$1.in
	rm -f "$fifo" && mkfifo "$fifo"
	exec 3<>"$fifo"
	# Not -quiet: s_server takes its one-letter commands only then.
	openssl s_server -accept "127.0.0.1:$1" -cert "$PKI/server.pem" \
		-key "$PKI/server.key" -tls1_3 -naccept 1 <&3 \
		> "$LOGDIR/s_server.$1.log" 2>&1 &
	SERVER_PIDS="$SERVER_PIDS $!"
	wait_for 10 port_listening "$1" || fail "openssl s_server did not start"
}

# keyupdate PORT: once the consumer's line reached s_server, a KeyUpdate
# and a line under the new keys.
keyupdate() {
	wait_for 20 grep -q '^hello' "$LOGDIR/s_server.$1.log" ||
		fail "the message did not reach s_server: $(cat "$LOGDIR/s_server.$1.log")"
	printf 'k\n' >&3
	sleep 0.5
	printf 'after the update\n' >&3
}

logged() { dmesg | grep -c "$1"; }

keyupdate_server 4441
before=$(logged 'handshake: the TLS peer sent KeyUpdate')
demo_connect "host=127.0.0.1 port=4441 peername=localhost timeout=20000 message=hello" &
client=$!
keyupdate 4441
wait $client
expect_eq "demo client status" "$(demo_result status)" "$ekeyexpired"
[ "$(logged 'handshake: the TLS peer sent KeyUpdate')" -gt "$before" ] ||
	fail "no kernel log line for the KeyUpdate"
exec 3>&-

keyupdate_server 4442
before=$(logged 'handshake_mainline: the peer sent KeyUpdate')
hm_run "hello=client-x509 host=127.0.0.1 port=4442 peername=localhost message=hello" &
client=$!
keyupdate 4442
wait $client || fail "mainline run refused"
expect_eq "mainline consumer status" "$(hm_result status)" 0
expect_eq "mainline consumer io" "$(hm_result io)" "$ekeyexpired"
say "mainline consumer: records $(hm_result records)"
case ,$(hm_result records), in
*,22,*) ;;
*) fail "the mainline consumer read no handshake record: $(hm_result records)" ;;
esac
[ "$(logged 'handshake_mainline: the peer sent KeyUpdate')" -gt "$before" ] ||
	fail "no kernel log line from the mainline consumer"
exec 3>&-
