# handshake_mainline.ko: ta_done's peerid is who the peer proved to be
# (the agent reports it in done as HANDSHAKE_A_REMOTE_AUTH): after PSK the
# serial of the PSK used; after x509 a user key holding the peer's
# certificate; none when the peer showed none. Client and server role.
. tests/vm/lib.sh
. tests/vm/peers.sh
. tests/vm/mainline.sh
pki_make
agent_start
serial=$(psk_serial)

printf '%s:%s\n' "$PSK_ID" "$PSK_KEY" > /tmp/hm-psk.passwd
gnutls_serv 4752 --pskpasswd /tmp/hm-psk.passwd --priority "NORMAL:-VERS-ALL:+VERS-TLS1.3:+ECDHE-PSK:+DHE-PSK:+PSK"
hm_echo "client psk" "peer" "hello=client-psk host=127.0.0.1 port=4752 psk=$serial message=peer"
got=$(hm_result peerid)
[ "$got" = "$serial" ] ||
	fail "client psk: peerid $got, want the PSK's serial $serial (handshaked must send the PSK it used in done, HANDSHAKE_A_REMOTE_AUTH; 0 means it sent none)"

hm_serve "hello=server-psk host=127.0.0.1 port=4753 psk=$serial close=1 message=srv"
hm_client "$LOGDIR/client.log" "back" openssl s_client -connect 127.0.0.1:4753 \
	-psk_identity "$PSK_ID" -psk "$PSK_KEY" -tls1_3 -quiet
hm_wait
expect_eq "server psk status" "$(hm_result status)" 0
got=$(hm_result peerid)
[ "$got" = "$serial" ] ||
	fail "server psk: peerid $got, want the PSK's serial $serial (handshaked must send it in done, HANDSHAKE_A_REMOTE_AUTH)"

# x509: a user key holding the peer's certificate (DER). A client's
# server certificate goes to ta_keyring when the request names one.
ring=$(keyctl newring mainline-peerid @u) || fail "keyctl newring"
s_server 4754 -tls1_3
hm_echo "client x509" "905x" "hello=client-x509 host=127.0.0.1 port=4754 peername=localhost keyring=$ring message=x509"
got=$(hm_result peerid)
[ "$got" -gt 0 ] 2>/dev/null || fail "client x509: peerid '$got', want a key"
expect_eq "client x509 peer certificate" "$(cert_of "$got")" \
	"$(openssl x509 -in "$PKI/server.pem" -noout -subject -fingerprint -sha256)"
keyctl rlist "$ring" | tr ' ' '\n' | grep -qx "$got" ||
	fail "client x509: key $got is not in ta_keyring $ring: $(keyctl rlist "$ring")"

# A server that asks for client certificates ([server] client-auth =
# optional) learns the client's when it sends one, and no identity when
# it does not.
agent_stop
agent_conf /tmp/hm-peerid.conf
printf 'client-auth = optional\n' >> /tmp/hm-peerid.conf
agent_start /tmp/hm-peerid.conf
hm_serve "hello=server-x509 host=127.0.0.1 port=4755 close=1 message=srv"
hm_client "$LOGDIR/client.log" "mtls" openssl s_client -connect 127.0.0.1:4755 \
	-cert "$PKI/client.pem" -key "$PKI/client.key" -CAfile "$PKI/ca.pem" -quiet -tls1_3
hm_wait
expect_eq "server x509 status" "$(hm_result status)" 0
got=$(hm_result peerid)
[ "$got" -gt 0 ] 2>/dev/null || fail "server x509: peerid '$got', want a key"
expect_eq "server x509 peer certificate" "$(cert_of "$got")" \
	"$(openssl x509 -in "$PKI/client.pem" -noout -subject -fingerprint -sha256)"

hm_serve "hello=server-x509 host=127.0.0.1 port=4756 close=1 message=srv"
hm_client "$LOGDIR/client.log" "anon" openssl s_client -connect 127.0.0.1:4756 \
	-CAfile "$PKI/ca.pem" -quiet -tls1_3
hm_wait
expect_eq "server x509, no client certificate: status" "$(hm_result status)" 0
expect_eq "server x509, no client certificate: peerid" "$(hm_result peerid)" 0
