# handshake_mainline.ko: keyring=SERIAL (ta_keyring) reaches the agent. The
# agent runs in a session keyring of its own, so a PSK that only the
# test's user keyring holds is not the agent's to read; linked in a
# keyring that the consumer names, it is.
. tests/vm/lib.sh
. tests/vm/peers.sh
. tests/vm/mainline.sh
pki_make
agent_conf "$PKI/agent.conf"
keyctl session - "$HANDSHAKED" -c "$PKI/agent.conf" -v > "$LOGDIR/agent.log" 2>&1 &
AGENT_PID=$!
wait_for 10 grep -q ready "$LOGDIR/agent.log" || fail "handshaked did not become ready"

ring=$(keyctl newring hm-test-ring @u) || fail "keyctl newring"
# possessor: all; owner: view, read, search, link.
keyctl setperm "$ring" 0x3f1b0000 || fail "keyctl setperm"
serial=$(printf '%s' "$PSK_KEY" | xxd -r -p | keyctl padd user "$PSK_ID" "$ring") ||
	fail "keyctl padd"
printf '%s:%s\n' "$PSK_ID" "$PSK_KEY" > /tmp/hm-psk.passwd
gnutls_serv 4741 --pskpasswd /tmp/hm-psk.passwd --priority "NORMAL:-VERS-ALL:+VERS-TLS1.3:+ECDHE-PSK:+DHE-PSK:+PSK"

hm_run "hello=client-psk host=127.0.0.1 port=4741 psk=$serial message=no ring"
st=$(hm_result status)
[ "$st" != 0 ] || fail "the agent read the PSK without the keyring"
say "without keyring=: status $st (the agent cannot read the key)"
hm_echo "with keyring=" "ring" "hello=client-psk host=127.0.0.1 port=4741 psk=$serial keyring=$ring message=ring"
