# Server role against real clients: the demo's in-kernel echo server
# (x509, the agent's [server] certificate) with openssl s_client,
# gnutls-cli (each kTLS cipher forced by the client) and Python ssl; each
# verifies the certificate by name and gets its line echoed through kTLS.
. tests/vm/lib.sh
. tests/vm/peers.sh
pki_make
port=$(echo_port) || exit 77
agent_start
ca=$PKI/ca.pem
for c in TLS_AES_128_GCM_SHA256:AES-128-GCM TLS_AES_256_GCM_SHA384:AES-256-GCM \
	 TLS_CHACHA20_POLY1305_SHA256:CHACHA20-POLY1305; do
	suite=${c%%:*} want=${c#*:}
	$PEERS echo --want "Ciphersuite: $suite" -- openssl s_client -connect 127.0.0.1:$port \
		-CAfile "$ca" -verify_return_error -verify_hostname localhost -brief -no_ign_eof \
		-tls1_3 -ciphersuites "$suite" || fail "openssl s_client $suite"
	$PEERS echo --want "Description: \(TLS1.3-X.509\).*\($want\)" -- gnutls-cli \
		--x509cafile "$ca" --verify-hostname=localhost -p $port \
		--priority "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+$want" 127.0.0.1 ||
		fail "gnutls-cli $want"
done
$PEERS pyclient $port "$ca" || fail "python client"
n=$(grep -c "role=server auth=x509 result=0" "$LOGDIR/agent.log")
[ "$n" -eq 7 ] || fail "the agent logged $n server-role successes, want 7"
# A client that does not trust the agent's CA gives up; the agent says so.
$PEERS echo --expect-fail -- openssl s_client -connect 127.0.0.1:$port \
	-CAfile "$PKI/rogue-ca.pem" -verify_return_error -brief -no_ign_eof ||
	fail "a client trusting another CA got through"
wait_for 10 grep -q "role=server auth=x509 result=EACCES" "$LOGDIR/agent.log" ||
	fail "agent did not log the refused handshake as EACCES: $(tail -n 2 "$LOGDIR/agent.log")"
