"""The site's defences, without a web framework in sight: CSRF tokens, rate limits, address digests.

**CSRF** (double submit, signed): the first page a browser gets sets a cookie holding a random value; every
form carries that value signed with itsdangerous under the ``csrf`` purpose (and the time it was signed). A
POST is taken only when the form's signed value verifies, is younger than :data:`CSRF_MAX_AGE`, and equals the
cookie: another site can make a browser send the cookie but cannot read it, nor sign a value of its own. The
cookie is ``SameSite=Lax`` and ``HttpOnly`` (``Secure`` behind https) as a second fence.

**Rate limits**: in-process sliding windows (a deque of hit times per key), so they hold per ``drawwatch
serve`` process, not across replicas, and start empty after a restart; that is enough against a script
hammering one instance, and the per-address mail limit bounds what one address can receive from one process.
Addresses are counted by a keyed digest (a random key made when the process starts), never in clear. The
number of keys kept is bounded (the oldest are dropped).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from drawwatch.app.links import LinkError, Purpose, sign, verify

if TYPE_CHECKING:
    from drawwatch.config import Settings

CSRF_COOKIE: Final = "drawwatch_csrf"
CSRF_FIELD: Final = "csrf"
CSRF_MAX_AGE: Final = 12 * 3600  # seconds a page's form stays usable
MAX_KEYS: Final = 100_000  # keys each limiter keeps at most (memory bounded under a spray of addresses)


def new_csrf_secret() -> str:
    return secrets.token_urlsafe(24)


def csrf_token(settings: Settings, cookie_value: str) -> str:
    """The hidden form value for a browser whose CSRF cookie holds ``cookie_value``."""
    return sign(settings, Purpose.CSRF, cookie_value)


def csrf_ok(settings: Settings, cookie_value: str | None, form_value: str | None) -> bool:
    """Whether a POST's form value matches its cookie (and is ours, and fresh)."""
    if not cookie_value or not form_value:
        return False
    try:
        signed_for = verify(settings, Purpose.CSRF, form_value, max_age=CSRF_MAX_AGE)
    except LinkError:
        return False
    return hmac.compare_digest(signed_for.encode(), cookie_value.encode())


@dataclass(frozen=True)
class Limit:
    """At most ``hits`` in any ``seconds``."""

    hits: int
    seconds: float


# The defaults; tests and benchmarks pass their own.
DEFAULT_LIMITS: Final[dict[str, Limit]] = {
    "signup_ip": Limit(20, 600),  # sign-up attempts from one client address
    "signup_address": Limit(5, 3600),  # sign-up attempts naming one e-mail address
    "mail_address": Limit(3, 3600),  # confirmation mails to one address
    "mail_all": Limit(1000, 3600),  # confirmation mails from this process in all
    "action_ip": Limit(60, 600),  # confirmations, unsubscribes and settings changes from one client
}


class SlidingWindow:
    """Counts hits per key over the last ``limit.seconds``; thread-safe (waitress serves in threads)."""

    def __init__(self, limit: Limit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str) -> bool:
        """Count one hit for ``key``; False (and not counted) when the key is over its limit."""
        now = self.clock()
        with self._lock:
            times = self._hits.get(key)
            if times is None:
                times = self._hits[key] = deque()
                while len(self._hits) > MAX_KEYS:
                    self._hits.popitem(last=False)
            else:
                self._hits.move_to_end(key)
            while times and times[0] <= now - self.limit.seconds:
                times.popleft()
            if len(times) >= self.limit.hits:
                return False
            times.append(now)
            return True

    def __len__(self) -> int:
        return len(self._hits)


class Limiter:
    """One :class:`SlidingWindow` per named limit."""

    def __init__(
        self, limits: dict[str, Limit] | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        chosen = DEFAULT_LIMITS if limits is None else limits  # {}: no limits at all (benchmarks)
        self.windows = {name: SlidingWindow(limit, clock) for name, limit in chosen.items()}

    def hit(self, name: str, key: str) -> bool:
        window = self.windows.get(name)
        return True if window is None else window.hit(key)


class AddressDigest:
    """A keyed digest of an e-mail address for in-memory counting: the key is random per process, so the
    digests mean nothing outside it and an address is never kept in clear."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def __call__(self, address: str) -> str:
        return hmac.new(self._key, address.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]
