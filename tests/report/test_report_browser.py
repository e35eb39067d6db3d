"""The report in a real browser: Debian's headless Chromium opens index.html from disk.

Chromium is driven over the Chrome DevTools Protocol through ``--remote-debugging-pipe`` (file descriptors 3
and 4, NUL-separated JSON), the transport Puppeteer and Playwright use. That needs no test dependency (no
websocket client, no Playwright, whose package wants to download a browser of its own) and opens no port.
The test records every console message, uncaught exception and network request of the page, checks the
charts and the table, filters the table by category and sorts it by a real mouse click, and saves
screenshots (desktop and phone width) under artifacts/ for a person to look at.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drawwatch.report import write_report
from drawwatch.storage.db import make_engine
from tests.e2e.helpers import ROOT
from tests.report.test_report import ingest

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARTIFACTS = ROOT / "artifacts"
CRS = 470
CONSOLE_PROBLEMS = ("error", "warning", "assert")


class DevToolsError(RuntimeError):
    """Chromium answered a command with an error, died, or did not answer in time."""


class Chromium:
    """A headless Chromium and one page, driven over the DevTools pipe. Synchronous: events that arrive
    while waiting for a reply are kept in :attr:`events`."""

    def __init__(self, executable: str, profile: Path, log: Path) -> None:
        # Two pipes: Chromium reads commands from its fd 3 and writes replies and events to its fd 4. The ends
        # it gets are copied to numbers above 4 first, so wiring them to 3 and 4 cannot clobber one another.
        cmd_read, self._cmd_write = _above_four(os.pipe())
        self._out_read, out_write = _above_four(os.pipe())

        def wire_fds() -> None:  # in the child, before exec; dup2 also clears close-on-exec
            os.dup2(cmd_read, 3)
            os.dup2(out_write, 4)

        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-default-apps",
                "--no-first-run",
                "--no-default-browser-check",
                "--mute-audio",
                "--hide-scrollbars",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            # Not close_fds: it would close 3 and 4 after wire_fds. Python opens every other fd close-on-exec.
            close_fds=False,
            preexec_fn=wire_fds,
        )
        os.close(cmd_read)
        os.close(out_write)
        self._buffer = b""
        self._next_id = 0
        self.session: str | None = None
        self.events: list[dict[str, Any]] = []

    # ---------------------------------------------------------------------------------------- protocol

    def call(self, method: str, params: dict[str, Any] | None = None, *, timeout: float = 30) -> Any:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self.session
        os.write(self._cmd_write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise DevToolsError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, event: str, *, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for seen in self.events:
                if seen["method"] == event and not seen.get("_consumed"):
                    seen["_consumed"] = True
                    return seen
            reply = self._read(deadline)
            if "method" in reply:
                self.events.append(reply)

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DevToolsError("Chromium did not answer in time")
            ready, _, _ = select.select([self._out_read], [], [], left)
            if ready:
                chunk = os.read(self._out_read, 1 << 20)
                if not chunk:
                    raise DevToolsError(f"Chromium exited (status {self.process.poll()})")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    # --------------------------------------------------------------------------------------- page API

    def open_page(self, width: int, height: int, *, mobile: bool = False, scale: float = 1) -> None:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile},
        )

    def navigate(self, url: str) -> None:
        self.call("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}
        )
        if "exceptionDetails" in result:
            raise DevToolsError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click (pressed and released) at the middle of the element."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView();"
            " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1},
            )

    def screenshot(self, path: Path, *, height: int) -> None:
        width = self.evaluate("document.documentElement.scrollWidth")
        full = self.evaluate("document.documentElement.scrollHeight")
        clip = {"x": 0, "y": 0, "width": width, "height": min(height, full), "scale": 1}
        data = self.call(
            "Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True}
        )["data"]
        path.write_bytes(base64.b64decode(data))

    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions and browser log errors seen so far."""
        found = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails']}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in CONSOLE_PROBLEMS:
                found.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
                found.append(f"log {params['entry']['level']}: {params['entry'].get('text')}")
        return found

    def requests(self) -> list[str]:
        sent = [e for e in self.events if e["method"] == "Network.requestWillBeSent"]
        return [e["params"]["request"]["url"] for e in sent]

    def close(self) -> None:
        with contextlib.suppress(DevToolsError, OSError):
            self.call("Browser.close", timeout=10)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._cmd_write)
        os.close(self._out_read)
        self._log.close()


def _above_four(fds: tuple[int, int]) -> tuple[int, int]:
    """Both fds moved to numbers of 5 or more (close-on-exec), the originals closed."""
    moved = tuple(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 5) for fd in fds)
    for fd in fds:
        os.close(fd)
    return moved[0], moved[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of the 438-round copy, with a reader's score, written once for this module."""
    base = tmp_path_factory.mktemp("browser-report")
    engine = make_engine(f"sqlite:///{base / 'drawwatch.db'}")
    try:
        ingest(engine, 437)
        write_report(engine, base / "site", crs=CRS)
    finally:
        engine.dispose()
    return base / "site"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Chromium]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)")
    chromium = Chromium(CHROMIUM, tmp_path / "profile", tmp_path / "chromium.log")
    try:
        yield chromium
    finally:
        chromium.close()


