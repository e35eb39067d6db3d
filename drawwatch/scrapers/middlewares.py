"""Conditional requests from validators kept in the database, as urlwatch keeps them with the job state."""

from __future__ import annotations

from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler


class ConditionalRequestMiddleware:
    """Adds ``If-None-Match`` / ``If-Modified-Since`` to feed requests when a previous check stored validators.

    Only requests marked ``meta["conditional"]`` are touched, so robots.txt is fetched plainly.
    """

    def __init__(self, validators: dict[str, str]):
        self.etag = validators.get("etag")
        self.last_modified = validators.get("last_modified")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.settings.getdict("DRAWWATCH_VALIDATORS"))

    def process_request(self, request: Request) -> None:
        if not request.meta.get("conditional"):
            return
        if self.etag:
            request.headers.setdefault(b"If-None-Match", self.etag.encode("latin-1"))
        if self.last_modified:
            request.headers.setdefault(b"If-Modified-Since", self.last_modified.encode("latin-1"))
