# Netlink fuzzing while real handshakes run (tests/vm/fuzz.py; FUZZ=N for
# a longer run).
. tests/vm/lib.sh
pki_make
[ -f "$PKI/agent.conf" ] || agent_conf "$PKI/agent.conf"
exec python3 tests/vm/fuzz.py
