"""The rate limit's window and the cost of each kind of request, in one place."""

from __future__ import annotations

from typing import Final

# A fixed window: simple to count with one atomic write, and a burst at a window's edge is at most
# twice the limit, which the stage-wide throttle still bounds.
WINDOW_SECONDS: Final = 60
# Costs are counted in tenths of a request, so the counter stays an integer.
REQUEST_UNITS: Final = 10
# A progress stream's reconnect (GET /jobs/{id}/events with Last-Event-ID) costs a tenth of a
# request: an open stream reconnects every few seconds, and a tenant's streams must not use up
# the limit its messages need; it is still counted, so reconnects cannot be used to flood.
RECONNECT_UNITS: Final = 1
# Sort-key prefix of the counters in the token usage table (its token totals use bare dates).
COUNTER_PREFIX: Final = "requests#"
# A counter outlives its window by this much before DynamoDB's TTL may delete it.
COUNTER_GRACE_SECONDS: Final = 300
