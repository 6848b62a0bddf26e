# Regression tests for the bug classes mainline net/handshake fixed after
# merge (see tests/vm/regressions.py).
. tests/vm/lib.sh
exec python3 tests/vm/regressions.py
