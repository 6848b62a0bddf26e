# PSK failures against real servers, each with the status handshaked(8)
# promises, and a normal handshake after them: the wrong key (EACCES; TLS
# 1.3 and 1.2, openssl and gnutls), an identity the server does not know
# (EKEYREJECTED when the server says unknown_psk_identity; see below).
. tests/vm/lib.sh
. tests/vm/peers.sh
pki_make
agent_conf /tmp/fail.conf "min-version = 1.2"
agent_start /tmp/fail.conf
canary_start 4641
serial=$(psk_serial)
wrong=ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
bg_peer 4635 openssl s_server -accept 127.0.0.1:4635 -nocert -psk_identity "$PSK_ID" \
	-psk "$wrong" -tls1_3 -rev -quiet -naccept 1
connect_fails "openssl TLS 1.3 PSK, wrong key" -13 "host=127.0.0.1 port=4635 auth=psk psk=$serial"
printf '%s:%s\n' "$PSK_ID" "$wrong" > /tmp/wrong.passwd
gnutls_serv 4636 --pskpasswd /tmp/wrong.passwd --priority "NORMAL:+ECDHE-PSK:+DHE-PSK:+PSK"
connect_fails "gnutls TLS 1.3 PSK, wrong key" -13 "host=127.0.0.1 port=4636 auth=psk psk=$serial"
bg_peer 4637 openssl s_server -accept 127.0.0.1:4637 -nocert -psk_identity "$PSK_ID" \
	-psk "$wrong" -tls1_2 -cipher PSK -rev -quiet -naccept 1
connect_fails "openssl TLS 1.2 PSK, wrong key" -13 "host=127.0.0.1 port=4637 auth=psk psk=$serial"
# Neither s_server (it only warns) nor gnutls-serv (it answers an unknown
# identity as a wrong key, against user enumeration) sends
# unknown_psk_identity; an OpenSSL-based server whose PSK callback finds
# nothing does. Scripted here: the agent maps it to EKEYREJECTED.
bg_peer 4638 $PEERS serve alert-unknown-psk 4638
connect_fails "PSK, server says unknown_psk_identity" -129 "host=127.0.0.1 port=4638 auth=psk psk=$serial"
grep -q "auth=psk result=EKEYREJECTED" "$LOGDIR/agent.log" || fail "agent did not log EKEYREJECTED"
printf 'someone-else:%s\n' "$PSK_KEY" > /tmp/other.passwd
gnutls_serv 4639 --pskpasswd /tmp/other.passwd --priority "NORMAL:+ECDHE-PSK:+DHE-PSK:+PSK"
connect_fails "gnutls PSK, unknown identity" -13 "host=127.0.0.1 port=4639 auth=psk psk=$serial"

# TLS 1.3 servers do not tell an unknown identity from no PSK at all
# (they go on without one): whatever they send, the consumer is refused.
bg_peer 4640 openssl s_server -accept 127.0.0.1:4640 -nocert -psk_identity someone-else \
	-psk "$PSK_KEY" -tls1_3 -rev -quiet -naccept 1
demo_connect "host=127.0.0.1 port=4640 auth=psk psk=$serial" && fail "TLS 1.3 unknown PSK identity accepted"
st=$(demo_result status)
say "openssl TLS 1.3 PSK, unknown identity: status $st"
case $st in -13|-129) ;; *) fail "TLS 1.3 unknown PSK identity: status $st, want -13 or -129" ;; esac
canary "all failures"
