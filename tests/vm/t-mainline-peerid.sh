# handshake_mainline.ko: ta_done's peerid after a PSK handshake is the
# serial of the PSK the peer authenticated with (the agent reports it in
# done as HANDSHAKE_A_REMOTE_AUTH). Client and server role.
. tests/vm/lib.sh
. tests/vm/peers.sh
. tests/vm/mainline.sh
pki_make
agent_start
serial=$(psk_serial)

printf '%s:%s\n' "$PSK_ID" "$PSK_KEY" > /tmp/hm-psk.passwd
gnutls_serv 4752 --pskpasswd /tmp/hm-psk.passwd --priority "NORMAL:-VERS-ALL:+VERS-TLS1.3:+ECDHE-PSK:+DHE-PSK:+PSK"
hm_echo "client psk" "peer" "hello=client-psk host=127.0.0.1 port=4752 psk=$serial message=peer"
got=$(hm_result peerid)
[ "$got" = "$serial" ] ||
	fail "client psk: peerid $got, want the PSK's serial $serial (handshaked must send the PSK it used in done, HANDSHAKE_A_REMOTE_AUTH; 0 means it sent none)"

hm_serve "hello=server-psk host=127.0.0.1 port=4753 psk=$serial close=1 message=srv"
hm_client "$LOGDIR/client.log" "back" openssl s_client -connect 127.0.0.1:4753 \
	-psk_identity "$PSK_ID" -psk "$PSK_KEY" -tls1_3 -quiet
hm_wait
expect_eq "server psk status" "$(hm_result status)" 0
got=$(hm_result peerid)
[ "$got" = "$serial" ] ||
	fail "server psk: peerid $got, want the PSK's serial $serial (handshaked must send it in done, HANDSHAKE_A_REMOTE_AUTH)"
