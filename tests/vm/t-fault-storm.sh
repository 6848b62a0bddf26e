# Handshakes under a fault storm: agent SIGKILLs, random cancels, peer
# resets; nothing may be lost (tests/vm/storm.py; STORM=N for a longer run).
. tests/vm/lib.sh
pki_make
[ -f "$PKI/agent.conf" ] || agent_conf "$PKI/agent.conf"
exec python3 tests/vm/storm.py
