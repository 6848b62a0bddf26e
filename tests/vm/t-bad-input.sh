# Malformed lines to the demo's connect file are refused with -EINVAL and
# no connection is attempted.
. tests/vm/lib.sh
for line in "" "garbage" "host=127.0.0.1" "host=not-an-address port=1" \
	    "host=127.0.0.1 port=99999" "host=127.0.0.1 port=1 auth=magic" \
	    "host=127.0.0.1 port=1 auth=psk" "host=127.0.0.1 port=1 colour=blue"; do
	demo_connect "$line" && fail "accepted: '$line'"
	expect_eq "'$line'" "$(demo_result status)" -22
done
# A refused connection is reported as such.
demo_connect "host=127.0.0.1 port=1" && fail "connected to a closed port"
expect_eq "closed port" "$(demo_result status)" -111
