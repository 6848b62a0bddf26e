# Authentication failures reach the consumer as -EACCES and leave the
# kernel clean: an untrusted server certificate, a name mismatch.
. tests/vm/lib.sh
pki_make
agent_start
openssl s_server -accept 127.0.0.1:4450 -cert "$PKI/rogue.pem" -key "$PKI/rogue.key" \
	-rev -quiet -naccept 1 > "$LOGDIR/rogue.log" 2>&1 < /dev/null &
SERVER_PIDS=$!
wait_for 10 port_listening 4450 || fail "rogue server did not start"
demo_connect "host=127.0.0.1 port=4450 peername=localhost" && fail "untrusted server accepted"
expect_eq "untrusted CA status" "$(demo_result status)" -13

s_server 4451 -tls1_3
demo_connect "host=127.0.0.1 port=4451 peername=not-localhost.example" && fail "wrong name accepted"
expect_eq "name mismatch status" "$(demo_result status)" -13
