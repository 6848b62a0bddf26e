# Client certificates, both roles, real peers. Client role: openssl
# s_server -Verify 1 and gnutls-serv --require-client-cert get the
# agent's [client] certificate; an agent without one fails an x509
# request at once (EIO), and on an unauth request is refused (TLS 1.2:
# the handshake fails with EACCES; TLS 1.3: the server's alert comes after
# the client's Finished, so the handshake succeeds and the connection then
# fails). Server role, [server] client-auth = required: openssl s_client,
# gnutls-cli and Python with the test client certificate are served, each
# refused without one, and a certificate from another CA is refused.
. tests/vm/lib.sh
. tests/vm/peers.sh
pki_make
port=$(echo_port) || exit 77
agent_conf /tmp/mtls.conf "min-version = 1.2"
printf 'client-auth = required\n' >> /tmp/mtls.conf
agent_start /tmp/mtls.conf

s_server 4620 -tls1_3 -Verify 1 -verify_return_error -CAfile "$PKI/ca.pem"
connect_ok "openssl -Verify 1" "host=127.0.0.1 port=4620 peername=localhost message=mutual"
expect_eq "openssl -Verify 1 reply" "$(demo_result reply)" lautum
grep -q "kernel client" "$LOGDIR/s_server.4620.log" ||
	{ cat "$LOGDIR/s_server.4620.log"; fail "s_server did not see the client certificate"; }
gnutls_serv 4621 --require-client-cert --verify-client-cert --x509cafile "$PKI/ca.pem" \
	--priority "NORMAL:-VERS-ALL:+VERS-TLS1.2"
connect_ok "gnutls --require-client-cert" "host=127.0.0.1 port=4621 peername=localhost message=gmutual"
expect_eq "gnutls --require-client-cert reply" "$(demo_result reply)" gmutual
expect_eq "gnutls --require-client-cert version" "$(demo_result version)" TLSv1.2

# Server role: the echo server requires a client certificate.
ca=$PKI/ca.pem cc=$PKI/client.pem ck=$PKI/client.key
$PEERS echo --want 'Protocol version: TLSv1.3' -- openssl s_client -connect 127.0.0.1:$port \
	-CAfile "$ca" -verify_return_error -verify_hostname localhost -brief -no_ign_eof \
	-cert "$cc" -key "$ck" || fail "openssl s_client with a client certificate"
$PEERS echo --want 'Status: The certificate is trusted' -- gnutls-cli --x509cafile "$ca" \
	--verify-hostname=localhost -p $port --x509certfile "$cc" --x509keyfile "$ck" 127.0.0.1 ||
	fail "gnutls-cli with a client certificate"
$PEERS pyclient $port "$ca" --cert "$cc" --key "$ck" || fail "python with a client certificate"
grep -q "role=server auth=x509 result=0" "$LOGDIR/agent.log" || fail "no server-role success logged"
# The server's consumer gets the client's certificate as a key.
id=$(sed -n 's/.*role=server auth=x509 result=0 remote-auth=\([0-9]*\) .*/\1/p' "$LOGDIR/agent.log" | tail -n 1)
[ -n "$id" ] || fail "no remote-auth logged for a client certificate"
expect_eq "server-role peer certificate" \
	"$(keyctl pipe "$id" | openssl x509 -inform DER -noout -subject -fingerprint -sha256)" \
	"$(openssl x509 -in "$cc" -noout -subject -fingerprint -sha256)"

n=$(grep -c "role=server auth=x509 result=EACCES" "$LOGDIR/agent.log")
$PEERS echo --expect-fail -- openssl s_client -connect 127.0.0.1:$port -CAfile "$ca" \
	-verify_hostname localhost -brief -no_ign_eof || fail "openssl s_client without a client certificate"
$PEERS echo --expect-fail -- gnutls-cli --x509cafile "$ca" --verify-hostname=localhost \
	-p $port 127.0.0.1 || fail "gnutls-cli without a client certificate"
$PEERS pyclient $port "$ca" --expect-fail || fail "python without a client certificate"
$PEERS pyclient $port "$ca" --cert "$PKI/rogue.pem" --key "$PKI/rogue.key" --expect-fail ||
	fail "python with a certificate from an untrusted CA"
wait_count 10 $((n + 4)) "role=server auth=x509 result=EACCES" ||
	fail "the agent did not log EACCES for each refused client: $(grep role=server "$LOGDIR/agent.log" | tail -n 4)"
grep -q "client certificate rejected" "$LOGDIR/agent.log" || fail "no rejection reason logged"

# Without a client certificate of its own the agent fails x509 requests
# at once; unauth requests (it presents nothing) the server refuses.
agent_stop
printf '[tls]\nca-file = %s/ca.pem\nmin-version = 1.2\n[server]\ncert-file = %s/server.pem\nkey-file = %s/server.key\n' \
	"$PKI" "$PKI" "$PKI" > /tmp/agent-nocert.conf
agent_start /tmp/agent-nocert.conf
s_server 4622 -tls1_2 -Verify 1 -verify_return_error -CAfile "$PKI/ca.pem"
connect_fails "x509 request, no client certificate" -5 "host=127.0.0.1 port=4621 peername=localhost"
grep -q "x509 client request without a client certificate" "$LOGDIR/agent.log" ||
	fail "no clear error for an x509 request without a client certificate"
connect_fails "TLS 1.2 -Verify 1, no client certificate" -13 \
	"host=127.0.0.1 port=4622 peername=localhost auth=unauth"
connect_fails "TLS 1.2 gnutls --require-client-cert, no client certificate" -13 \
	"host=127.0.0.1 port=4621 peername=localhost auth=unauth"
s_server 4623 -tls1_3 -Verify 1 -verify_return_error -CAfile "$PKI/ca.pem"
demo_connect "host=127.0.0.1 port=4623 peername=localhost auth=unauth" && fail "TLS 1.3 -Verify 1 without a client certificate succeeded"
say "TLS 1.3 -Verify 1 without a client certificate: connect status $(demo_result status)"
wait_for 10 grep -q "did not return a certificate\|peer did not return\|certificate required" "$LOGDIR/s_server.4623.log" ||
	{ cat "$LOGDIR/s_server.4623.log"; fail "s_server did not refuse for a missing certificate"; }
