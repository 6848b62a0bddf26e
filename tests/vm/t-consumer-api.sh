# The consumer API's promises: cancel's return value and exactly-once
# callbacks, -EBUSY, the pending limit, netns isolation.
. tests/vm/lib.sh
exec python3 tests/vm/consumer_api.py
