"""Running a coroutine on Scrapy's asyncio reactor from a plain command, and returning its exit code.

Why it is done this way (docs/design.md, "Runtime decisions"): the reactor must be the asyncio one, work starts
from ``reactor.callLater(0, …)``, and the process exits only after ``reactor.run()`` returns (raising SystemExit
inside a coroutine hung the process).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from twisted.python.failure import Failure

ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
log = logging.getLogger("drawwatch.app.runtime")


def install_asyncio_reactor() -> None:
    from scrapy.utils.reactor import install_reactor, is_asyncio_reactor_installed, is_reactor_installed

    if is_reactor_installed():
        if not is_asyncio_reactor_installed():
            raise RuntimeError("a non-asyncio Twisted reactor is already installed")
        return
    install_reactor(ASYNCIO_REACTOR)


def run_on_reactor(main: Callable[[], Awaitable[int]], *, on_stop: Callable[[], None] | None = None) -> int:
    """Start the reactor, run ``main()`` to completion, stop the reactor and return ``main``'s exit code.

    SIGTERM/SIGINT do not stop the reactor (that would cut a check in half): the first one calls ``on_stop``
    (the daemon stops scheduling and finishes the check in flight; a one-shot check just completes), a second
    one stops at once with exit status 130.
    """
    install_asyncio_reactor()
    from twisted.internet import reactor
    from twisted.internet.defer import Deferred

    outcome = {"code": 70}  # EX_SOFTWARE unless main returns
    signals_seen = {"count": 0}

    def _signal(signum: int) -> None:
        signals_seen["count"] += 1
        if signals_seen["count"] == 1:
            log.info(
                "received %s: finishing the work in flight (send it again to stop at once)",
                signal.Signals(signum).name,
            )
            if on_stop is not None:
                on_stop()
            return
        log.warning("second signal: stopping at once")
        outcome["code"] = 130
        _stop_reactor()

    def _stop_reactor() -> None:
        if reactor.running:
            reactor.stop()  # type: ignore[misc]  # zope interface method, see below

    def _install_signals() -> None:
        loop = asyncio.get_event_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, _signal, signum)

    def _done(code: int) -> None:
        if outcome["code"] != 130:
            outcome["code"] = int(code)

    def _crashed(failure: Failure) -> None:
        log.error("internal error: %s", failure.getErrorMessage(), exc_info=failure.value)

    def _start() -> None:
        deferred = Deferred.fromFuture(asyncio.ensure_future(main()))
        deferred.addCallbacks(_done, _crashed)
        deferred.addBoth(lambda _: _stop_reactor())

    # Without the mypy-zope plugin, mypy reads twisted's zope interface methods as lacking ``self``; and
    # ``installSignalHandlers`` belongs to the concrete reactor's run(), not to IReactorCore's.
    reactor.callLater(0, _install_signals)  # type: ignore[arg-type]  # zope interface method
    reactor.callLater(0, _start)  # type: ignore[arg-type]  # zope interface method
    reactor.run(installSignalHandlers=False)  # type: ignore[misc, call-arg]  # zope interface method
    return outcome["code"]
