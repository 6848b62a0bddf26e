# The benchmark harness (bench/guest.py) with a few handshakes each way,
# so that it cannot rot: both paths must succeed and every figure be made.
out=$(python3 bench/guest.py --smoke) || { printf '%s\n' "$out"; exit 1; }
printf '%s\n' "$out" | grep -v '^latency '
for fig in P1 P2 P3 P5; do
	printf '%s\n' "$out" | grep -q "^$fig " || { echo "no $fig figure"; exit 1; }
done
printf '%s\n' "$out" | grep -q '^bench: ok$'