def test_index_renders_offline_with_charts_and_table(site: Path, browser: Chromium) -> None:
    browser.open_page(1280, 900)
    browser.navigate((site / "index.html").as_uri())

    facts = browser.evaluate(
        """(() => {
          const charts = Array.from(document.querySelectorAll("svg.chart-svg"))
            .filter((svg) => svg.getBoundingClientRect().width > 0);  // the phone layouts are hidden here
          return {
            title: document.title,
            charts: charts.map((svg) => [svg.id, Math.round(svg.getBoundingClientRect().width),
                                         Math.round(svg.getBoundingClientRect().height),
                                         svg.querySelectorAll("path, use, text").length]),
            rows: document.querySelectorAll("#rounds tbody tr").length,
            cards: document.querySelectorAll(".cards .card").length,
            controls: !document.getElementById("rounds-controls").hidden,
          };
        })()"""
    )
    ARTIFACTS.mkdir(exist_ok=True)
    browser.screenshot(ARTIFACTS / "report-index.png", height=3400)

    assert browser.problems() == []
    assert (site / "index.html").as_uri() in browser.requests()  # the recording works…
    outside = [url for url in browser.requests() if not url.startswith(("file://", "data:"))]
    assert outside == [], f"the page made network requests: {outside}"
    assert "Express Entry" in facts["title"]
    assert [c[0] for c in facts["charts"]] == ["chart-cutoffs-wide", "chart-monthly-wide", "chart-pool"]
    for name, width, height, shapes in facts["charts"]:
        assert width > 500 and height > 200, f"{name} is drawn {width}×{height}"
        assert shapes > 50, f"{name} has only {shapes} shapes"
    assert facts["rows"] == 438
    assert facts["cards"] == 15
    assert facts["controls"], "the script did not run: the filter stays hidden"
    assert (ARTIFACTS / "report-index.png").stat().st_size > 50_000


def test_filtering_and_sorting_the_table_in_the_browser(site: Path, browser: Chromium) -> None:
    browser.open_page(1280, 900)
    browser.navigate((site / "index.html").as_uri())
    visible = """Array.from(document.querySelectorAll("#rounds tbody tr"))
        .filter((tr) => !tr.hidden).map((tr) => [tr.dataset.category, Number(tr.cells[3].textContent)])"""

    browser.evaluate(
        """(() => { const s = document.getElementById("category-filter"); s.focus(); s.value = "stem";
                    s.dispatchEvent(new Event("change", {bubbles: true})); })()"""
    )
    stem = browser.evaluate(visible)
    assert [category for category, _ in stem] == ["stem"] * 3
    assert browser.evaluate('document.getElementById("rounds-count").textContent') == "3 of 438 rounds"

    browser.click("#rounds thead th:nth-child(4) button")  # CRS, ascending
    assert [crs for _, crs in browser.evaluate(visible)] == sorted(crs for _, crs in stem)
    assert browser.evaluate('document.querySelector("#rounds thead th:nth-child(4)").ariaSort') == "ascending"
    browser.click("#rounds thead th:nth-child(4) button")  # and descending
    assert [crs for _, crs in browser.evaluate(visible)] == sorted((crs for _, crs in stem), reverse=True)

    browser.evaluate(
        """(() => { const s = document.getElementById("category-filter"); s.value = "";
                    s.dispatchEvent(new Event("change", {bubbles: true})); })()"""
    )
    everything = browser.evaluate(visible)
    assert len(everything) == 438
    assert everything[0][1] == 902  # still sorted by CRS, highest first (a PNP round)
    assert browser.problems() == []


def test_phone_width_and_category_page(site: Path, browser: Chromium) -> None:
    browser.open_page(390, 844, mobile=True, scale=2)
    browser.navigate((site / "index.html").as_uri())
    # Nothing wider than the screen except inside the scrolling chart and table boxes.
    assert browser.evaluate("document.documentElement.scrollWidth") <= 390
    shown = browser.evaluate(
        """Array.from(document.querySelectorAll("svg.chart-svg"))
             .filter((svg) => svg.getBoundingClientRect().width > 0).map((svg) => svg.id)"""
    )
    assert shown == ["chart-cutoffs-phone", "chart-monthly-phone", "chart-pool"]
    # Legible type: every chart's smallest text (tick labels, legend), as drawn on this screen, in CSS px.
    smallest = browser.evaluate(
        """Math.min(...Array.from(document.querySelectorAll("svg.chart-svg"))
             .filter((svg) => svg.getBoundingClientRect().width > 0)
             .flatMap((svg) => {
               const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
               return Array.from(svg.querySelectorAll("text"))
                 .map((t) => parseFloat(getComputedStyle(t).fontSize) * scale);
             }))"""
    )
    assert smallest >= 10.5, f"chart text is {smallest:.1f}px at phone width"
    ARTIFACTS.mkdir(exist_ok=True)
    browser.screenshot(ARTIFACTS / "report-index-phone.png", height=2600)

    browser.navigate((site / "categories" / "french.html").as_uri())
    assert browser.evaluate('document.querySelectorAll("#rounds tbody tr").length') == 36
    assert browser.evaluate('document.querySelectorAll("svg.chart-svg").length') == 1
    browser.screenshot(ARTIFACTS / "report-category-french-phone.png", height=1400)
    assert browser.problems() == []
    assert all(url.startswith(("file://", "data:")) for url in browser.requests())
