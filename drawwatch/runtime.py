"""Running a coroutine on Scrapy's asyncio reactor from a plain command, and returning its exit code.

STACK.md: the reactor must be the asyncio one, work starts from ``reactor.callLater(0, …)``, and the process
exits only after ``reactor.run()`` returns (raising SystemExit inside a coroutine hung the process).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
log = logging.getLogger(__name__)


def install_asyncio_reactor() -> None:
    from scrapy.utils.reactor import install_reactor, is_asyncio_reactor_installed, is_reactor_installed

    if is_reactor_installed():
        if not is_asyncio_reactor_installed():
            raise RuntimeError("a non-asyncio Twisted reactor is already installed")
        return
    install_reactor(ASYNCIO_REACTOR)


def run_on_reactor(main: Callable[[], Awaitable[int]]) -> int:
    """Start the reactor, run ``main()`` to completion, stop the reactor and return ``main``'s exit code."""
    install_asyncio_reactor()
    from twisted.internet import reactor
    from twisted.internet.defer import Deferred

    outcome = {"code": 70}  # EX_SOFTWARE unless main returns

    def _done(code: int) -> None:
        outcome["code"] = int(code)

    def _crashed(failure) -> None:  # type: ignore[no-untyped-def]
        log.error("internal error: %s", failure.getErrorMessage(), exc_info=failure.value)

    def _start() -> None:
        deferred = Deferred.fromFuture(asyncio.ensure_future(main()))
        deferred.addCallbacks(_done, _crashed)
        deferred.addBoth(lambda _: reactor.stop())  # type: ignore[attr-defined]

    reactor.callLater(0, _start)  # type: ignore[attr-defined]
    reactor.run()  # type: ignore[attr-defined]
    return outcome["code"]
