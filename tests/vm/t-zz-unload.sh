# Last: nothing pins the modules; both unload cleanly.
. tests/vm/lib.sh
rmmod handshake_demo || fail "handshake_demo does not unload"
rmmod handshake || fail "handshake does not unload"
