"""The crawl of one poll, hardened: only the Scrapy extensions it needs, redirects kept on the configured feed's
site unless the operator allows the host, and credentials in the feed URL sent as a header, never shown.

The crawls run the real command line against the local feed server (a second one, or a TLS one, plays the
other site).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from scrapy.settings import Settings as ScrapySettings
from scrapy.utils.conf import build_component_list

from drawwatch.config import Settings
from drawwatch.scrapers.credentials import authorization_header, public_url, split_credentials
from drawwatch.scrapers.middlewares import Site, redirect_refusal
from drawwatch.scrapers.settings import crawler_settings
from drawwatch.storage.models import Round
from tests.support.commands import ROOT, Run, clean_env, drawwatch
from tests.support.databases import count_rows, open_engine
from tests.support.feed_server import FEED_PATH, FeedServer
from tests.support.feeds import feed_bytes

NEEDED_EXTENSIONS = ["scrapy.extensions.corestats.CoreStats", "scrapy.extensions.closespider.CloseSpider"]


def poll_settings() -> ScrapySettings:
    return ScrapySettings(crawler_settings(user_agent="t", download_timeout=5, retry_times=0, max_rejected=2))


# --- extensions -------------------------------------------------------------------------------------------


def test_only_the_stats_and_closespider_extensions_are_built() -> None:
    built = build_component_list(poll_settings().getwithbase("EXTENSIONS"))
    assert sorted(built) == sorted(NEEDED_EXTENSIONS)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("REMOTE_CONTROL_ENABLED", False),
        ("TELNETCONSOLE_ENABLED", False),
        ("MEMUSAGE_ENABLED", False),
        ("MEMDEBUG_ENABLED", False),
        ("AUTOTHROTTLE_ENABLED", False),
        ("LOGSTATS_INTERVAL", 0),
    ],
)
def test_the_unneeded_extensions_are_switched_off_too(setting: str, value: object) -> None:
    assert poll_settings()[setting] == value


CRAWL_SCRIPT = """
import json, sys
import scrapy.extension
from drawwatch.app.runtime import run_on_reactor
from drawwatch.scrapers.fetch import fetch_feed

built, out = [], {}
original = scrapy.extension.ExtensionManager.__init__
def spy(self, *extensions, **kwargs):
    built.extend(type(e).__module__ + "." + type(e).__name__ for e in extensions)
    original(self, *extensions, **kwargs)
scrapy.extension.ExtensionManager.__init__ = spy

async def main():
    result = await fetch_feed(sys.argv[1], user_agent="t", download_timeout=10, retry_times=0, max_rejected=2)
    out.update(error=result.error, rounds=len(result.rounds))
    return 0

run_on_reactor(main)
out["extensions"] = sorted(built)
out["imported"] = sorted(m for m in sys.modules if m.split(".")[0] == "aiohttp" or "remote_control" in m)
print(json.dumps(out))
"""


@pytest.mark.slow
def test_a_crawl_starts_no_other_extension_and_imports_no_aiohttp() -> None:
    with FeedServer() as server:
        server.serve(feed_bytes(437))
        proc = subprocess.run(
            [sys.executable, "-c", CRAWL_SCRIPT, server.url],
            env=clean_env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert (out["error"], out["rounds"]) == (None, 438)
    assert out["extensions"] == sorted(NEEDED_EXTENSIONS)
    assert out["imported"] == []


# --- redirects: the decision ------------------------------------------------------------------------------

FEED = "https://www.canada.ca/content/dam/ircc/documents/json/ee_rounds_123_en.json"


@pytest.mark.parametrize(
    ("target", "allowed", "refused_because"),
    [
        ("https://www.canada.ca/other/path.json?x=1", (), None),
        ("https://WWW.Canada.CA:443/content/moved.json", (), None),  # case and default port do not matter
        ("https://evil.example/feed.json?token=abc", (), "another host, evil.example;"),
        ("https://cdn.canada.ca/feed.json", ("cdn.canada.ca",), None),
        ("https://cdn.canada.ca:8443/feed.json", ("cdn.canada.ca",), None),  # an allowed host, any port
        ("https://www.canada.ca:8443/feed.json", (), "another port, www.canada.ca:8443;"),
        ("http://www.canada.ca/feed.json", (), "from https to plain http (www.canada.ca)"),
        ("http://www.canada.ca/feed.json", ("www.canada.ca",), "from https to plain http"),  # never allowed
        ("ftp://www.canada.ca/feed.json", ("www.canada.ca",), "an unsupported ftp: URL"),
    ],
)
def test_which_redirects_are_followed(
    target: str, allowed: tuple[str, ...], refused_because: str | None
) -> None:
    refusal = redirect_refusal(Site.of(FEED), target, allowed)
    if refused_because is None:
        assert refusal is None
    else:
        assert refusal is not None and refused_because in refusal
        assert "?" not in refusal and "/feed.json" not in refusal  # the host, never the URL


def test_http_to_https_is_refused_with_the_setting_to_change() -> None:
    refusal = redirect_refusal(Site.of("http://feeds.example/f.json"), "https://feeds.example/f.json", ())
    assert refusal == (
        "the feed server redirected from http to https (feeds.example); set DRAWWATCH_FEED_URL to the https address"
    )


# --- redirects: real crawls ---------------------------------------------------------------------------------


@pytest.fixture
def sites() -> Iterator[tuple[FeedServer, FeedServer, FeedServer]]:
    """The configured site, another site on another port, and a TLS site."""
    with FeedServer() as home, FeedServer() as other, FeedServer(tls=True) as secure:
        yield home, other, secure


def rounds_stored(database_url: str) -> int:
    with open_engine(database_url) as engine:
        return count_rows(engine, Round)


def failure_line(run: Run) -> str:
    """The check's one error line; the whole output must hold no traceback."""
    assert run.code == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, run.stderr
    return lines[0]


