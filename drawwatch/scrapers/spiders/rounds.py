"""The spider for IRCC's rounds feed: one request, and the validated rounds of the answer as items."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from drawwatch.domain.rounds import FetchFailure, InvalidFeed, RejectedRound, RoundItem
from drawwatch.scrapers.errors import describe_failure
from drawwatch.scrapers.feed import FeedError, parse_feed


class RoundsSpider(scrapy.Spider):
    """Yields a :class:`RoundItem` per valid round and a :class:`RejectedRound` per malformed or implausible one
    (held back: a date far from today, a huge number or text, a NUL, bytes that are not UTF-8).

    A feed that cannot be used at all yields one :class:`InvalidFeed` naming the problem and nothing else; a
    download that fails yields a :class:`FetchFailure`.
    A ``304 Not Modified`` answer yields nothing.
    """

    name = "ircc_rounds"

    def __init__(self, feed_url: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.feed_url = feed_url

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(
            self.feed_url,
            callback=self.parse,
            errback=self.failed,
            dont_filter=True,
            meta={"conditional": True},
        )

    def parse(self, response: Response, **kwargs: Any) -> Iterator[RoundItem | RejectedRound | InvalidFeed]:
        if response.status == 304:
            return
        try:
            parsed = parse_feed(response.body, max_rejected=self.settings.getint("DRAWWATCH_MAX_REJECTED"))
        except FeedError as exc:
            yield InvalidFeed(url=response.url, reason=str(exc))
            return
        yield from parsed.rounds
        yield from parsed.rejected

    def failed(self, failure: Failure) -> Iterator[FetchFailure]:
        reason, status = describe_failure(failure)
        yield FetchFailure(url=self.feed_url, reason=reason, status=status)
