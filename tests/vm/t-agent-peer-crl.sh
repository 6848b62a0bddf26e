# [tls] crl-file: a server certificate the CA revoked is refused (EACCES)
# by openssl and gnutls servers alike, and the CA's other certificates
# still work. Skipped while the agent does not know the key.
. tests/vm/lib.sh
. tests/vm/peers.sh
pki_make
[ -f "$PKI/crl.pem" ] || $PEERS mkcrl "$PKI" || fail "cannot make the CRL"
openssl verify -crl_check -CAfile "$PKI/ca.pem" -CRLfile "$PKI/crl.pem" "$PKI/revoked.pem" > /dev/null 2>&1 &&
	fail "openssl does not see the test certificate as revoked"
conf=/tmp/crl.conf
agent_conf $conf "crl-file = $PKI/crl.pem"
"$HANDSHAKED" -c $conf -v > "$LOGDIR/agent.log" 2>&1 &
AGENT_PID=$!
# Ready, or gone (an unknown key stops it at once).
ready_or_gone() { grep -q ready "$LOGDIR/agent.log" || ! kill -0 "$AGENT_PID"; }
wait_for 10 ready_or_gone
if ! grep -q ready "$LOGDIR/agent.log"; then
	if ! kill -0 "$AGENT_PID" 2>/dev/null && grep -q "crl-file" "$LOGDIR/agent.log"; then
		AGENT_PID=
		echo "the agent does not support [tls] crl-file: $(tail -n 1 "$LOGDIR/agent.log")"
		exit 77
	fi
	cat "$LOGDIR/agent.log"
	fail "handshaked did not become ready"
fi
canary_start 4680
s_server 4681 -cert "$PKI/revoked.pem" -key "$PKI/revoked.key"
connect_fails "openssl revoked certificate" -13 "host=127.0.0.1 port=4681 peername=localhost"
grep -q "server certificate rejected: .*revoked" "$LOGDIR/agent.log" ||
	fail "agent did not log the revocation: $(grep rejected "$LOGDIR/agent.log" | tail -n 1)"
gnutls_serv 4682 --x509certfile "$PKI/revoked.pem" --x509keyfile "$PKI/revoked.key"
connect_fails "gnutls revoked certificate" -13 "host=127.0.0.1 port=4682 peername=localhost"
canary "revoked certificates"
