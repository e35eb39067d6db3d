"""Secrets never reach output: a bad import cell that holds an apprise URL or a password is named by its file,
line and column but never quoted, and credentials in ``DRAWWATCH_FEED_URL`` are masked in everything
``check`` and ``health`` print or log and in the operator's notices (``drawwatch/domain/secrets.py``).
Also the malformed import cells that used to end in a traceback or an unnamed refusal: a 200 KB cell and a NUL
in a name."""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from drawwatch.domain.secrets import MaskingFilter, masked_text, masked_url, shown_value
from drawwatch.storage.db import session_scope
from drawwatch.storage.models import CheckRun, Subscriber, SubscriberCategory, SubscriberChannel
from tests.support.commands import Run, drawwatch
from tests.support.databases import SQLITE_ONLY
from tests.support.feed_server import FeedServer
from tests.support.feeds import feed_bytes
from tests.support.ports import closed_port
from tests.support.rows import new_subscriber
from tests.support.webhook import WebhookServer

TOKEN = "987654321:AAEhBOweik6ad9r_QXMENQjcrGbqCr4K"  # a Telegram bot token's shape
TOKEN_PART = "AAEhBOweik6ad9r"
PASSWORD = "hunter2Secret"
TGRAM = f"tgram://{TOKEN}/123456"
MAILTO = f"mailto://amira:{PASSWORD}@gmail.com?to=amira@example.org"
HEADER = "name,crs,categories,urls,submitted_at,quiet_hours,timezone\n"
GOOD = "json://127.0.0.1:9/ok"


def csv_row(**cells: str) -> str:
    """One CSV data row of HEADER with good values but ``cells``."""
    values = {"name": "Ana", "crs": "480", "categories": "stem", "urls": GOOD} | cells
    return ",".join(values.get(column, "") for column in HEADER.strip().split(",")) + "\n"


def toml_entry(**fields: str) -> str:
    """One [[subscribers]] table with good values but ``fields`` (given as TOML text)."""
    values = {"name": '"Ana"', "crs": "480", "urls": f'["{GOOD}"]'} | fields
    return "[[subscribers]]\n" + "".join(f"{key} = {value}\n" for key, value in values.items())


# (file kind, file text, what the error must say): each bad cell holds a secret that must not be echoed.
SECRET_CELLS = [
    (
        "csv",
        HEADER + csv_row(crs=TGRAM),
        "line 2: crs must be a whole number, got a tgram:// URL (not shown)",
    ),
    (
        "csv",
        HEADER + csv_row(crs=PASSWORD),
        "line 2: crs must be a whole number, got a value of 13 characters",
    ),
    ("csv", HEADER + csv_row(categories=MAILTO), "line 2: unknown category a mailto:// URL (not shown)"),
    (
        "csv",
        HEADER + csv_row(submitted_at=TGRAM),
        "line 2: submitted_at is not an ISO-8601 date and time, got a tgram:// URL",
    ),
    (
        "csv",
        HEADER + csv_row(quiet_hours=MAILTO, timezone="UTC"),
        "line 2: quiet hours must look like 22:00-07:00 (24-hour local times), got a mailto:// URL",
    ),
    (
        "csv",
        HEADER + csv_row(quiet_hours="22:00-07:00", timezone=TOKEN),
        "line 2: unknown time zone a value of 42 characters (not shown",
    ),
    (  # a row spanning lines 2-3 (a quoted line break) puts the bad row on line 4, not 3
        "csv",
        HEADER + csv_row(name='"Ana\nMaria"') + csv_row(name="Bo", crs=TGRAM, urls=GOOD + "2"),
        "line 4: crs must be a whole number, got a tgram:// URL",
    ),
    (
        "csv",
        HEADER + csv_row(name='"Ana\nMaria"', crs=TGRAM),
        "lines 2-3: crs must be a whole number, got a tgram:// URL",
    ),
    (  # an unquoted comma in a URL's query splits it: the row has too many cells
        "csv",
        HEADER + csv_row(urls=MAILTO + ",bo@example.org"),
        "line 2: 8 cells but the header has 7 columns (a cell that holds a comma must be in double quotes)",
    ),
    (
        "csv",
        HEADER.replace("timezone", TGRAM) + csv_row(),
        "unknown column(s) a tgram:// URL (not shown)",
    ),
    ("csv", HEADER + csv_row(urls="tgram://" + TOKEN_PART), "line 2: invalid Telegram URL"),
    ("toml", toml_entry(crs=f'"{TGRAM}"'), "subscriber 1: crs must be a whole number, got a tgram:// URL"),
    ("toml", toml_entry(crs=f'"{PASSWORD}"'), "subscriber 1: crs must be a whole number, got a value of 13"),
    ("toml", toml_entry(categories=f'["{MAILTO}"]'), "subscriber 1: unknown category a mailto:// URL"),
    ("toml", toml_entry(timezone=f'"{MAILTO}"'), "subscriber 1: unknown time zone a mailto:// URL"),
    ("toml", toml_entry(submitted_at=f'"{TOKEN}"'), "subscriber 1: submitted_at is not an ISO-8601"),
    ("toml", toml_entry(password=f'"{PASSWORD}"'), "subscriber 1: unknown field(s) 'password'"),
    ("toml", toml_entry(**{f'"{TGRAM}"': "1"}), "subscriber 1: unknown field(s) a tgram:// URL (not shown)"),
    ("toml", toml_entry(crs=TGRAM), "not valid TOML: Invalid value (at line 3, column 7)"),
]

