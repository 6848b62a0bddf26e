# A client x509 handshake against openssl s_server (TLS 1.3), the peer
# verified against the test CA by name; a line each way through kTLS.
. tests/vm/lib.sh
pki_make
agent_start
s_server 4433 -tls1_3
demo_connect "host=127.0.0.1 port=4433 peername=localhost auth=x509 message=hello from the kernel" ||
	fail "connect failed: status $(demo_result status)"
expect_eq status "$(demo_result status)" 0
expect_eq version "$(demo_result version)" TLSv1.3
expect_eq sent "$(demo_result sent)" "hello from the kernel"
expect_eq reply "$(demo_result reply)" "lenrek eht morf olleh"
grep -q "cookie" "$LOGDIR/agent.log" || fail "the agent logged no handshake"

# handshakectl monitor follows a full handshake: submitted, accepted, done.
"$HANDSHAKECTL" -j monitor > "$LOGDIR/monitor.json" 2> "$LOGDIR/monitor.err" &
monitor=$!
# It joins the group within milliseconds of starting; give it a second.
sleep 1
s_server 4436 -tls1_3
demo_connect "host=127.0.0.1 port=4436 peername=localhost message=watched" ||
	fail "monitored connect: status $(demo_result status)"
cookie=$(demo_result cookie)
sleep 0.5
kill -INT $monitor
wait $monitor || fail "monitor exited $?: $(cat "$LOGDIR/monitor.err")"
python3 - "$LOGDIR/monitor.json" "$cookie" <<'PY' || fail "monitor did not show the handshake"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
mine = [e["event"] for e in events if e["cookie"] == int(sys.argv[2])]
print("monitor:", mine)
assert mine == ["submitted", "accepted", "done"], mine
PY
