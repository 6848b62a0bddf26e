# The kernel side of the protocol against a raw netlink client: claims,
# done from the wrong socket, late done, malformed done, operator cancel,
# timeout, claimant death, and what the consumer sees each time.
. tests/vm/lib.sh
pki_make
exec python3 tests/vm/protocol.py
