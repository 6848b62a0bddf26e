# Each cipher kTLS takes, negotiated by the agent and installed by the
# kernel: the reversed line only comes back if both directions work.
. tests/vm/lib.sh
pki_make
agent_start
port=4440
for c in TLS_AES_128_GCM_SHA256:AES-128-GCM TLS_AES_256_GCM_SHA384:AES-256-GCM \
	 TLS_CHACHA20_POLY1305_SHA256:CHACHA20-POLY1305; do
	suite=${c%%:*} want=${c#*:}
	port=$((port + 1))
	s_server $port -tls1_3 -ciphersuites "$suite"
	demo_connect "host=127.0.0.1 port=$port peername=localhost message=$want" ||
		fail "$suite: status $(demo_result status)"
	expect_eq "$suite cipher" "$(demo_result cipher)" "$want"
	expect_eq "$suite reply" "$(demo_result reply)" "$(printf '%s' "$want" | rev)"
done
