# The agent as a process: only CAP_NET_ADMIN left and no_new_privs set once
# it is ready, handshakes still served; sd_notify READY/STATUS/WATCHDOG to
# a stand-in notify socket; SIGHUP reloads (a broken file is kept out);
# SIGTERM exits 0; a passed (socket-activated) netlink socket is adopted;
# a configuration with an unknown key is refused at start with FILE:LINE.
# Its event socket gets a 1 MiB receive buffer; a passed one keeps its own.
. tests/vm/lib.sh
pki_make

notify_listen

conf=/tmp/process.conf
agent_conf "$conf"
export NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=1000000
agent_start "$conf"
unset NOTIFY_SOCKET WATCHDOG_USEC

# rcvbufs PID: the receive buffer size (rb) of each netlink socket of PID.
# (/proc/net/netlink maps a socket's inode to its port id, which ss shows
# signed, or as COMM/PORT when it equals a process id.)
rcvbufs() {
	local ino port
	for ino in $(find "/proc/$1/fd" -lname 'socket:*' -printf '%l\n' | tr -dc '0-9\n'); do
		port=$(awk -v i="$ino" '$10 == i { print $3 }' /proc/net/netlink)
		[ -n "$port" ] || continue
		[ "$port" -lt 2147483648 ] || port=$((port - 4294967296))
		ss -f netlink -a -m | grep -E "genl:([^ ]*/)?$port " |
			sed -n 's/.*skmem:(.*,rb\([0-9]*\),.*/\1/p'
	done
}

# Privileges: CAP_NET_ADMIN (bit 12) only, in every set that grants any.
field() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$AGENT_PID/status"; }
say "agent $AGENT_PID: CapEff $(field CapEff) CapPrm $(field CapPrm) CapBnd $(field CapBnd) NoNewPrivs $(field NoNewPrivs)"
expect_eq CapEff "$(field CapEff)" 0000000000001000
expect_eq CapPrm "$(field CapPrm)" 0000000000001000
expect_eq CapBnd "$(field CapBnd)" 0000000000001000
expect_eq CapInh "$(field CapInh)" 0000000000000000
expect_eq CapAmb "$(field CapAmb)" 0000000000000000
expect_eq NoNewPrivs "$(field NoNewPrivs)" 1

# Its own event socket gets 1 MiB whatever rmem_max says (SO_RCVBUFFORCE:
# it holds CAP_NET_ADMIN).
expect_eq "own event socket's receive buffer" "$(rcvbufs "$AGENT_PID" | sort -n | tail -n 1)" 2097152

# sd_notify: ready, the counts, the watchdog (WATCHDOG_USEC=1 s).
notified() { grep -q "$1" "$LOGDIR/notify.log"; }
wait_for 5 notified "READY=1" || fail "no READY=1: $(cat "$LOGDIR/notify.log")"
wait_for 5 notified "STATUS=Serving: 0 in flight, 0 done (0 failed)" ||
	fail "no initial STATUS=: $(cat "$LOGDIR/notify.log")"
wait_for 5 notified "WATCHDOG=1" || fail "no WATCHDOG=1: $(cat "$LOGDIR/notify.log")"

# A handshake with the reduced privileges.
s_server 4510 -tls1_3
demo_connect "host=127.0.0.1 port=4510 peername=localhost message=capable" ||
	fail "handshake after the drop: status $(demo_result status)"
expect_eq reply "$(demo_result reply)" elbapac
wait_for 5 notified "STATUS=Serving: 0 in flight, 1 done (0 failed)" ||
	fail "STATUS= not updated: $(cat "$LOGDIR/notify.log")"

# SIGHUP: the configuration and credentials are read again, without the
# capabilities dropped (the files are root's), and the next handshake works.
kill -HUP "$AGENT_PID"
wait_for 5 grep -q "reloaded $conf" "$LOGDIR/agent.log" ||
	{ cat "$LOGDIR/agent.log" >&2; fail "no reload logged"; }
wait_for 5 notified "RELOADING=1" || fail "no RELOADING=1"
s_server 4511 -tls1_3
demo_connect "host=127.0.0.1 port=4511 peername=localhost message=reloaded" ||
	fail "handshake after SIGHUP: status $(demo_result status)"
expect_eq reply "$(demo_result reply)" dedaoler

# A broken file on SIGHUP changes nothing; the agent keeps serving.
printf '[tls]\nca-flie = %s/ca.pem\n' "$PKI" >> "$conf"
kill -HUP "$AGENT_PID"
wait_for 5 grep -q "not reloaded, keeping the old configuration" "$LOGDIR/agent.log" ||
	{ cat "$LOGDIR/agent.log" >&2; fail "bad reload not refused"; }
grep -q "^$conf:[0-9]*: unknown key \"ca-flie\"" "$LOGDIR/agent.log" ||
	fail "bad reload: no FILE:LINE message"
s_server 4512 -tls1_3
demo_connect "host=127.0.0.1 port=4512 peername=localhost message=kept" ||
	fail "handshake after a bad SIGHUP: status $(demo_result status)"
expect_eq reply "$(demo_result reply)" tpek
wait_for 5 notified "STATUS=Serving: 0 in flight, 3 done (0 failed)" ||
	fail "STATUS= not updated: $(cat "$LOGDIR/notify.log")"

# SIGTERM: a clean exit.
kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
expect_eq "exit status after SIGTERM" $? 0
AGENT_PID=
notified "STOPPING=1" || fail "no STOPPING=1"

# Socket activation as handshaked.socket does it (ListenNetlink=generic
# 32768): the agent adopts the passed socket, joins "tls" on it, drops its
# capabilities the same way and serves.
agent_conf /tmp/activated.conf
RCVBUF=3145728 HANDSHAKED_REAL=$HANDSHAKED HANDSHAKED=tests/vm/activate.py \
	agent_start /tmp/activated.conf
grep -q "using the passed netlink socket" "$LOGDIR/agent.log" ||
	{ cat "$LOGDIR/agent.log" >&2; fail "the passed socket was not adopted"; }
# The receive buffer the service manager gave it stays (the kernel
# doubles what was asked for).
expect_eq "passed socket's receive buffer" "$(rcvbufs "$AGENT_PID" | sort -n | tail -n 1)" 6291456
[ "$(readlink /proc/$AGENT_PID/exe)" = "$(readlink -f "$HANDSHAKED")" ] ||
	fail "activation shim did not exec the agent"
expect_eq "activated CapEff" "$(field CapEff)" 0000000000001000
s_server 4513 -tls1_3
demo_connect "host=127.0.0.1 port=4513 peername=localhost message=activated" ||
	fail "socket-activated agent: status $(demo_result status)"
expect_eq reply "$(demo_result reply)" detavitca
agent_stop

# An unknown key refuses the start: FILE:LINE: on stderr, non-zero exit.
bad=/tmp/bad.conf
printf '[global]\nlog-level = info\nno-such-key = 1\n' > "$bad"
timeout 10 "$HANDSHAKED" -c "$bad" > "$LOGDIR/bad.out" 2> "$LOGDIR/bad.err"
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "bad configuration: exit status $rc"
grep -q "^$bad:3: unknown key \"no-such-key\" in \[global\]" "$LOGDIR/bad.err" ||
	fail "bad configuration: stderr is '$(cat "$LOGDIR/bad.err")'"
say "bad configuration refused (exit $rc): $(cat "$LOGDIR/bad.err")"
