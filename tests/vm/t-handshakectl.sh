# handshakectl against the real kernel: list, show, cancel, stats and
# monitor (text and JSON) on requests kept pending by a raw netlink client
# that never claims (or claims on purpose), the errors (usage, no such
# cookie, no CAP_NET_ADMIN) and a valgrind run. The module-not-loaded
# message is the host test handshakectl-not-loaded's (t-zz-unload.sh must
# be the one to unload).
. tests/vm/lib.sh
[ -x "$HANDSHAKECTL" ] || fail "no handshakectl at '$HANDSHAKECTL'"

# Bad usage: the reason and the usage on stderr, nothing on stdout, exit 2.
usage_case() { # STDERR-FIRST-LINE ARGS...
	local want=$1 rc
	shift
	"$HANDSHAKECTL" "$@" > "$LOGDIR/ctl.out" 2> "$LOGDIR/ctl.err"
	rc=$?
	expect_eq "handshakectl $* exit" "$rc" 2
	expect_eq "handshakectl $* stderr" "$(head -n 1 "$LOGDIR/ctl.err")" "$want"
	grep -q '^Usage: handshakectl' "$LOGDIR/ctl.err" ||
		fail "handshakectl $*: no usage on stderr"
	[ -s "$LOGDIR/ctl.out" ] && fail "handshakectl $*: output on stdout"
	say "ok: usage error: handshakectl $*"
}
usage_case 'handshakectl: no command given'
usage_case "handshakectl: unknown command 'lsit'" lsit
usage_case "handshakectl: unknown option '-x'" -x list
usage_case 'handshakectl: cancel needs a COOKIE' cancel
usage_case "handshakectl: invalid cookie '12ab'" show 12ab
usage_case "handshakectl: unexpected argument '1'" list 1

exec python3 tests/vm/handshakectl_test.py
