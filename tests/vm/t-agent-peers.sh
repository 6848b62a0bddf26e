# Client role against real peers, with both openssl s_server and
# gnutls-serv: x509 (verified by name), unauth (a server nobody trusts),
# PSK from a kernel key, each kTLS cipher forced by the peer. Server role:
# t-agent-peers-server.sh; client certificates: t-agent-peers-mtls.sh.
. tests/vm/lib.sh
. tests/vm/peers.sh
pki_make
agent_start

# x509, each cipher, both tools; the cipher is the one the peer forced.
port=4600
for c in TLS_AES_128_GCM_SHA256:AES-128-GCM TLS_AES_256_GCM_SHA384:AES-256-GCM \
	 TLS_CHACHA20_POLY1305_SHA256:CHACHA20-POLY1305; do
	suite=${c%%:*} want=${c#*:}
	port=$((port + 1))
	s_server $port -tls1_3 -ciphersuites "$suite"
	connect_ok "openssl $suite" "host=127.0.0.1 port=$port peername=localhost auth=x509 message=o-$want"
	expect_eq "openssl $suite cipher" "$(demo_result cipher)" "$want"
	expect_eq "openssl $suite version" "$(demo_result version)" TLSv1.3
	expect_eq "openssl $suite reply" "$(demo_result reply)" "$(printf 'o-%s' "$want" | rev)"

	port=$((port + 1))
	gnutls_serv $port --priority "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+$want"
	connect_ok "gnutls $want" "host=127.0.0.1 port=$port peername=localhost auth=x509 message=g-$want"
	expect_eq "gnutls $want cipher" "$(demo_result cipher)" "$want"
	expect_eq "gnutls $want version" "$(demo_result version)" TLSv1.3
	expect_eq "gnutls $want reply" "$(demo_result reply)" "g-$want"
done

# unauth: the kernel client presents no certificate, and still verifies
# the server: a trusted one works with both tools, an untrusted one fails.
s_server 4610 -tls1_3
connect_ok "openssl unauth" "host=127.0.0.1 port=4610 peername=localhost auth=unauth message=unauth"
expect_eq "openssl unauth reply" "$(demo_result reply)" htuanu
gnutls_serv 4611 --x509certfile "$PKI/rogue.pem" --x509keyfile "$PKI/rogue.key"
connect_fails "gnutls unauth, untrusted server" -13 "host=127.0.0.1 port=4611 auth=unauth"
connect_fails "gnutls rogue x509" -13 "host=127.0.0.1 port=4611 peername=localhost auth=x509"

# PSK, both tools.
serial=$(psk_serial)
bg_peer 4612 openssl s_server -accept 127.0.0.1:4612 -nocert -psk_identity "$PSK_ID" \
	-psk "$PSK_KEY" -tls1_3 -rev -quiet -naccept 1
connect_ok "openssl PSK" "host=127.0.0.1 port=4612 auth=psk psk=$serial message=psk"
expect_eq "openssl PSK reply" "$(demo_result reply)" ksp
printf '%s:%s\n' "$PSK_ID" "$PSK_KEY" > /tmp/psk.passwd
gnutls_serv 4613 --pskpasswd /tmp/psk.passwd --priority "NORMAL:-VERS-ALL:+VERS-TLS1.3:+ECDHE-PSK:+DHE-PSK:+PSK"
connect_ok "gnutls PSK" "host=127.0.0.1 port=4613 auth=psk psk=$serial message=gpsk"
expect_eq "gnutls PSK reply" "$(demo_result reply)" gpsk
grep -q "auth=psk result=0" "$LOGDIR/agent.log" || fail "agent logged no PSK success"
