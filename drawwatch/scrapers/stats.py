"""The stats collector of a poll: Scrapy's default one, without the stats dump nobody reads.

A poll builds a new crawler (``drawwatch.scrapers.fetch``), and at the end of each crawl Scrapy's
``StatsCollector.close_spider`` formats every stat into its "Dumping Scrapy stats" INFO line before the
logger is asked, while the ``scrapy`` loggers are at CRITICAL unless the operator asks for ``-vv``. The
stats themselves are kept and read as before.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import statscollectors
from scrapy.statscollectors import MemoryStatsCollector

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class PollStatsCollector(MemoryStatsCollector):
    """Scrapy's default stats collector (the ``STATS_CLASS`` of a poll), whose end-of-crawl dump is formatted
    only when its logger would write it."""

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self._dump = self._dump and statscollectors.logger.isEnabledFor(logging.INFO)