# (where the feed redirects to: home, other or secure site and path; the setting; None: followed, else the
# words that the one error line must hold)
REDIRECTS = {
    "same site, other path": ("home", "/moved/rounds.json", "", None),
    "same site, 301": ("home", "/moved/rounds.json#301", "", None),
    "other host": ("home@localhost", FEED_PATH, "", "another host, localhost;"),
    "other port": ("other", FEED_PATH, "", "another port, 127.0.0.1:"),
    "other port, host allowed": ("other", FEED_PATH, "127.0.0.1", None),
    "allowed host": ("other@localhost", FEED_PATH, "localhost, cdn.example.org", None),
    "https to http": ("secure>other", FEED_PATH, "127.0.0.1", "from https to plain http (127.0.0.1)"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(REDIRECTS))
def test_a_redirect_off_the_site_fails_the_check_and_changes_nothing(
    case: str, sites: tuple[FeedServer, FeedServer, FeedServer], tmp_path: Path
) -> None:
    home, other, secure = sites
    where, path, allowed, refused_because = REDIRECTS[case]
    start = secure if where.startswith("secure") else home
    target_server = {"home": home, "other": other}[where.split(">")[-1].split("@")[0]]
    host = where.split("@")[1] if "@" in where else "127.0.0.1"
    path, _, status = path.partition("#")
    for server in sites:
        server.serve(feed_bytes(434))
    env = {
        "DRAWWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'dw.db'}",
        "DRAWWATCH_FEED_URL": start.url,
        "DRAWWATCH_DOWNLOAD_TIMEOUT": "10",
        "DRAWWATCH_RETRY_TIMES": "0",
        "DRAWWATCH_ALLOWED_REDIRECT_HOSTS": allowed,
    }
    first = drawwatch("check", "--no-deliver", env=env)
    assert first.code == 0, first.stderr
    before = rounds_stored(env["DRAWWATCH_DATABASE_URL"])

    # The feed moves behind a redirect; wherever it points, a newer copy (#435-#437) waits.
    for server in sites:
        server.serve(feed_bytes(437))
    start.state.redirect_to = (
        f"{target_server.base_url.replace('127.0.0.1', host)}{path}?token=SECRET-IN-QUERY"
    )
    start.state.redirect_status = int(status or 302)
    run = drawwatch("check", "--no-deliver", env=env)

    assert "SECRET-IN-QUERY" not in run.stdout + run.stderr
    if refused_because is None:
        assert run.code == 0, run.stderr
        assert "3 new round(s)" in run.stdout
        assert len(target_server.requests.snapshot()) >= 1
        return
    line = failure_line(run)
    assert refused_because in line
    assert "http://" not in line and "https://" not in line
    assert "could not be reached" not in run.stderr  # it answered, with a redirect
    assert rounds_stored(env["DRAWWATCH_DATABASE_URL"]) == before  # the newer copy's 3 not taken
    if target_server is not start:
        assert target_server.requests.snapshot() == []  # not even asked


# --- credentials in the feed URL ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "public", "credentials"),
    [
        (FEED, FEED, None),
        (
            "https://ana:pw@feeds.example:8443/f.json?a=1",
            "https://feeds.example:8443/f.json?a=1",
            ("ana", "pw"),
        ),
        (
            "https://ana%40x.org:p%3Aw%20d%40@feeds.example/f",
            "https://feeds.example/f",
            ("ana@x.org", "p:w d@"),
        ),
        ("http://token@feeds.example/f", "http://feeds.example/f", ("token", "")),
        ("file:///srv/feed.json", "file:///srv/feed.json", None),
    ],
)
def test_credentials_are_taken_out_of_the_url(
    url: str, public: str, credentials: tuple[str, str] | None
) -> None:
    assert split_credentials(url) == (public, credentials)
    assert public_url(url) == public
    assert (authorization_header(url) is None) == (credentials is None)


