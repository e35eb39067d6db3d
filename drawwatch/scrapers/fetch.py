"""Run the rounds spider once inside the running reactor and hand back everything it saw.

Uses :class:`scrapy.crawler.AsyncCrawlerRunner`, which (unlike ``CrawlerProcess``) can run any number of times
in one process, so the daemon and the one-shot command share this function. Health is read from signals,
never from logs: per-item errors do not fail a Scrapy crawl by themselves.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from scrapy import signals
from scrapy.crawler import AsyncCrawlerRunner, Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from drawwatch.domain.rounds import FetchFailure, InvalidFeed, RejectedRound, RoundItem
from drawwatch.scrapers.credentials import authorization_header, public_url
from drawwatch.scrapers.middlewares import REFUSED_REDIRECT_STATUS
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
) -> FetchResult:
    """Poll ``url`` once (http(s):// or file://). Must be awaited on the asyncio reactor's loop.

    Credentials in ``url`` are sent as a Basic ``Authorization`` header to the feed's site, never as part of
    the URL Scrapy requests and logs. Redirects off that site are refused unless their host is in
    ``allowed_redirect_hosts`` (:class:`~drawwatch.scrapers.middlewares.FeedSiteMiddleware`).
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
    )
    runner = AsyncCrawlerRunner(settings)
    crawler = runner.create_crawler(RoundsSpider)
    result = FetchResult(url=public)
    collector = _Collector(crawler, result)
    started = time.perf_counter()
    await runner.crawl(crawler, feed_url=public)
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
