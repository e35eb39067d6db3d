"""robots.txt kept between checks: asked for at most once a day, with its own validators, and obeyed as before.

Scrapy's RobotsTxtMiddleware fetches a site's robots.txt at the start of every crawl, and a check is one
crawl: two requests to IRCC per check, where urlwatch makes one. :class:`StoredRobotsTxtMiddleware` is that
middleware with a memory kept by the caller (in the database, see ``drawwatch.storage.robots``, so a one-shot
check in a fresh process has it too): a copy younger than ``DRAWWATCH_ROBOTS_MAX_AGE`` (a day) is parsed
without a request; an older one is asked for again with ``If-None-Match`` / ``If-Modified-Since``, and a
``304`` confirms it. Each copy fetched or confirmed is announced with :data:`robots_fetched`, for the caller
to keep. The rules are applied exactly as Scrapy's middleware applies them (same parser, same user agent): a
disallowed feed is refused ("Forbidden by robots.txt"); a robots.txt that cannot be downloaded allows the
crawl, and is asked for again at the next check.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware, logger
from scrapy.exceptions import IgnoreRequest
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from drawwatch.domain.clock import utcnow

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.robotstxt import RobotParser

# Sent with ``copy=RobotsCopy`` for each robots.txt downloaded (200, 4xx) or confirmed (304) by a crawl.
robots_fetched = object()
MAX_AGE_SECONDS = 24 * 3600.0  # a stored copy younger than this is used without asking
STORED_STAT = "drawwatch/robotstxt/stored"  # robots.txt taken from the stored copy, no request


@dataclass(frozen=True)
class RobotsCopy:
    """One site's robots.txt as last received: the body is kept as bytes and parsed again at each check."""

    url: str  # e.g. https://www.canada.ca/robots.txt
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    fetched_at: datetime  # when the server last sent or confirmed it (UTC)


def keepable(status: int) -> bool:
    """Whether an answer may stand for a day: a robots.txt (2xx) or a definite "there is none" (4xx). A server
    error or an unfollowed redirect is used for this check only, and asked again at the next one."""
    return 200 <= status < 300 or 400 <= status < 500


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class StoredRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware, reading robots.txt from ``DRAWWATCH_ROBOTS`` (stored copies) while they
    are fresh, and refreshing stale ones with a conditional request."""

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        stored = crawler.settings.get("DRAWWATCH_ROBOTS") or ()
        self._stored: dict[str, RobotsCopy] = {copy.url: copy for copy in stored}
        self._max_age = timedelta(
            seconds=crawler.settings.getfloat("DRAWWATCH_ROBOTS_MAX_AGE", MAX_AGE_SECONDS)
        )

    async def robot_parser(self, request: Request) -> RobotParser | None:
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self._parsers:
            robots_url = f"{url.scheme}://{netloc}/robots.txt"
            stored = self._stored.get(robots_url)
            if stored is not None and utcnow() - stored.fetched_at < self._max_age:
                self._parsers[netloc] = build_from_crawler(self._parserimpl, self.crawler, stored.body)
                self._stats.inc_value(STORED_STAT)
            else:
                await self._fetch(robots_url, netloc, request, stored)
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser

    async def _fetch(self, robots_url: str, netloc: str, request: Request, stored: RobotsCopy | None) -> None:
        """What RobotsTxtMiddleware.robot_parser does for an unknown site, asking conditionally when a stored
        copy exists, and announcing the copy to keep."""
        self._parsers[netloc] = Deferred()
        headers: dict[str, Any] = {}
        if stored is not None and stored.etag:
            headers["If-None-Match"] = stored.etag.encode("latin-1")
        if stored is not None and stored.last_modified:
            headers["If-Modified-Since"] = stored.last_modified.encode("latin-1")
        robots_request = Request(
            robots_url,
            priority=self.DOWNLOAD_PRIORITY,
            headers=headers,
            meta={"dont_obey_robotstxt": True},
            callback=NO_CALLBACK,
        )
        try:
            response = await self.crawler.engine.download_async(robots_request)
            now = utcnow()
            copy: RobotsCopy | None
            if response.status == 304 and stored is not None:  # still the stored copy: parse that
                copy = replace(
                    stored,
                    etag=_header(response, b"ETag") or stored.etag,
                    last_modified=_header(response, b"Last-Modified") or stored.last_modified,
                    fetched_at=now,
                )
                response = response.replace(body=stored.body)
            elif keepable(response.status):
                copy = RobotsCopy(
                    url=robots_url,
                    status=response.status,
                    body=response.body,
                    etag=_header(response, b"ETag"),
                    last_modified=_header(response, b"Last-Modified"),
                    fetched_at=now,
                )
            else:
                copy = None
            await self._parse_robots(response, netloc, request)
            if copy is not None:
                self.crawler.signals.send_catch_log(signal=robots_fetched, copy=copy)
        except Exception as exc:  # as RobotsTxtMiddleware: logged, and the crawl goes on unrestricted
            if not isinstance(exc, IgnoreRequest):
                logger.error(
                    "Error downloading %(request)s: %(f_exception)s",
                    {"request": request, "f_exception": exc},
                    exc_info=True,
                    extra={"spider": self.crawler.spider},
                )
            self._robots_error(exc, netloc)
        self._stats.inc_value("robotstxt/request_count")
