# The kernel review's findings, each provoked (tests/vm/hardening.py).
. tests/vm/lib.sh
exec python3 tests/vm/hardening.py