# Malformed cells without a secret that used to give a traceback (csv's field limit) or a refusal that
# named no row (NUL: PostgreSQL cannot store it).
MALFORMED_CELLS = [
    (
        "csv",
        HEADER + csv_row(urls=GOOD + "x" * 200_000),
        "line 2: urls is 200,021 characters long, more than the 16,384 a cell may hold",
    ),
    (
        "toml",
        toml_entry(name='"' + "x" * 200_000 + '"'),
        "subscriber 1: name is 200,000 characters long, more than the 16,384",
    ),
    (
        "csv",
        HEADER + csv_row(name="Bo") + csv_row(name="A\x00na", urls=GOOD + "2"),
        "line 3: name must not contain control characters, got U+0000 at character 2",
    ),
    (
        "toml",
        toml_entry(name='"A\\u0000na"'),
        "subscriber 1: name must not contain control characters, got U+0000 at character 2",
    ),
]


def stored(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every subscriber row, to prove a refused import changed nothing."""
    with session_scope(engine) as session:
        return {
            model.__name__: sorted((row.model_dump() for row in session.exec(select(model))), key=repr)
            for model in (Subscriber, SubscriberCategory, SubscriberChannel)
        }


def refused_import(tmp_path: Path, engine: Engine, database_url: str, kind: str, text: str) -> Run:
    """Import ``text`` as a .csv or .toml file into a database holding one subscriber; nothing may change."""
    with session_scope(engine) as session:
        new_subscriber(session, "Zed")
    before = stored(engine)
    path = tmp_path / f"people.{kind}"
    path.write_text(text, encoding="utf-8")

    run = drawwatch("subscribers", "import", str(path), env={"DRAWWATCH_DATABASE_URL": database_url})

    assert run.code == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr, run.stderr
    assert run.stderr.startswith(f"error: {path}: "), run.stderr
    assert stored(engine) == before
    return run


@pytest.mark.slow
@SQLITE_ONLY
@pytest.mark.parametrize(("kind", "text", "message"), SECRET_CELLS, ids=lambda v: v[:40])
def test_a_bad_cell_holding_a_secret_is_named_never_quoted(
    tmp_path: Path, engine: Engine, database_url: str, kind: str, text: str, message: str
) -> None:
    run = refused_import(tmp_path, engine, database_url, kind, text)

    assert message in run.stderr, run.stderr
    for secret in (TOKEN_PART, PASSWORD, "AAEhB", "hunter2"):
        assert secret not in run.stdout + run.stderr, run.stderr


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "text", "message"), MALFORMED_CELLS, ids=lambda v: v[:40])
def test_an_over_long_cell_or_a_nul_is_refused_naming_its_row_and_column(
    tmp_path: Path, engine: Engine, database_url: str, kind: str, text: str, message: str
) -> None:
    run = refused_import(tmp_path, engine, database_url, kind, text)

    assert message in run.stderr, run.stderr
    assert len(run.stderr) < 1000  # the cell itself is not echoed


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("450", "'450'"),
        ("stme", "'stme'"),
        ("America/Toronto", "'America/Toronto'"),
        ("2026-03-01T18:34:05Z", "'2026-03-01T18:34:05Z'"),
        (True, "True"),
        (TGRAM, "a tgram:// URL (not shown)"),
        (PASSWORD, "a value of 13 characters (not shown: it may be a secret)"),
        ("x" * 33, "a value of 33 characters (not shown: it may be a secret)"),
        (["stem"], "a list"),
    ],
)
def test_only_values_of_a_harmless_shape_are_quoted(value: object, shown: str) -> None:
    assert shown_value(value) == shown


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("https://feed:s%40cret@example.org/f.json", "https://feed:***@example.org/f.json"),
        ("https://example.org/f.json?api_key=abc123&x=1", "https://example.org/f.json?api_key=***&x=1"),
        ("https://token@example.org/f.json", "https://token@example.org/f.json"),
        ("https://[::1/f.json", "<unparseable URL (not shown)>"),
    ],
)
def test_a_url_keeps_its_user_and_loses_its_password(url: str, masked: str) -> None:
    assert masked_url(url) == masked


def test_text_quoting_a_password_anywhere_is_masked() -> None:
    url = "https://feed:s%40cret99@example.org/f.json"
    text = f"GET {url}: invalid hostname: feed:s%40cret99@example.org; s@cret99 again; ftp://a:b@c"

    assert masked_text(text, [url]) == (
        "GET https://feed:***@example.org/f.json: invalid hostname: feed:***@example.org; *** again; ftp://a:***@c"
    )


def test_log_lines_and_tracebacks_quoting_the_feed_url_are_masked() -> None:
    url = "https://feed:s3cretpw@example.org/f.json"
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(MaskingFilter([url]))
    logger = logging.getLogger("tests.secrets")
    logger.addHandler(handler)
    try:
        logger.error("Error downloading <GET %s>", url)
        try:
            raise ValueError("invalid hostname: feed:s3cretpw@example.org")
        except ValueError:
            logger.exception("crawl failed")
        logger.error("nothing secret here: %d", 1)
    finally:
        logger.removeHandler(handler)

    assert out.getvalue().splitlines()[0] == "Error downloading <GET https://feed:***@example.org/f.json>"
    assert "ValueError: invalid hostname: feed:***@example.org" in out.getvalue()
    assert "s3cretpw" not in out.getvalue()
    assert out.getvalue().endswith("nothing secret here: 1\n")


# --- check and health with credentials in the feed URL ------------------------------------------------------

FEED_USER, FEED_PASSWORD = "feeduser", "S3cret/Pass:w0rd"
FEED_SECRETS = (
    FEED_PASSWORD,
    quote(FEED_PASSWORD, safe=""),
    base64.b64encode(f"{FEED_USER}:{FEED_PASSWORD}".encode()).decode(),  # the Authorization header
    "S3cret",
)


def with_credentials(url: str) -> str:
    return url.replace("http://", f"http://{FEED_USER}:{quote(FEED_PASSWORD, safe='')}@")


@pytest.fixture
def feed() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
def admin() -> Iterator[WebhookServer]:
    with WebhookServer() as hook:
        yield hook


def assert_clean(*runs: Run) -> None:
    """No form of the feed password in any output; no traceback but in the debug log of ``-vv check``."""
    for run in runs:
        for secret in FEED_SECRETS:
            assert secret not in run.stdout + run.stderr, (run.stdout, run.stderr)
        assert "DEBUG" in run.stderr or "Traceback" not in run.stderr, run.stderr


def check_and_health(env: dict[str, str]) -> tuple[Run, Run, Run, Run]:
    """``-vv check`` (every log line), ``check --json``, ``health`` and ``health --json``."""
    return (
        drawwatch("-vv", "check", env=env),
        drawwatch("check", "--json", env=env),
        drawwatch("health", env=env),
        drawwatch("health", "--json", env=env),
    )


@pytest.mark.slow
@SQLITE_ONLY
def test_check_and_health_never_show_the_feed_password(
    feed: FeedServer, admin: WebhookServer, database_url: str
) -> None:
    env = {
        "DRAWWATCH_DATABASE_URL": database_url,
        "DRAWWATCH_FEED_URL": with_credentials(feed.url),
        "DRAWWATCH_DOWNLOAD_TIMEOUT": "30",
        "DRAWWATCH_RETRY_TIMES": "0",
        "DRAWWATCH_ADMIN_URLS": admin.url(),
        "DRAWWATCH_ADMIN_FAILURE_THRESHOLD": "1",
    }
    feed.serve(feed_bytes(437))
    ok = check_and_health(env)
    feed.serve(b"<html>down</html>", status=500, content_type="text/html")
    failing = check_and_health(env)

    assert [run.code for run in ok] == [0, 0, 0, 0], ok
    assert ok[1].json()["feed_url"] in (feed.url, with_credentials(feed.url).replace(FEED_PASSWORD, "***"))
    assert [run.code for run in failing] == [1, 1, 0, 0], failing
    assert "feed server answered HTTP 500" in failing[0].stderr
    assert failing[3].json()["last_error"] == "feed server answered HTTP 500"
    assert_clean(*ok, *failing)
    notices = admin.wait_for(1)  # the outage notice names the feed, without its password
    assert any(feed.url.split("//")[1].split("/")[0] in str(notice) for notice in notices), notices
    assert not any(secret in str(notices) for secret in FEED_SECRETS), notices


@pytest.mark.slow
@SQLITE_ONLY
def test_an_unreachable_feed_and_an_old_stored_error_do_not_show_the_password(
    engine: Engine, database_url: str
) -> None:
    url = with_credentials(f"http://127.0.0.1:{closed_port()}/feed.json")
    env = {"DRAWWATCH_DATABASE_URL": database_url, "DRAWWATCH_FEED_URL": url, "DRAWWATCH_RETRY_TIMES": "0"}

    refused = check_and_health(env)
    with session_scope(engine) as session:  # as a version that fetched the URL as given stored its error
        last = session.exec(select(CheckRun).order_by(col(CheckRun.id).desc())).first()
        assert last is not None
        last.error = f"feed download failed: ValueError: invalid hostname: {url.split('//')[1].split('/')[0]}"
    old_error = (drawwatch("health", env=env), drawwatch("health", "--json", env=env))

    assert [run.code for run in refused] == [1, 1, 1, 1], refused
    assert "The feed could not be reached at http://" in refused[0].stderr
    assert "feed server refused the connection" in refused[3].json()["last_error"]
    assert "invalid hostname: feeduser:***@127.0.0.1" in old_error[1].json()["last_error"]
    assert "last check failed: feed download failed" in old_error[0].stdout
    assert_clean(*refused, *old_error)
