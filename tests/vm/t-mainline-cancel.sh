# handshake_mainline.ko: tls_handshake_cancel() before the agent claims the
# request (right after the submit) and after it did (the agent waits on a
# peer that never answers): both win, and ta_done never runs; a cancel
# after the handshake ended loses, and ta_done ran once.
. tests/vm/lib.sh
. tests/vm/peers.sh
. tests/vm/mainline.sh
pki_make
agent_start
# A TCP peer that accepts and never says a word.
bg_peer 4721 python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 4721)); s.listen(8)
conns = []
while True:
    conns.append(s.accept()[0])
'
sub0=$(hm_counter submitted) cb0=$(hm_counter callbacks)

hm_run "hello=client-anon host=127.0.0.1 port=4721 cancel=before-claim"
expect_eq "before the claim: cancel" "$(hm_result cancel)" won
expect_eq "before the claim: status" "$(hm_result status)" -125
expect_eq "before the claim: callbacks" "$(hm_result callbacks)" 0

n=$(grep -c "cookie" "$LOGDIR/agent.log")
hm_run "hello=client-x509 host=127.0.0.1 port=4721 peername=localhost cancel=after-claim cancel_delay=3000"
expect_eq "after the claim: cancel" "$(hm_result cancel)" won
expect_eq "after the claim: callbacks" "$(hm_result callbacks)" 0
# The agent did claim it before the cancel: it logs the request it took.
grep -q "claimed, .* peer 127.0.0.1:4721, peername localhost" "$LOGDIR/agent.log" ||
	fail "the agent did not claim the request before the cancel: $(tail -n 3 "$LOGDIR/agent.log")"

# The agent gives up on the silent peer in its own time: ta_done still
# must not run for either request.
sleep 5
expect_eq "ta_done calls after two won cancels" "$(hm_counter callbacks)" "$cb0"
expect_eq "submits" "$(hm_counter submitted)" $((sub0 + 2))

# A cancel after the end loses: ta_done ran, exactly once.
s_server 4722 -tls1_3
hm_run "hello=client-anon host=127.0.0.1 port=4722 cancel=after-claim cancel_delay=20000 message=late"
expect_eq "after the end: cancel" "$(hm_result cancel)" lost
expect_eq "after the end: status" "$(hm_result status)" 0
expect_eq "after the end: callbacks" "$(hm_result callbacks)" 1
expect_eq "after the end: reply" "$(hm_result reply)" etal
expect_eq "ta_done calls" "$(hm_counter callbacks)" $((cb0 + 1))
