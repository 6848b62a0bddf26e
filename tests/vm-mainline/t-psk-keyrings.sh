# [tls] keyrings with NVMe's "psk" key type (nvme_keyring, Linux 6.7 and
# later): the engine's keyrings test (test-tls keyrings, a host test where
# the kernel has no such type) finds a client's identity as a "psk" key in
# a keyring the configuration names, not without it, and refuses a "user"
# key there.
. tests/vm/lib.sh
modprobe nvme_keyring || fail "no nvme_keyring module"
out=$("$BUILD/daemon/handshaked/test-tls" keyrings -) ||
	{ printf '%s\n' "$out"; fail "test-tls keyrings failed"; }
printf '%s\n' "$out"
printf '%s\n' "$out" | grep -q '^psk identity in a configured keyring  *client=0 server=0' ||
	fail "the psk key in the configured keyring was not found (no psk key type?)"
say "a psk key in a configured keyring served; a user key there did not"
