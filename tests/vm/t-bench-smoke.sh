# The benchmark harness (bench/guest.py) with a few handshakes each way,
# so that it cannot rot: every path (the kernel path, the plain and the
# kTLS baselines) must succeed and every figure be made, the counts too.
out=$(python3 bench/guest.py --smoke) || { printf '%s\n' "$out"; exit 1; }
printf '%s\n' "$out" | grep -v '^latency '
for fig in P1 P2 P3 P5; do
	printf '%s\n' "$out" | grep -q "^$fig " || { echo "no $fig figure"; exit 1; }
done
for path in kernel baseline baseline-ktls; do
	printf '%s\n' "$out" | grep -q "^latency $path P1 " || { echo "no P1 latency of $path"; exit 1; }
done
# Both ratios' spreads, and counts that saw something on every path.
for fig in P1 P2; do
	[ "$(printf '%s\n' "$out" | grep -c "^$fig .* ratio to .* over [0-9]* rounds: min")" -eq 2 ] ||
		{ echo "no $fig spread for both baselines"; exit 1; }
done
# The totals' rows end: kernel path, baseline, baseline+kTLS, difference,
# target ("<= N"); a row per system call name follows, indented.
printf '%s\n' "$out" | awk '
	function seen() { return $(NF-5) > 0 && $(NF-4) > 0 && $(NF-3) > 0 }
	/^C +system calls / { calls = seen() }
	/^C +task switches on CPU 0 / { switches = seen() }
	/^C     [a-z]/ { named++ }
	END { exit !(calls && switches && named) }' || { echo "counts missing or empty"; exit 1; }
printf '%s\n' "$out" | grep -q '^bench: ok$'
