# Without an agent listening, a submit fails at once with -ESRCH.
. tests/vm/lib.sh
pki_make
s_server 4460 -tls1_3
demo_connect "host=127.0.0.1 port=4460 peername=localhost" && fail "connect without an agent succeeded"
expect_eq status "$(demo_result status)" -3
