"""Failed authentication, counted per client address: past the limit, every attempt from there is a 429.

A key's secret is 192 random bits, so guessing one is hopeless; what the limit stops is a client hammering
the key lookup (900 wrong keys a second were answered 401 with no slowdown) and an address probing keys at
leisure. The counting is `limits`' moving window on its in-memory storage: the times of an address's last
`per_minute` failures, gone a window after its last one, so the limit is exact in any minute (a sliding-window
counter only estimates the previous minute's share, and let a few more through when attempts straddled one).
Only a key that was sent and refused counts (a request with no key guesses nothing), and while an address is
over the limit even a good key from it is refused: otherwise a guess that hit would still get through. Other
addresses are unaffected.

Memory is bounded: at most `TRACKED_ADDRESSES` addresses are counted one by one. When that many have failed
within the last window, further addresses share one counter, so a flood from many addresses fills a fixed
table and then limits itself, at the cost of those newcomers sharing a limit until the window has passed.
IPv6 addresses are counted by their /64, the block one host is usually given.

The counts live in the process: with `serve --workers N` each worker counts on its own.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from api.errors import TooManyRequests

TRACKED_ADDRESSES = 10_000
WINDOW_SECONDS = 60
_SHARED = "shared"


def client_key(address: str | None) -> str:
    """Who is counted: the address, or its /64 for IPv6; requests with no address share one key."""
    if not address:
        return "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address  # a Unix socket or a test client: no network to group by
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


class AuthFailureLimiter:
    """At most `per_minute` refused keys per client address in any minute (a moving window)."""

    def __init__(self, per_minute: int, tracked_addresses: int = TRACKED_ADDRESSES) -> None:
        self.limit = RateLimitItemPerMinute(per_minute)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.tracked_addresses = tracked_addresses
        # Address -> when its failures have surely expired (a window after its last one).
        self._tracked: dict[str, float] = {}
        self._lock = threading.Lock()

    def _counter(self, address: str | None, *, failing: bool) -> str:
        key = client_key(address)
        now = time.monotonic()
        with self._lock:
            if key in self._tracked:
                if failing:
                    self._tracked[key] = now + WINDOW_SECONDS
                return key
            if not failing:
                return _SHARED if len(self._tracked) >= self.tracked_addresses else key
            if len(self._tracked) >= self.tracked_addresses:
                # Full: forget the addresses whose counters have expired, else count this one as shared.
                self._tracked = {known: until for known, until in self._tracked.items() if until > now}
                if len(self._tracked) >= self.tracked_addresses:
                    return _SHARED
            self._tracked[key] = now + WINDOW_SECONDS
            return key

    def check(self, address: str | None) -> None:
        """Refuse (429 with Retry-After) an attempt from an address over its limit of failures."""
        counter = self._counter(address, failing=False)
        if self.limiter.test(self.limit, counter):
            return
        reset_at, _remaining = self.limiter.get_window_stats(self.limit, counter)
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise TooManyRequests(
            f"Too many refused API keys from this address ({self.limit.amount} a minute at most): "
            f"try again in {retry_after} s.",
            retry_after=retry_after,
        )

    def failed(self, address: str | None) -> None:
        """Count one refused key against the address."""
        self.limiter.hit(self.limit, self._counter(address, failing=True))

    @property
    def tracked(self) -> int:
        with self._lock:
            return len(self._tracked)