USER, PASSWORD = "ana", "s3cret:p@ss wörd"
ENCODED_PASSWORD = "s3cret%3Ap%40ss%20w%C3%B6rd"


@pytest.mark.slow
def test_a_feed_behind_basic_auth_is_fetched_and_the_password_never_shown(
    sites: tuple[FeedServer, FeedServer, FeedServer], tmp_path: Path
) -> None:
    home, other, _ = sites
    home.serve(feed_bytes(437))
    other.serve(feed_bytes(437))
    home.state.basic_auth = (USER, PASSWORD)
    database = tmp_path / "dw.db"
    url = home.url.replace("http://", f"http://{USER}:{ENCODED_PASSWORD}@")
    env = {
        "DRAWWATCH_DATABASE_URL": f"sqlite:///{database}",
        "DRAWWATCH_FEED_URL": url,
        "DRAWWATCH_RETRY_TIMES": "0",
        "DRAWWATCH_ALLOWED_REDIRECT_HOSTS": "localhost",
    }
    secrets = (PASSWORD, ENCODED_PASSWORD, authorization_header(url) or "", "s3cret")

    runs = [drawwatch("-vv", "check", "--no-deliver", env=env)]  # -vv: Scrapy's own debug log lines too
    assert runs[0].code == 0, runs[0].stderr
    assert "First check: recorded 438" in runs[0].stdout
    assert f"GET {home.url}>" in runs[0].stderr  # Scrapy's log names the URL without credentials
    assert all(r.headers.get("authorization") for r in home.requests.snapshot())
    runs += [drawwatch("health", env=env), drawwatch("health", "--json", env=env)]
    assert runs[1].code == 0 and runs[1].stdout.startswith("healthy"), runs[1].stdout + runs[1].stderr

    # The credentials go to the feed's site only: not to a host it redirects to, even an allowed one.
    home.state.redirect_to = f"http://localhost:{other.port}{FEED_PATH}"
    runs.append(drawwatch("check", "--no-deliver", env=env))
    assert runs[-1].code == 0, runs[-1].stderr
    assert [r.headers.get("authorization") for r in other.requests.snapshot()] == [None]

    # A wrong password: one line with the server's answer, no password either.
    home.state.redirect_to = None
    home.state.basic_auth = (USER, "another")
    runs.append(drawwatch("check", "--no-deliver", env=env))
    assert "feed server answered HTTP 401" in failure_line(runs[-1])

    for run in runs:
        for secret in secrets:
            assert secret not in run.stdout + run.stderr
    for file in tmp_path.glob("dw.db*"):  # the checks are keyed by the URL without credentials
        assert (
            PASSWORD.encode() not in file.read_bytes() and ENCODED_PASSWORD.encode() not in file.read_bytes()
        )


# --- the settings -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "hosts"),
    [
        ("", []),
        ("cdn.example.org", ["cdn.example.org"]),
        (" CDN.example.org , 127.0.0.1,,[::1]", ["cdn.example.org", "127.0.0.1", "::1"]),
    ],
)
def test_allowed_redirect_hosts_are_read_from_a_comma_separated_list(value: str, hosts: list[str]) -> None:
    assert Settings(allowed_redirect_hosts=value).allowed_redirect_hosts == hosts


@pytest.mark.parametrize(
    "value", ["https://cdn.example.org", "cdn.example.org:8443", "cdn.example.org/feeds"]
)
def test_an_allowed_redirect_host_must_be_a_bare_host(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(allowed_redirect_hosts=value)
    assert caught.value.errors()[0]["msg"].endswith(f"got {value!r}")


def test_a_feed_url_refused_for_its_scheme_does_not_echo_its_password() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(feed_url="ftp://ana:hunter2@feeds.example/f.json")
    message = caught.value.errors()[0]["msg"]  # what the command line prints (cli.base.friendly_errors)
    assert "hunter2" not in message
    assert message.endswith("got 'ftp://…'")


@pytest.mark.slow
def test_a_meta_refresh_off_the_site_is_refused_too(tmp_path: Path) -> None:
    with FeedServer() as home, FeedServer() as other:
        other.serve(feed_bytes(437))
        page = f'<html><head><meta http-equiv="refresh" content="0;url={other.url}"></head></html>'
        home.serve(page.encode(), content_type="text/html")
        env = {"DRAWWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'dw.db'}", "DRAWWATCH_FEED_URL": home.url}
        run = drawwatch("check", "--no-deliver", env=env)
        assert "another port, 127.0.0.1:" in failure_line(run)
        assert other.requests.snapshot() == []
