# The peer's identity the consumer gets (done's remote-auth, the demo's
# peerid=): for PSK the serial of the PSK used; for x509 a "user" key
# holding the server's certificate (DER), in the request's keyring or in
# the agent's own; nothing on failure. Without a peer name the server's
# certificate must carry the peer's address as an IP SAN. An x509 client
# request with no client certificate anywhere fails (EIO) with a clear
# log line; auth=unauth is the way to authenticate only the server.
# handshakectl monitor shows the identity on the done line.
. tests/vm/lib.sh
. tests/vm/peers.sh
pki_make
agent_start

want_server=$(openssl x509 -in "$PKI/server.pem" -noout -subject -fingerprint -sha256)

# handshakectl monitor shows the identity on each done.
"$HANDSHAKECTL" monitor > "$LOGDIR/monitor.txt" 2>&1 &
monitor=$!
SERVER_PIDS="$SERVER_PIDS $monitor"	# stopped by cleanup, whatever happens
sleep "$(scaled 1)"	# to join the monitor group
# monitor_shows COOKIE SERIAL: its done line names SERIAL.
monitor_shows() {
	wait_for 5 grep -q "cookie $1 done remote-auth $2\$" "$LOGDIR/monitor.txt" ||
		fail "monitor: no 'cookie $1 done remote-auth $2': $(grep "cookie $1 " "$LOGDIR/monitor.txt")"
}

# PSK: the serial of the key the request named and the handshake used.
serial=$(psk_serial)
printf '%s:%s\n' "$PSK_ID" "$PSK_KEY" > /tmp/id.passwd
gnutls_serv 4691 --pskpasswd /tmp/id.passwd --priority "NORMAL:+ECDHE-PSK:+DHE-PSK:+PSK"
connect_ok "PSK" "host=127.0.0.1 port=4691 auth=psk psk=$serial message=psk"
expect_eq "PSK peerid" "$(demo_result peerid)" "$serial"
monitor_shows "$(demo_result cookie)" "$serial"
grep -q "auth=psk result=0 remote-auth=$serial " "$LOGDIR/agent.log" ||
	fail "the agent did not log remote-auth=$serial: $(grep auth=psk "$LOGDIR/agent.log")"

# x509, no keyring in the request: a key in the agent's process keyring.
s_server 4692 -tls1_3
connect_ok "x509" "host=127.0.0.1 port=4692 peername=localhost message=x509"
id=$(demo_result peerid)
cookie=$(demo_result cookie)
[ "$id" -gt 0 ] 2>/dev/null || fail "x509: peerid '$id'"
say "x509: peerid $id: $(keyctl rdescribe "$id")"
expect_eq "x509 peer certificate" "$(cert_of "$id")" "$want_server"
keyctl rdescribe "$id" | grep -q "^user;.*;handshake:peer:$cookie\$" ||
	fail "x509 key: $(keyctl rdescribe "$id"), want a user key handshake:peer:$cookie"
grep -q "auth=x509 result=0 remote-auth=$id " "$LOGDIR/agent.log" ||
	fail "the agent did not log remote-auth=$id"
monitor_shows "$cookie" "$id"
# It expires on its own: the agent's keyring does not fill up.
expire=$(awk -v s="$(printf %08x "$id")" '$1 == s { print $4 }' /proc/keys)
say "x509 key expiry column: ${expire:-?}"
case $expire in perm|"") fail "the agent's peer key has no expiry: $(grep "handshake:peer" /proc/keys)" ;; esac

# x509 with the consumer's keyring: the key goes there (no expiry).
ring=$(keyctl newring identity-test @u) || fail "keyctl newring"
s_server 4693 -tls1_3
connect_ok "x509, keyring" "host=127.0.0.1 port=4693 peername=localhost keyring=$ring message=ring"
id=$(demo_result peerid)
[ "$id" -gt 0 ] 2>/dev/null || fail "x509 keyring: peerid '$id'"
keyctl rlist "$ring" | tr ' ' '\n' | grep -qx "$id" ||
	fail "key $id is not in the request's keyring $ring: $(keyctl rlist "$ring")"
expect_eq "x509 keyring peer certificate" "$(cert_of "$id")" "$want_server"

# unauth: the client presents nothing but still verified the server.
s_server 4694 -tls1_3
connect_ok "unauth" "host=127.0.0.1 port=4694 peername=localhost auth=unauth message=unauth"
id=$(demo_result peerid)
expect_eq "unauth peer certificate" "$(cert_of "$id")" "$want_server"

# A failed handshake names nobody.
s_server 4695 -tls1_3
connect_fails "x509, wrong name" -13 "host=127.0.0.1 port=4695 peername=wrong.example"
expect_eq "failed peerid" "$(demo_result peerid)" 0

# No peer name: the address must be an IP SAN. server.pem has
# IP:127.0.0.1; noip.pem names 127.0.0.1 only as CN and DNS name.
if [ ! -f "$PKI/noip.pem" ]; then
	(
		cd "$PKI" &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout noip.key -out noip.csr -subj /CN=127.0.0.1 2>/dev/null &&
		printf 'subjectAltName=DNS:localhost,DNS:127.0.0.1\n' > noip.ext &&
		openssl x509 -req -in noip.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-days 2 -extfile noip.ext -out noip.pem 2>/dev/null
	) || fail "cannot make noip.pem"
fi
s_server 4696 -tls1_3
connect_ok "no peername, IP SAN" "host=127.0.0.1 port=4696 message=bare"
expect_eq "no peername peer certificate" "$(cert_of "$(demo_result peerid)")" "$want_server"
openssl s_server -accept 127.0.0.1:4697 -cert "$PKI/noip.pem" -key "$PKI/noip.key" \
	-rev -quiet -naccept 1 -tls1_3 > "$LOGDIR/noip.log" 2>&1 < /dev/null &
SERVER_PIDS="$SERVER_PIDS $!"
wait_for 10 port_listening 4697 || fail "noip server did not start"
n=$(grep -c "server certificate rejected" "$LOGDIR/agent.log")
connect_fails "no peername, no IP SAN" -13 "host=127.0.0.1 port=4697"
[ "$(grep -c "server certificate rejected" "$LOGDIR/agent.log")" -gt "$n" ] ||
	fail "no rejection reason logged"
openssl s_server -accept 127.0.0.1:4698 -cert "$PKI/noip.pem" -key "$PKI/noip.key" \
	-rev -quiet -naccept 1 -tls1_3 > "$LOGDIR/noip2.log" 2>&1 < /dev/null &
SERVER_PIDS="$SERVER_PIDS $!"
wait_for 10 port_listening 4698 || fail "second noip server did not start"
connect_ok "peername localhost, no IP SAN" "host=127.0.0.1 port=4698 peername=localhost message=named"

# x509 client without any client certificate: EIO at once, said clearly;
# unauth still works with the same agent.
agent_stop
printf '[tls]\nca-file = %s/ca.pem\n' "$PKI" > /tmp/agent-nocert.conf
agent_start /tmp/agent-nocert.conf
s_server 4699 -tls1_3
connect_fails "x509 client, no certificate" -5 "host=127.0.0.1 port=4699 peername=localhost"
grep -q "x509 client request without a client certificate" "$LOGDIR/agent.log" ||
	fail "no clear error logged: $(tail -n 3 "$LOGDIR/agent.log")"
s_server 4700 -tls1_3
connect_ok "unauth client, no certificate" "host=127.0.0.1 port=4700 peername=localhost auth=unauth message=anon"
