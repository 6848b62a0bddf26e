# The agent under valgrind (memcheck): client x509, unauth and PSK
# handshakes, a refused one, a server-role one (the echo server), a
# SIGHUP reload and a clean SIGTERM exit. Any memcheck error or definite
# leak makes valgrind exit 99.
. tests/vm/lib.sh
. tests/vm/peers.sh
command -v valgrind > /dev/null || { echo "no valgrind"; exit 77; }
pki_make
port=$(echo_port) || exit 77
param=/sys/module/handshake/parameters/default_timeout_ms
old_timeout=$(cat $param)
echo 60000 > $param
trap 'echo "$old_timeout" > $param; cleanup' EXIT
conf=/tmp/valgrind.conf
agent_conf $conf
valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--log-file="$LOGDIR/valgrind.log" "$HANDSHAKED" -c $conf -v > "$LOGDIR/agent.log" 2>&1 &
AGENT_PID=$!
wait_for 60 grep -q ready "$LOGDIR/agent.log" ||
	{ cat "$LOGDIR/agent.log" "$LOGDIR/valgrind.log"; fail "handshaked under valgrind did not become ready"; }

gnutls_serv 4670
to=timeout=60000
connect_ok "x509" "host=127.0.0.1 port=4670 peername=localhost $to message=vg"
connect_ok "unauth" "host=127.0.0.1 port=4670 auth=unauth $to message=vg"
connect_fails "wrong name" -13 "host=127.0.0.1 port=4670 peername=wrong.example $to"
serial=$(psk_serial)
printf '%s:%s\n' "$PSK_ID" "$PSK_KEY" > /tmp/vg.passwd
gnutls_serv 4671 --pskpasswd /tmp/vg.passwd --priority "NORMAL:+ECDHE-PSK:+DHE-PSK:+PSK"
connect_ok "PSK" "host=127.0.0.1 port=4671 auth=psk psk=$serial $to message=vg"
kill -HUP "$AGENT_PID"
wait_for 60 grep -q reloaded "$LOGDIR/agent.log" || fail "no reload under valgrind"
$PEERS pyclient "$port" "$PKI/ca.pem" || fail "server role under valgrind"
connect_ok "x509 after the reload" "host=127.0.0.1 port=4670 peername=localhost $to message=vg"

kill -TERM "$AGENT_PID"
wait_for 60 grep -q "ERROR SUMMARY" "$LOGDIR/valgrind.log" || fail "valgrind did not finish"
wait "$AGENT_PID"
rc=$?
AGENT_PID=
grep -E "ERROR SUMMARY|definitely lost|indirectly lost|possibly lost" "$LOGDIR/valgrind.log"
[ $rc -eq 0 ] || { tail -n 60 "$LOGDIR/valgrind.log"; fail "handshaked under valgrind exited $rc"; }
grep -q "ERROR SUMMARY: 0 errors" "$LOGDIR/valgrind.log" || fail "valgrind reported errors"
