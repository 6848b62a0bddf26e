# handshake_mainline.ko and alerts: tls_handshake_close() sends a
# close_notify the peer logs (and without it, none is sent); a peer's
# close_notify and a peer's fatal alert are read with tls_get_record_type()
# and decoded by tls_alert_recv().
. tests/vm/lib.sh
. tests/vm/peers.sh
. tests/vm/mainline.sh
pki_make
agent_start

s_server 4731 -tls1_3 -msg
hm_echo "close=1" "esolc" "hello=client-anon host=127.0.0.1 port=4731 close=1 message=close"
wait_for 10 grep -q "<<< TLS 1.3, Alert \[length 0002\], warning close_notify" "$LOGDIR/s_server.4731.log" ||
	fail "s_server saw no close_notify: $(grep -i alert "$LOGDIR/s_server.4731.log")"

s_server 4732 -tls1_3 -msg
hm_echo "close=0" "nepo" "hello=client-anon host=127.0.0.1 port=4732 message=open"
wait_for 10 grep -q "CONNECTION CLOSED" "$LOGDIR/s_server.4732.log" || fail "s_server did not end"
grep -q "<<< .*close_notify" "$LOGDIR/s_server.4732.log" &&
	fail "a close_notify without tls_handshake_close()"

# s_server -rev ends a connection on the line CLOSE, with close_notify.
s_server 4733 -tls1_3
hm_ok "peer's close_notify" "hello=client-anon host=127.0.0.1 port=4733 message=CLOSE"
expect_eq "peer's close_notify: io" "$(hm_result io)" -104
expect_eq "alert level" "$(hm_result alert_level)" 1
expect_eq "alert description" "$(hm_result alert_desc)" 0
case ",$(hm_result records)," in
*,21,) ;;
*) fail "records $(hm_result records): the last should be an alert (21)" ;;
esac

# A record of a type the peer does not take (heartbeat, 24, in TLS 1.3):
# a fatal unexpected_message (2, 10).
s_server 4734 -tls1_3
hm_ok "peer's fatal alert" "hello=client-anon host=127.0.0.1 port=4734 rtype=24 message=beat"
expect_eq "fatal alert: io" "$(hm_result io)" -104
expect_eq "alert level" "$(hm_result alert_level)" 2
expect_eq "alert description" "$(hm_result alert_desc)" 10
