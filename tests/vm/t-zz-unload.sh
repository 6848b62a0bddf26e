# Last: nothing pins the modules; both unload cleanly. handshake.ko loads
# the tls module itself (insmod ignores its softdep).
. tests/vm/lib.sh
rmmod handshake_demo || fail "handshake_demo does not unload"
if [ -d /sys/module/handshake_mainline ]; then
	rmmod handshake_mainline || fail "handshake_mainline does not unload"
fi
rmmod handshake || fail "handshake does not unload"
if rmmod tls 2>/dev/null; then
	insmod "$BUILD/kernel/handshake.ko" || fail "handshake.ko does not load without tls loaded"
	[ -d /sys/module/tls ] || fail "insmod handshake.ko did not load tls"
	rmmod handshake || fail "handshake does not unload after the reload"
else
	say "tls is in use: the load of tls by handshake.ko is not checked"
fi
