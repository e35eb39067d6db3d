"""Run the rounds spider once inside the running reactor and hand back everything it saw.

Builds a :class:`scrapy.crawler.Crawler` per poll and awaits its ``crawl_async`` (as
:class:`~scrapy.crawler.AsyncCrawlerRunner` does, which unlike ``CrawlerProcess`` can run any number of times in
one process), so the daemon and the one-shot command share this function. Not through a runner: a runner
builds a spider loader at every poll (a deep copy of the settings, and a walk of the spider modules) only to
look spiders up by name, and the spider class is given. Health is read from signals,
never from logs: per-item errors do not fail a Scrapy crawl by themselves.
"""

from __future__ import annotations

import inspect
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import Settings
from twisted.python.failure import Failure

from drawwatch.domain.rounds import FetchFailure, InvalidFeed, RejectedRound, RoundItem
from drawwatch.scrapers.credentials import authorization_header, public_url
from drawwatch.scrapers.middlewares import REFUSED_REDIRECT_STATUS
from drawwatch.scrapers.robots import RobotsCopy, robots_fetched
from drawwatch.scrapers.settings import crawler_settings
from drawwatch.scrapers.spiders.rounds import RoundsSpider


@dataclass
class FetchResult:
    """What one poll of the feed produced. ``error`` is set when the feed must not be used.

    ``url`` is the feed URL without credentials (:func:`~drawwatch.scrapers.credentials.public_url`): it is
    shown, logged and is the key of the stored feed state.
    """

    url: str
    status: int | None = None
    bytes_received: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    rounds: list[RoundItem] = field(default_factory=list)
    rejected: list[RejectedRound] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    # The robots.txt copies this poll downloaded or had confirmed (304), to keep for the next checks.
    robots: list[RobotsCopy] = field(default_factory=list)

    @property
    def not_modified(self) -> bool:
        return self.status == 304 and self.error is None


class _Collector:
    """Listens to one crawler's signals. Kept alive by the caller: Scrapy holds receivers weakly."""

    def __init__(self, crawler: Crawler, result: FetchResult):
        self.result = result
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)
        crawler.signals.connect(self.robots_fetched, signal=robots_fetched)

    def robots_fetched(self, copy: RobotsCopy) -> None:
        self.result.robots.append(copy)

    def item_scraped(self, item: object) -> None:
        if isinstance(item, RoundItem):
            self.result.rounds.append(item)
        elif isinstance(item, RejectedRound):
            self.result.rejected.append(item)
        elif isinstance(item, InvalidFeed):
            self.result.error = self.result.error or item.reason
        elif isinstance(item, FetchFailure):
            self.result.error = self.result.error or item.reason
            self.result.status = item.status or self.result.status

    def response_received(self, response: Response) -> None:
        if not response.meta.get("conditional"):
            return  # robots.txt
        self.result.status = response.status
        self.result.bytes_received = len(response.body)
        self.result.etag = _header(response, b"ETag")
        self.result.last_modified = _header(response, b"Last-Modified")

    def spider_error(self, failure: Failure) -> None:
        exc = failure.value
        self.result.error = (
            self.result.error or f"internal error while parsing the feed: {type(exc).__name__}: {exc}"
        )


class _PollSettings(Settings):
    """The settings of one poll, built for one crawler: its first :meth:`copy` (the one ``Crawler()`` makes of
    the settings it is given) hands over this very object instead of a deep copy of Scrapy's ~2,000 setting
    objects, a third of the CPU of building a crawler. Nothing else holds this object, so nothing can see it
    change. Any later copy is a real one."""

    _handed_over = False

    def copy(self) -> Self:
        if self._handed_over:
            return super().copy()
        self._handed_over = True
        return self


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


async def fetch_feed(
    url: str,
    *,
    user_agent: str,
    download_timeout: float,
    retry_times: int,
    max_rejected: int,
    validators: dict[str, str] | None = None,
    allowed_redirect_hosts: Sequence[str] = (),
    robots: Sequence[RobotsCopy] = (),
) -> FetchResult:
    """Poll ``url`` once (http(s):// or file://). Must be awaited on the asyncio reactor's loop.

    Credentials in ``url`` are sent as a Basic ``Authorization`` header to the feed's site, never as part of
    the URL Scrapy requests and logs. Redirects off that site are refused unless their host is in
    ``allowed_redirect_hosts`` (:class:`~drawwatch.scrapers.middlewares.FeedSiteMiddleware`).

    ``robots`` are the robots.txt copies earlier checks kept (:mod:`drawwatch.scrapers.robots`): one younger
    than a day is obeyed without asking the site; the copies fetched or confirmed now are in ``result.robots``.
    """
    public = public_url(url)
    settings = crawler_settings(
        user_agent=user_agent,
        download_timeout=download_timeout,
        retry_times=retry_times,
        max_rejected=max_rejected,
        validators=validators,
        feed_url=public,
        allowed_redirect_hosts=allowed_redirect_hosts,
        authorization=authorization_header(url),
        robots=robots,
    )
    crawler = Crawler(RoundsSpider, _PollSettings(settings))
    result = FetchResult(url=public)
    collector = _Collector(crawler, result)
    started = time.perf_counter()
    await crawler.crawl_async(feed_url=public)
    result.seconds = time.perf_counter() - started
    del collector
    if result.status is None and crawler.stats is not None:  # a refused redirect: the server did answer
        result.status = crawler.stats.get_value(REFUSED_REDIRECT_STATUS)
    if result.error is None and result.status is None:
        reason = (crawler.stats.get_value("finish_reason") if crawler.stats else None) or "unknown"
        result.error = f"the feed was not fetched (crawl finished: {reason})"
    if result.error is None and result.status != 304 and not result.rounds:
        result.error = "the feed yielded no rounds"
    return result


class _ModuleOf:
    """Stands for a frame in ``inspect.getmodule()``, which returns ``sys.modules[obj.__module__]`` for an
    object that has one: the module whose code the frame runs, found without searching ``sys.modules``."""

    def __init__(self, frame: FrameType) -> None:
        self.__module__ = frame.f_globals["__name__"]


def _caller_frames(context: int = 1) -> list[tuple[FrameType | _ModuleOf]]:
    """``inspect.stack()`` as far as ``scrapy.utils.deprecate.create_deprecated_class`` reads it: the frame
    that called it, and its caller's (``stack()[1][0]``, given to ``inspect.getmodule`` for a module name)."""
    return [(sys._getframe(1),), (_ModuleOf(sys._getframe(2)),)]


def _import_http_handler() -> None:
    """Import Scrapy's HTTP download handler now, and cheaply.

    Its TLS modules define three deprecated aliases with ``create_deprecated_class``, which calls
    ``inspect.stack()`` to name their module: that reads the source line of every frame on the stack and
    searches ``sys.modules`` for frozen ones, 0.15-0.3 s of a one-shot check's CPU at the engine's start (deep
    in the reactor, with a thousand modules loaded), for a ``__module__`` it reads from one frame. While the
    module is imported, ``inspect.stack`` hands over just that (:func:`_caller_frames`): the aliases get the
    same ``__module__`` (tests/scrapers/test_poll_components.py checks it). Done at the import of this
    module, before any thread or reactor runs.
    """
    if "scrapy.core.downloader.handlers.http11" in sys.modules:
        return
    stack: Any = inspect.stack
    inspect.stack = _caller_frames  # type: ignore[assignment]
    try:
        import scrapy.core.downloader.handlers.http11  # noqa: F401
    finally:
        inspect.stack = stack


_import_http_handler()
