"""A poll's stats collector (``drawwatch.scrapers.stats``): Scrapy's, dumping its stats only when that line
would be logged."""

from __future__ import annotations

import logging

import pytest
from scrapy.settings import Settings as ScrapySettings
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from drawwatch.scrapers.settings import crawler_settings
from drawwatch.scrapers.spiders.rounds import RoundsSpider
from drawwatch.scrapers.stats import PollStatsCollector


@pytest.mark.parametrize(("level", "dumps"), [(logging.INFO, True), (logging.WARNING, False)])
def test_the_stats_are_dumped_only_when_the_line_would_be_logged(level: int, dumps: bool) -> None:
    logger = logging.getLogger("scrapy.statscollectors")
    saved = logger.level
    logger.setLevel(level)
    try:
        stats = PollStatsCollector(get_crawler(RoundsSpider))
        assert stats._dump is dumps
    finally:
        logger.setLevel(saved)


def test_the_stats_dump_stays_off_when_switched_off() -> None:
    logger = logging.getLogger("scrapy.statscollectors")
    saved = logger.level
    logger.setLevel(logging.INFO)
    try:
        assert PollStatsCollector(get_crawler(RoundsSpider, {"STATS_DUMP": False}))._dump is False
    finally:
        logger.setLevel(saved)


def test_a_poll_collects_its_stats_with_the_collector_that_dumps_only_when_logged() -> None:
    settings = ScrapySettings(
        crawler_settings(user_agent="t", download_timeout=5, retry_times=0, max_rejected=2)
    )
    assert settings["STATS_CLASS"] == "drawwatch.scrapers.stats.PollStatsCollector"
    assert issubclass(PollStatsCollector, MemoryStatsCollector)  # stats kept and read as before
