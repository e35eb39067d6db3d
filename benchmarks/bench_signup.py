"""Sign-up site throughput: sign-ups and confirmations per second, p50/p99 latency, against real waitress.

    .venv/bin/python benchmarks/bench_signup.py [--signups 300] [--concurrency 4] [--threads 8]
                                                [--postgres URL | --no-postgres]

For each database — SQLite, and PostgreSQL at ``--postgres`` (default: the test server at 127.0.0.1:5432
when it accepts connections) — a fresh database gets the sign-up site (``drawwatch.web.create_app``) served
by waitress in a process of its own (``--threads`` request threads; the rate limits switched off, since every
request comes from 127.0.0.1) with its confirmation mails going to a local SMTP server (aiosmtpd, the test
suite's). Then ``--concurrency`` client threads, each with its own keep-alive connection and CSRF cookie:
- sign-up: GET the form (cookie and CSRF token), POST it (a new address, a typed CRS, two categories): 303;
- confirm: once every confirmation mail has arrived, GET its link (the page with the button), POST the
  button: 303 to the manage page.
It prints requests per second (form GET + POST counted as one sign-up, page GET + POST as one confirmation)
and the p50/p99 latency of the POSTs, which do the work (validation, apprise URL check, the transaction).
Figures, not a timed test: run it by hand.
"""

from __future__ import annotations

import argparse
import http.client
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import (  # noqa: E402
    PG_DEFAULT,
    child_env,
    describe_target,
    load_line,
    pg_reachable,
    scratch_database,
)
from tests.support.ports import free_port  # noqa: E402
from tests.support.smtp import SmtpServer  # noqa: E402

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LINK = re.compile(r"http://127\.0\.0\.1:\d+(/confirm/[A-Za-z0-9._%-]+)")
SECRET = "bench-secret-0123456789abcdef"

SERVER = """
import sys
from waitress import serve
from drawwatch.config import load_settings
from drawwatch.storage.db import make_engine
from drawwatch.storage.migrate import init_schema
from drawwatch.web import create_app
from drawwatch.web.security import Limiter

settings = load_settings()
engine = make_engine(settings.database_url)
init_schema(engine)
app = create_app(settings, engine, limiter=Limiter({}))
serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=int(sys.argv[2]), ident="drawwatch")
"""


class Browser:
    """One client: a keep-alive connection and the site's CSRF cookie."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        answer = self.conn.getresponse()
        text = answer.read().decode()
        cookie = answer.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return answer.status, answer.getheader("Location") or "", text

    def csrf(self, path: str) -> str:
        status, _, page = self.request("GET", path)
        found = CSRF.search(page)
        if status != 200 or not found:
            raise SystemExit(f"GET {path}: {status}, no CSRF field")
        return found[1]


def run_clients(
    count: int, concurrency: int, port: int, step: Callable[[Browser, int], float]
) -> tuple[float, list[float]]:
    """``step`` for 0..count-1 over ``concurrency`` threads; (wall seconds, POST latencies)."""
    latencies: list[float] = []
    lock = threading.Lock()
    next_index = [0]
    failures: list[str] = []

    def worker() -> None:
        browser = Browser(port)
        while True:
            with lock:
                index = next_index[0]
                next_index[0] += 1
            if index >= count:
                return
            try:
                latency = step(browser, index)
            except Exception as exc:  # reported after the run
                failures.append(repr(exc))
                return
            with lock:
                latencies.append(latency)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    if failures:
        raise SystemExit(f"{len(failures)} client(s) failed: {failures[0]}")
    return wall, latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(database_url: str, label: str, opts: argparse.Namespace) -> None:
    port = free_port()
    with SmtpServer() as smtp:
        env = child_env(
            DRAWWATCH_DATABASE_URL=database_url,
            DRAWWATCH_PUBLIC_URL=f"http://127.0.0.1:{port}",
            DRAWWATCH_SECRET_KEYS=SECRET,
            DRAWWATCH_MAIL_URL=f"mailto://127.0.0.1:{smtp.port}?mode=insecure&from=alerts@example.org",
            PYTHONPATH=str(ROOT),
        )
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(port), str(opts.threads)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    Browser(port).request("GET", "/healthz")
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(f"the server did not start: {server.communicate()[1]}") from None
                    time.sleep(0.1)

            def sign_up(browser: Browser, index: int) -> float:
                token = browser.csrf("/")
                form = {
                    "csrf": token,
                    "email": f"bench-{index}@example.org",
                    "mode": "crs",
                    "crs": str(400 + index % 200),
                    "category": "stem",
                    "language": "en" if index % 3 else "fr",
                    "action": "signup",
                }
                start = time.perf_counter()
                status, location, _ = browser.request("POST", "/", [*form.items(), ("category", "cec")])  # type: ignore[arg-type]
                latency = time.perf_counter() - start
                if status != 303 or not location.startswith("/sent"):
                    raise RuntimeError(f"sign-up {index}: {status}")
                return latency

            wall, latencies = run_clients(opts.signups, opts.concurrency, port, sign_up)
            report(label, "sign-up", opts.signups, wall, latencies)

            messages = smtp.wait_for(opts.signups, timeout=120)
            paths = [LINK.search(m.get_body(("plain",)).get_content())[1] for m in messages]  # type: ignore[index,union-attr]

            def confirm(browser: Browser, index: int) -> float:
                path = paths[index]
                token = browser.csrf(path)
                start = time.perf_counter()
                status, location, _ = browser.request("POST", path, {"csrf": token})
                latency = time.perf_counter() - start
                if status != 303 or "/manage/" not in location:
                    raise RuntimeError(f"confirm {index}: {status}")
                return latency

            wall, latencies = run_clients(len(paths), opts.concurrency, port, confirm)
            report(label, "confirm", len(paths), wall, latencies)
        finally:
            server.terminate()
            server.communicate(timeout=30)


SUMMARY: list[str] = []


def report(label: str, step: str, count: int, wall: float, latencies: list[float]) -> None:
    SUMMARY.append(f"{label} {step} {count / wall:.0f}/s")
    print(
        f"  {label:<10} {step:<8} {count / wall:8.1f} /s   POST p50 {statistics.median(latencies) * 1000:7.1f} ms"
        f"   p99 {percentile(latencies, 0.99) * 1000:7.1f} ms   ({count} in {wall:.1f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--signups", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--postgres", default=PG_DEFAULT)
    parser.add_argument("--no-postgres", action="store_true")
    opts = parser.parse_args()
    print(describe_target())
    print(load_line())
    print(
        f"{opts.signups} sign-ups then their confirmations, {opts.concurrency} clients, {opts.threads} threads"
    )
    targets: list[tuple[str | None, str]] = [(None, "sqlite")]
    if not opts.no_postgres and pg_reachable(opts.postgres):
        targets.append((opts.postgres, "postgresql"))
    elif not opts.no_postgres:
        print(f"  (PostgreSQL at {urlsplit(opts.postgres).hostname} not reachable: skipped)")
    for server_url, label in targets:
        with scratch_database(server_url, "signup") as url:
            measure(url, label, opts)
    print("summary: " + ", ".join(SUMMARY))


if __name__ == "__main__":
    main()
