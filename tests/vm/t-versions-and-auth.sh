# TLS 1.2 when configured, unauth (no client certificate) and PSK from a kernel
# key: each installs kTLS and carries a line both ways.
. tests/vm/lib.sh
pki_make
agent_conf /tmp/agent12.conf "min-version = 1.2"
agent_start /tmp/agent12.conf

s_server 4480 -tls1_2
demo_connect "host=127.0.0.1 port=4480 peername=localhost message=twelve" ||
	fail "TLS 1.2: status $(demo_result status)"
expect_eq "TLS 1.2 version" "$(demo_result version)" TLSv1.2
expect_eq "TLS 1.2 reply" "$(demo_result reply)" evlewt

s_server 4481 -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305
demo_connect "host=127.0.0.1 port=4481 peername=localhost message=chacha12" ||
	fail "TLS 1.2 ChaCha20: status $(demo_result status)"
expect_eq "TLS 1.2 ChaCha20 cipher" "$(demo_result cipher)" CHACHA20-POLY1305
expect_eq "TLS 1.2 ChaCha20 reply" "$(demo_result reply)" 21ahcahc

# unauth: the client presents no certificate but still verifies the
# server: one nobody trusts is refused, a trusted one works.
openssl s_server -accept 127.0.0.1:4482 -cert "$PKI/rogue.pem" -key "$PKI/rogue.key" \
	-rev -quiet -naccept 1 -tls1_3 > "$LOGDIR/rogue.log" 2>&1 < /dev/null &
SERVER_PIDS="$SERVER_PIDS $!"
wait_for 10 port_listening 4482 || fail "rogue server did not start"
demo_connect "host=127.0.0.1 port=4482 auth=unauth message=anyone" &&
	fail "unauth accepted a server nobody trusts"
expect_eq "unauth, untrusted server" "$(demo_result status)" -13
s_server 4484 -tls1_3
demo_connect "host=127.0.0.1 port=4484 peername=localhost auth=unauth message=anyone" ||
	fail "unauth: status $(demo_result status)"
expect_eq "unauth reply" "$(demo_result reply)" enoyna

# PSK: the key lives in the kernel's keyring, the agent reads it by serial.
key=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
serial=$(printf '%s' "$key" | xxd -r -p | keyctl padd user psk-test-identity @u) ||
	fail "keyctl padd failed"
openssl s_server -accept 127.0.0.1:4483 -nocert -psk_identity psk-test-identity \
	-psk "$key" -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256 -rev -quiet -naccept 1 \
	> "$LOGDIR/psk.log" 2>&1 < /dev/null &
SERVER_PIDS="$SERVER_PIDS $!"
wait_for 10 port_listening 4483 || fail "PSK server did not start"
demo_connect "host=127.0.0.1 port=4483 auth=psk psk=$serial message=shared" ||
	fail "PSK: status $(demo_result status); $(tail -n 3 "$LOGDIR/agent.log")"
expect_eq "PSK reply" "$(demo_result reply)" derahs
