"""`drawwatch demo`: the whole loop on a machine with no network, in a throwaway database.

A newcomer should see what drawwatch does before configuring anything: the history is ingested from the copy
of IRCC's feed that ships in the package (without its newest round), a sample subscriber is added, then the
full copy plays the part of IRCC publishing that round, and the real check stores it, queues the alert and
sends it through apprise to a ``json://`` inbox this module runs on 127.0.0.1. The user's own database and
settings file are never opened.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any

from drawwatch.app.check import CheckSummary, run_check
from drawwatch.config import Settings
from drawwatch.domain.categories import classify
from drawwatch.domain.errors import DrawwatchError
from drawwatch.domain.vocabulary import Category
from drawwatch.storage.db import make_engine, session_scope
from drawwatch.storage.migrate import init_schema
from drawwatch.storage.subscribers import SubscriberInput, add_subscriber

BUNDLED_FEED = "data/feed/ee_rounds_123_en.json"
DEMO_MARGIN = 18  # the sample subscriber's score above the newest round's cut-off


def bundled_feed_bytes() -> bytes:
    """The copy of IRCC's feed shipped in the package: a real download (round #437, 2026-08-19)."""
    return resources.files("drawwatch").joinpath(BUNDLED_FEED).read_bytes()


def bundled_feed_path() -> Path | None:
    """The bundled copy's path on disk, for ``DRAWWATCH_FEED_URL=file://…``; None inside a zip import."""
    resource = resources.files("drawwatch").joinpath(BUNDLED_FEED)
    return Path(str(resource)) if isinstance(resource, Path) else None


@dataclass
class Delivered:
    """One message the demo inbox received, as apprise's ``json://`` plugin posts it."""

    title: str
    body: str


@dataclass
class DemoResult:
    workdir: Path
    history: CheckSummary
    news: CheckSummary
    subscriber: dict[str, Any]
    inbox: list[Delivered] = field(default_factory=list)
    alert_file: Path | None = None


class _Inbox(BaseHTTPRequestHandler):
    received: list[Delivered]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            payload = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            payload = {}
        self.received.append(Delivered(str(payload.get("title", "")), str(payload.get("message", ""))))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the demo prints what arrived itself."""


@contextmanager
def local_inbox() -> Iterator[tuple[str, list[Delivered]]]:
    """An apprise ``json://`` URL on 127.0.0.1 and the list its messages land in."""
    received: list[Delivered] = []
    handler = type("DemoInbox", (_Inbox,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="drawwatch-demo-inbox", daemon=True)
    thread.start()
    try:
        yield f"json://127.0.0.1:{server.server_address[1]}/inbox", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def demo_settings(workdir: Path, feed: Path) -> Settings:
    """Settings of the demo alone: its own database and feed, no operator channels, no settings file."""
    return Settings(
        database_url=f"sqlite:///{workdir / 'demo.db'}",
        feed_url=feed.resolve().as_uri(),
        admin_urls=[],
        templates_dir=None,
        unsubscribe_url=None,
        retry_times=0,
        delivery_backoff_seconds=0,
    )


async def run_demo(workdir: Path) -> DemoResult:
    """Ingest the history, add the sample subscriber, publish the newest round, deliver its alert."""
    body = bundled_feed_bytes()
    full = json.loads(body)
    newest = full["rounds"][0]
    history_feed, full_feed = workdir / "history.json", workdir / "feed.json"
    history_feed.write_text(json.dumps({**full, "rounds": full["rounds"][1:]}), encoding="utf-8")
    full_feed.write_bytes(body)

    settings = demo_settings(workdir, history_feed)
    engine = make_engine(settings.database_url)
    try:
        await asyncio.to_thread(init_schema, engine)
        history = await run_check(settings, engine, deliver=False)
        if history.outcome == "failed":
            raise DrawwatchError(f"the demo could not read the bundled feed: {history.error}")
        with local_inbox() as (inbox_url, received):
            category = classify(newest["drawName"])
            cut_off = int(newest["drawCRS"].replace(",", ""))
            sample = SubscriberInput(
                name="Sample candidate",
                crs=cut_off + DEMO_MARGIN,
                categories=[] if category == Category.GENERAL else [category],
                urls=[inbox_url],
            )
            with session_scope(engine) as session:
                sample.validate()
                add_subscriber(session, sample)
            settings = demo_settings(workdir, full_feed)
            news = await run_check(settings, engine, deliver=True)
        alert_file = None
        if received:
            alert_file = workdir / "alert.txt"
            alert_file.write_text(f"{received[0].title}\n\n{received[0].body}\n", encoding="utf-8")
        subscriber = {"name": sample.name, "crs": sample.crs, "categories": sample.categories}
        return DemoResult(workdir, history, news, subscriber, list(received), alert_file)
    finally:
        engine.dispose()
