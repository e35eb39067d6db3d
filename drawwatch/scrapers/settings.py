"""Scrapy defaults for polling IRCC politely: one request at a time, honest User-Agent, short timeouts,
bounded retries, robots.txt obeyed. ``crawler_settings`` layers an operator's drawwatch settings on top.

No HTTP cache middleware: validators live in the database (see ``middlewares``), which also works for
one-shot containers and replicas, and avoids the RFC2616 policy's habit of not asking the server at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from drawwatch.config import setting_default

if TYPE_CHECKING:
    from drawwatch.scrapers.robots import RobotsCopy

# The only Scrapy extensions a one-request poll needs: CoreStats records the finish reason ``fetch_feed``
# reports, CloseSpider enforces CLOSESPIDER_TIMEOUT. Naming the few that stay (instead of the many that go)
# keeps any extension a later Scrapy adds off too. Those left out watch long crawls (LogStats, MemoryUsage,
# MemoryDebugger, AutoThrottle, LogCount), export or persist items (FeedExporter, SpiderState), or open a way
# into the process: the telnet console, and RemoteControl, an HTTP server on 127.0.0.1 that runs the Python
# code sent to it (and imports aiohttp for it). Their *_ENABLED settings are off as well, should a project
# setting ever bring one back.
EXTENSIONS_NEEDED = {
    "scrapy.extensions.corestats.CoreStats": 0,
    "scrapy.extensions.closespider.CloseSpider": 0,
}

# Download handlers for the schemes a feed URL may have (``Settings.feed_url``: http, https, file). Scrapy's
# defaults also load the data:, s3: and ftp: handlers at every engine start (imports, and for s3 a probe for
# botocore); a redirect to such a scheme is refused by FeedSiteMiddleware before it is sent anyway.
DOWNLOAD_HANDLERS_NEEDED = {
    "file": "scrapy.core.downloader.handlers.file.FileDownloadHandler",
    "http": "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler",
    "https": "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler",
}

# Scrapy's downloader middlewares less those a poll never uses (each is imported and built at every engine
# start): OffsiteMiddleware (the spider names no allowed_domains: it lets everything through),
# HttpAuthMiddleware (the feed's credentials are sent by FeedSiteMiddleware, to the feed's site only),
# CookiesMiddleware and HttpCacheMiddleware (switched off below), and RobotsTxtMiddleware, replaced by
# drawwatch's own (``drawwatch.scrapers.robots``), which keeps robots.txt in the database between checks.
DOWNLOADER_MIDDLEWARES_NEEDED = {
    "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware": 350,
    "scrapy.downloadermiddlewares.defaultheaders.DefaultHeadersMiddleware": 400,
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": 500,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": 550,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": 750,
    "scrapy.downloadermiddlewares.stats.DownloaderStats": 850,
}

# Scrapy's spider middlewares less DepthMiddleware (depth limits and stats of followed links: the spider
# follows none) and MetaCopyDetectionMiddleware (a warning about requests the spider would yield).
SPIDER_MIDDLEWARES_NEEDED = {
    "scrapy.spidermiddlewares.start.StartSpiderMiddleware": 25,
    "scrapy.spidermiddlewares.httperror.HttpErrorMiddleware": 50,
    "scrapy.spidermiddlewares.referer.RefererMiddleware": 700,
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": 800,
}

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
    "EXTENSIONS_BASE": EXTENSIONS_NEEDED,
    "DOWNLOAD_HANDLERS_BASE": DOWNLOAD_HANDLERS_NEEDED,
    "DOWNLOADER_MIDDLEWARES_BASE": DOWNLOADER_MIDDLEWARES_NEEDED,
    "SPIDER_MIDDLEWARES_BASE": SPIDER_MIDDLEWARES_NEEDED,
    "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False,
    "MEMUSAGE_ENABLED": False,
    "MEMDEBUG_ENABLED": False,
    "AUTOTHROTTLE_ENABLED": False,
    "LOGSTATS_INTERVAL": 0,
    "HTTPCACHE_ENABLED": False,
    # Scrapy's MemoryStatsCollector, formatting its end-of-crawl stats dump only when that line is logged.
    "STATS_CLASS": "drawwatch.scrapers.stats.PollStatsCollector",
    # Scrapy reads the source of a generator callback (inspect.getsource, ast.parse) at every poll to warn
    # about a `return value` in it: its cache is keyed by the bound method, new with each poll's spider. The
    # spider's callbacks return nothing (tests/scrapers/test_poll_components.py checks it).
    "WARN_ON_GENERATOR_RETURN_VALUE": False,
    "LOG_ENABLED": True,
    "LOG_LEVEL": "WARNING",
    "DOWNLOADER_MIDDLEWARES": {
        # Before RobotsTxtMiddleware (100): a refused redirect's host is not even asked for its robots.txt.
        "drawwatch.scrapers.middlewares.FeedSiteMiddleware": 90,
        # Where Scrapy's RobotsTxtMiddleware sits, which it replaces (robots.txt kept between checks).
        "drawwatch.scrapers.robots.StoredRobotsTxtMiddleware": 100,
        "drawwatch.scrapers.middlewares.ConditionalRequestMiddleware": 560,
    },
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    "DEFAULT_REQUEST_HEADERS": {
        "Accept": "application/json, */*;q=0.1",
        "Accept-Language": "en",
    },
    # Setting names of our own, read by our middleware and spider.
    "DRAWWATCH_VALIDATORS": {},
    "DRAWWATCH_MAX_REJECTED": setting_default("max_rejected"),
    "DRAWWATCH_FEED_URL": "",  # without credentials (drawwatch.scrapers.credentials)
    "DRAWWATCH_ALLOWED_REDIRECT_HOSTS": [],
    # robots.txt copies kept from earlier checks (drawwatch.scrapers.robots.RobotsCopy), and how long one
    # is used without asking the site again.
    "DRAWWATCH_ROBOTS": (),
    "DRAWWATCH_ROBOTS_MAX_AGE": 24 * 3600.0,
    # The feed URL's credentials as a header value. A name Scrapy does not know: its "Overridden settings" log
    # line lists only its own settings (HTTPAUTH_PASS would be printed there).
    "DRAWWATCH_FEED_AUTHORIZATION": None,
}


def crawler_settings(
    *,
    user_agent: str,
    download_timeout: float,
    retry_times: int,
    max_rejected: int,
    validators: dict[str, str] | None = None,
    feed_url: str = "",
    allowed_redirect_hosts: Sequence[str] = (),
    authorization: str | None = None,
    robots: Sequence[RobotsCopy] = (),
) -> dict[str, Any]:
    """The settings for one poll: defaults plus the operator's choices and the stored validators.

    ``feed_url`` is the public URL (no credentials), ``authorization`` the header its credentials make,
    ``robots`` the robots.txt copies stored by earlier checks.
    """
    settings = dict(DEFAULTS)
    settings.update(
        USER_AGENT=user_agent,
        DOWNLOAD_TIMEOUT=download_timeout,
        RETRY_TIMES=retry_times,
        CLOSESPIDER_TIMEOUT=max(60, int(download_timeout * (retry_times + 1) * 2 + 30)),
        DRAWWATCH_VALIDATORS=dict(validators or {}),
        DRAWWATCH_MAX_REJECTED=max_rejected,
        DRAWWATCH_FEED_URL=feed_url,
        DRAWWATCH_ALLOWED_REDIRECT_HOSTS=list(allowed_redirect_hosts),
        DRAWWATCH_FEED_AUTHORIZATION=authorization,
        DRAWWATCH_ROBOTS=tuple(robots),
    )
    return settings
