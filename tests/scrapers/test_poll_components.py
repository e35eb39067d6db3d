"""What one poll's crawler is built from: only the download handlers, downloader and spider middlewares a
one-request crawl uses (each is imported and built at every engine start), Scrapy's HTTP handler imported
cheaply, and one set of settings per poll handed to the crawler without a deep copy."""

from __future__ import annotations

import json
import subprocess
import sys

from scrapy.settings import Settings as ScrapySettings
from scrapy.utils.conf import build_component_list

from drawwatch.scrapers.fetch import _PollSettings
from drawwatch.scrapers.settings import crawler_settings
from tests.support.commands import ROOT, clean_env


def poll_settings() -> ScrapySettings:
    return ScrapySettings(crawler_settings(user_agent="t", download_timeout=5, retry_times=0, max_rejected=2))


def test_only_the_http_https_and_file_handlers_are_loaded() -> None:
    handlers = {k: v for k, v in poll_settings().getwithbase("DOWNLOAD_HANDLERS").items() if v}
    assert sorted(handlers) == ["file", "http", "https"]


def test_the_downloader_middlewares_of_a_poll() -> None:
    names = [
        path.rsplit(".", 1)[1]
        for path in build_component_list(poll_settings().getwithbase("DOWNLOADER_MIDDLEWARES"))
    ]
    assert names == [
        "FeedSiteMiddleware",
        "StoredRobotsTxtMiddleware",  # in place of Scrapy's RobotsTxtMiddleware
        "DownloadTimeoutMiddleware",
        "DefaultHeadersMiddleware",
        "UserAgentMiddleware",
        "RetryMiddleware",
        "ConditionalRequestMiddleware",
        "MetaRefreshMiddleware",
        "HttpCompressionMiddleware",
        "RedirectMiddleware",
        "HttpProxyMiddleware",
        "DownloaderStats",
    ]


def test_the_spider_middlewares_of_a_poll() -> None:
    names = [
        path.rsplit(".", 1)[1]
        for path in build_component_list(poll_settings().getwithbase("SPIDER_MIDDLEWARES"))
    ]
    assert names == [
        "StartSpiderMiddleware",
        "HttpErrorMiddleware",
        "RefererMiddleware",
        "UrlLengthMiddleware",
    ]


def test_the_poll_settings_are_handed_over_once_then_copied() -> None:
    settings = _PollSettings({"USER_AGENT": "t"})
    assert settings.copy() is settings  # the copy Crawler() makes of what it is given
    later = settings.copy()
    assert later is not settings
    later.set("USER_AGENT", "other")
    assert settings.get("USER_AGENT") == "t"


PROBE = """
import inspect, json, sys
real_stack = inspect.stack
if sys.argv[1] == "drawwatch":
    import drawwatch.scrapers.fetch
import scrapy.core.downloader.contextfactory as cf, scrapy.core.downloader.tls as tls
print(json.dumps({
    "modules": [cf.ScrapyClientContextFactory.__module__, cf.AcceptableProtocolsContextFactory.__module__,
                tls.ScrapyClientTLSOptions.__module__],
    "stack_restored": inspect.stack is real_stack,
}))
"""


def test_the_http_handler_imported_cheaply_names_its_deprecated_aliases_as_scrapy_does() -> None:
    """The aliases' ``__module__`` is the same whether Scrapy imports its handler itself or drawwatch does
    (with ``inspect.stack`` stood in for during the import), and ``inspect.stack`` is put back."""
    seen = {}
    for who in ("scrapy", "drawwatch"):
        proc = subprocess.run(
            [sys.executable, "-c", PROBE, who],
            env=clean_env(),
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
        seen[who] = json.loads(proc.stdout)
    assert seen["drawwatch"] == seen["scrapy"]
    assert seen["drawwatch"]["modules"] == [
        "scrapy.core.downloader.contextfactory",
        "scrapy.core.downloader.contextfactory",
        "scrapy.core.downloader.tls",
    ]
    assert seen["drawwatch"]["stack_restored"] is True


def test_the_spider_callbacks_return_no_value_so_scrapy_need_not_read_their_source_each_poll() -> None:
    from scrapy.utils.misc import is_generator_with_return_value

    from drawwatch.scrapers.spiders.rounds import RoundsSpider

    assert poll_settings().getbool("WARN_ON_GENERATOR_RETURN_VALUE") is False
    callbacks = [getattr(RoundsSpider, name) for name in vars(RoundsSpider) if name in ("parse", "failed")]
    assert callbacks and not any(is_generator_with_return_value(cb) for cb in callbacks)
