# x509 failures against real servers, each with the status handshaked(8)
# promises (EACCES), and a normal handshake after them: an expired
# certificate, a wrong name and an untrusted CA, from openssl and gnutls.
# PSK failures: t-agent-peer-psk.sh.
. tests/vm/lib.sh
. tests/vm/peers.sh
pki_make
[ -f "$PKI/expired.pem" ] || $PEERS mkcert-expired "$PKI" || fail "cannot make the expired certificate"
agent_start
canary_start 4630

s_server 4631 -cert "$PKI/expired.pem" -key "$PKI/expired.key"
connect_fails "openssl expired certificate" -13 "host=127.0.0.1 port=4631 peername=localhost"
grep -q "server certificate rejected: .*expired" "$LOGDIR/agent.log" ||
	fail "agent did not log the expiry: $(grep rejected "$LOGDIR/agent.log" | tail -n 1)"
gnutls_serv 4632 --x509certfile "$PKI/expired.pem" --x509keyfile "$PKI/expired.key"
connect_fails "gnutls expired certificate" -13 "host=127.0.0.1 port=4632 peername=localhost"
canary "expired certificates"
# unauth does not skip the server's check: expired is expired.
connect_fails "expired certificate, unauth" -13 "host=127.0.0.1 port=4632 auth=unauth"

connect_fails "gnutls wrong name" -13 "host=127.0.0.1 port=4630 peername=wrong.example"
grep -q "server certificate rejected: .*name" "$LOGDIR/agent.log" || fail "agent did not log the name mismatch"
gnutls_serv 4633 --x509certfile "$PKI/rogue.pem" --x509keyfile "$PKI/rogue.key"
connect_fails "gnutls untrusted CA" -13 "host=127.0.0.1 port=4633 peername=localhost"
s_server 4634 -cert "$PKI/rogue.pem" -key "$PKI/rogue.key"
connect_fails "openssl untrusted CA" -13 "host=127.0.0.1 port=4634 peername=localhost"

canary "x509 failures"
