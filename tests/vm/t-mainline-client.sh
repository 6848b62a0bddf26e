# handshake_mainline.ko (only mainline's consumer API) as a client:
# tls_client_hello_anon and tls_client_hello_x509 against openssl s_server
# and gnutls-serv, tls_client_hello_psk against both with a PSK from the
# user keyring; a line each way through kTLS, other records skipped by
# tls_get_record_type().
. tests/vm/lib.sh
. tests/vm/peers.sh
. tests/vm/mainline.sh
pki_make
agent_conf "$PKI/hm-client.conf" "min-version = 1.2"
agent_start "$PKI/hm-client.conf"

s_server 4701 -tls1_3
hm_echo "anon, openssl" "nona morf olleh" "hello=client-anon host=127.0.0.1 port=4701 message=hello from anon"
s_server 4702 -tls1_2
hm_echo "anon, openssl TLS 1.2" "21slt" "hello=client-anon host=127.0.0.1 port=4702 message=tls12"
gnutls_serv 4703
hm_echo "anon, gnutls" "anon echo" "hello=client-anon host=127.0.0.1 port=4703 message=anon echo"

s_server 4704 -tls1_3 -Verify 1 -CAfile "$PKI/ca.pem"
hm_echo "x509, openssl (mutual)" "905x" "hello=client-x509 host=127.0.0.1 port=4704 peername=localhost message=x509"
hm_echo "x509, gnutls" "x509 echo" "hello=client-x509 host=127.0.0.1 port=4703 peername=localhost message=x509 echo"
# The records seen: TLS 1.3 session tickets (22) before the data (23).
case ",$(hm_result records)," in
*,23,) ;;
*) fail "records $(hm_result records): the last should be data (23)" ;;
esac
# The name is checked: a server that is not who the consumer asked for.
s_server 4705 -tls1_3
hm_run "hello=client-x509 host=127.0.0.1 port=4705 peername=someone.else message=x"
[ "$(hm_result status)" != 0 ] || fail "x509 with the wrong peername succeeded"
say "x509, wrong peername: status $(hm_result status)"
servers_stop

serial=$(psk_serial)
bg_peer 4706 openssl s_server -accept 127.0.0.1:4706 -nocert -psk_identity "$PSK_ID" \
	-psk "$PSK_KEY" -tls1_3 -rev -quiet -naccept 1
hm_echo "psk, openssl" "ksp" "hello=client-psk host=127.0.0.1 port=4706 psk=$serial message=psk"
printf '%s:%s\n' "$PSK_ID" "$PSK_KEY" > /tmp/hm-psk.passwd
gnutls_serv 4707 --pskpasswd /tmp/hm-psk.passwd --priority "NORMAL:-VERS-ALL:+VERS-TLS1.3:+ECDHE-PSK:+DHE-PSK:+PSK"
hm_echo "psk, gnutls" "gpsk" "hello=client-psk host=127.0.0.1 port=4707 psk=$serial message=gpsk"
n=$(grep -c "result=0" "$LOGDIR/agent.log")
[ "$n" -ge 7 ] || fail "the agent logged $n successes, want 7"
# Every submit of the module so far (other tests' too) ended in exactly
# one ta_done or one won cancel.
expect_eq "submits" "$(hm_counter submitted)" $(($(hm_counter callbacks) + $(hm_counter cancelled)))
