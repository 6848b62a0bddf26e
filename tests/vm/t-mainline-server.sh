# handshake_mainline.ko as a server: tls_server_hello_x509 (the agent's
# [server] certificate) with openssl s_client and gnutls-cli verifying it,
# tls_server_hello_psk with PSK clients; each sends a line, reads the
# module's, and sees its close_notify (tls_handshake_close()): the client
# exits by itself once the module closes.
. tests/vm/lib.sh
. tests/vm/peers.sh
. tests/vm/mainline.sh
pki_make
agent_start
ca=$PKI/ca.pem
out=$LOGDIR/client.log

# check_client WHAT: the module got the client's line, the client the
# module's, and the client ended cleanly on the module's close_notify.
check_client() {
	expect_eq "$1 status" "$(hm_result status)" 0
	expect_eq "$1 io" "$(hm_result io)" 0
	expect_eq "$1 reply" "$(hm_result reply)" "from the client"
	grep -q "^from the server$" "$out" || fail "$1: the client did not get the line: $(cat "$out")"
	grep -q "timed out" "$out" && fail "$1: the client did not end: $(cat "$out")"
	say "$1: ok ($(tail -n 1 "$out"))"
}

hm_serve "hello=server-x509 host=127.0.0.1 port=4711 close=1 message=from the server"
hm_client "$out" "from the client" openssl s_client -connect 127.0.0.1:4711 \
	-CAfile "$ca" -verify_return_error -verify_hostname localhost -quiet -tls1_3
hm_wait
check_client "x509, openssl s_client"
grep -q "^exit=0$" "$out" || fail "s_client failed: $(cat "$out")"

hm_serve "hello=server-x509 host=127.0.0.1 port=4712 close=1 message=from the server"
hm_client "$out" "from the client" gnutls-cli --x509cafile "$ca" \
	--verify-hostname=localhost -p 4712 127.0.0.1
hm_wait
check_client "x509, gnutls-cli"
grep -q "Peer has closed the GnuTLS connection" "$out" ||
	fail "gnutls-cli did not see a close_notify: $(cat "$out")"

serial=$(psk_serial)
hm_serve "hello=server-psk host=127.0.0.1 port=4713 psk=$serial close=1 message=from the server"
hm_client "$out" "from the client" gnutls-cli --pskusername "$PSK_ID" --pskkey "$PSK_KEY" \
	--priority "NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:+ECDHE-PSK:+DHE-PSK:+PSK" -p 4713 127.0.0.1
hm_wait
check_client "psk, gnutls-cli"
grep -q "Peer has closed the GnuTLS connection" "$out" ||
	fail "gnutls-cli did not see a close_notify: $(cat "$out")"

hm_serve "hello=server-psk host=127.0.0.1 port=4714 psk=$serial close=1 message=from the server"
hm_client "$out" "from the client" openssl s_client -connect 127.0.0.1:4714 \
	-psk_identity "$PSK_ID" -psk "$PSK_KEY" -tls1_3 -quiet
hm_wait
check_client "psk, openssl s_client"
n=$(grep -c "role=server auth=.* result=0" "$LOGDIR/agent.log")
[ "$n" -eq 4 ] || fail "the agent logged $n server-role successes, want 4"
