"""Scrapy defaults for polling IRCC politely: one request at a time, honest User-Agent, short timeouts,
bounded retries, robots.txt obeyed. ``crawler_settings`` layers an operator's drawwatch settings on top.

No HTTP cache middleware: validators live in the database (see ``middlewares``), which also works for
one-shot containers and replicas, and avoids the RFC2616 policy's habit of not asking the server at all.
"""

from __future__ import annotations

from typing import Any

from drawwatch.config import setting_default

DEFAULTS: dict[str, Any] = {
    "BOT_NAME": "drawwatch",
    "SPIDER_MODULES": ["drawwatch.scrapers.spiders"],
    "ROBOTSTXT_OBEY": True,
    "CONCURRENT_REQUESTS": 1,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    "DOWNLOAD_TIMEOUT": setting_default("download_timeout"),
    "DOWNLOAD_MAXSIZE": 32 * 1024 * 1024,  # the 2026 feed is ~700 KB; anything near this is not the feed
    "DOWNLOAD_WARNSIZE": 8 * 1024 * 1024,
    "CLOSESPIDER_TIMEOUT": 180,  # hard cap per poll, whatever the retries do
    "RETRY_ENABLED": True,
    "RETRY_TIMES": setting_default("retry_times"),
    "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
    "HTTPERROR_ALLOWED_CODES": [304],
    "COOKIES_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
    "HTTPCACHE_ENABLED": False,
    "LOG_ENABLED": True,
    "LOG_LEVEL": "WARNING",
    "DOWNLOADER_MIDDLEWARES": {"drawwatch.scrapers.middlewares.ConditionalRequestMiddleware": 560},
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    "DEFAULT_REQUEST_HEADERS": {
        "Accept": "application/json, */*;q=0.1",
        "Accept-Language": "en",
    },
    # Setting names of our own, read by our middleware and spider.
    "DRAWWATCH_VALIDATORS": {},
    "DRAWWATCH_MAX_REJECTED": setting_default("max_rejected"),
}


def crawler_settings(
    *,
    user_agent: str,
    download_timeout: float,
    retry_times: int,
    max_rejected: int,
    validators: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The settings for one poll: defaults plus the operator's choices and the stored validators."""
    settings = dict(DEFAULTS)
    settings.update(
        USER_AGENT=user_agent,
        DOWNLOAD_TIMEOUT=download_timeout,
        RETRY_TIMES=retry_times,
        CLOSESPIDER_TIMEOUT=max(60, int(download_timeout * (retry_times + 1) * 2 + 30)),
        DRAWWATCH_VALIDATORS=dict(validators or {}),
        DRAWWATCH_MAX_REJECTED=max_rejected,
    )
    return settings
