"""The sign-up site in a real browser against the real server: ``drawwatch serve`` (waitress) on 127.0.0.1
with a local SMTP server (aiosmtpd). Headless Chromium fills the sign-up form with the calculator, sees the
score breakdown, signs up, the confirmation mail arrives, the browser opens its link, presses the confirm
button and lands on the manage page: in English and in French, at 1280 px and 390 px wide. Screenshots of
every page go to artifacts/ (web-<language>-<width>-<page>.png) for a person to look at."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.support.browser import ARTIFACTS, CHROMIUM, Chromium
from tests.support.commands import background, drawwatch
from tests.support.databases import open_engine
from tests.support.feed_server import FeedServer
from tests.support.feeds import feed_body, with_new_rounds
from tests.support.ports import free_port
from tests.support.rows import ingest
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.slow

LINK = re.compile(r"http://127\.0\.0\.1:\d+/confirm/[A-Za-z0-9._%-]+")
PROFILE = {
    "p_age": "29",
    "p_education": "masters",
    "p_l1_test": "celpip",
    "p_l1_listening": "9",
    "p_l1_reading": "9",
    "p_l1_writing": "8",
    "p_l1_speaking": "9",
    "p_l2_test": "tef",
    "p_l2_listening": "420",
    "p_l2_reading": "400",
    "p_l2_writing": "410",
    "p_l2_speaking": "420",
    "p_canadian_work_years": "2",
    "p_foreign_work_years": "3",
    "noc_1": "21231",
    "months_1": "26",
}


class Site(NamedTuple):
    url: str
    smtp: SmtpServer
    env: dict[str, str]  # what points drawwatch at the site's database, mail server and keys


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    base = tmp_path_factory.mktemp("web-browser")
    database = f"sqlite:///{base / 'drawwatch.db'}"
    with open_engine(database) as engine:
        ingest(engine, 437)  # IRCC's rounds up to #437, so the manage page has a backtest to show
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with SmtpServer() as smtp:
        env = {
            "DRAWWATCH_DATABASE_URL": database,
            "DRAWWATCH_PUBLIC_URL": url,
            "DRAWWATCH_SECRET_KEYS": "browser-test-secret-0123456789",
            "DRAWWATCH_MAIL_URL": f"mailto://127.0.0.1:{smtp.port}?mode=insecure&from=alerts@example.org",
        }
        with background(env, "serve", "--port", str(port), "--threads", "4") as proc:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                        assert answer.read() == b"ok\n"
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(
                            f"drawwatch serve did not start: {proc.communicate()[1]}"
                        ) from None
                    time.sleep(0.1)
            yield Site(url, smtp, env)
            proc.terminate()
            _, stderr = proc.communicate(timeout=30)
            assert proc.returncode == 0, stderr
            assert "@example.org" not in stderr and "/confirm/" not in stderr  # nothing personal logged


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)")
    base = tmp_path_factory.mktemp("chromium")
    browser = Chromium(CHROMIUM, base / "profile", base / "chromium.log")
    try:
        yield browser
    finally:
        browser.close()


def fill(browser: Chromium, values: dict[str, Any]) -> None:
    browser.evaluate(
        "(() => { const values = " + json.dumps(values) + ";"
        " for (const [name, value] of Object.entries(values)) {"
        "  const field = document.querySelector(`[name='${name}']`);"
        "  if (field.type === 'checkbox') field.checked = !!value; else field.value = value; }"
        " document.querySelector(\"input[name='mode'][value='profile']\").checked = true; })()"
    )


def press(browser: Chromium, selector: str) -> None:
    browser.click(selector)
    browser.wait_for("Page.loadEventFired")


def shot(browser: Chromium, language: str, width: int, page: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"web-{language}-{width}-{page}.png"
    browser.screenshot(path, height=4000)
    return path


def text_of(browser: Chromium) -> str:
    return str(browser.evaluate("document.body.innerText"))


def mails_to(smtp: SmtpServer, address: str, count: int = 1) -> list[Message]:
    """The first ``count`` mails to ``address``, once they arrived."""

    def to_them(envelopes: list[Any]) -> list[Message]:
        return [e.message for e in envelopes if address in ",".join(e.rcpt_tos)]

    return to_them(smtp.envelopes.wait_until(lambda got: len(to_them(got)) >= count, timeout=15))[:count]


def confirmation_link(smtp: SmtpServer, address: str) -> str:
    (mail,) = mails_to(smtp, address)
    body = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = LINK.search(body)
    assert link, body
    return link[0]


@pytest.mark.parametrize(("language", "width"), [("en", 1280), ("en", 390), ("fr", 1280), ("fr", 390)])
def test_sign_up_with_the_calculator_confirm_by_mail_and_land_on_the_manage_page(
    server: Site, chromium: Chromium, language: str, width: int
) -> None:
    url, smtp, _ = server
    address = f"browser-{language}-{width}@example.org"
    words = {
        "en": ("Your score:", "Check your inbox", "Confirm your sign-up", "Alerts are on", "Past rounds"),
        "fr": (
            "Votre score :",
            "Consultez votre boîte",
            "Confirmez votre inscription",
            "Les alertes sont actives",
            "Rondes passées",
        ),
    }[language]
    chromium.open_page(width, 900, mobile=width < 500)
    chromium.navigate(f"{url}/?lang={language}")
    shot(chromium, language, width, "signup")
    assert chromium.evaluate("document.documentElement.lang") == language
    assert chromium.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling

    fill(chromium, {**PROFILE, "language": language})
    press(chromium, "button[value='calculate']")
    assert words[0] in text_of(chromium)
    total = int(re.search(r"(\d+)", text_of(chromium).split(words[0], 1)[1])[1])  # type: ignore[index]
    shot(chromium, language, width, "score")

    fill(chromium, {"email": address, "category": True})
    press(chromium, "#signup")
    assert words[1] in text_of(chromium)
    shot(chromium, language, width, "sent")

    link = confirmation_link(smtp, address)
    chromium.navigate(link)
    assert words[2] in text_of(chromium)
    shot(chromium, language, width, "confirm")
    press(chromium, "#confirm")

    page = text_of(chromium)
    assert words[3] in page and address in page and words[4] in page
    assert f'value="{PROFILE["p_age"]}"' in chromium.evaluate("document.documentElement.outerHTML")
    assert str(total) in page
    assert chromium.evaluate("document.querySelectorAll('#backtest tbody tr').length") == 10
    shot(chromium, language, width, "manage")
    assert chromium.evaluate("document.documentElement.scrollWidth") <= width
    chromium.navigate(f"{url}/privacy?lang={language}")
    shot(chromium, language, width, "privacy")
    assert chromium.problems() == []
    outside = [r for r in chromium.requests() if not r.startswith((url, "data:", "about:"))]
    assert outside == []


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_confirmed_subscriber_gets_one_alert_and_unsubscribes_in_one_click(
    server: Site, chromium: Chromium, language: str
) -> None:
    """Issue 14's whole way: sign up in the browser, confirm from the mail, a matching round, ``check``; the
    alert arrives once with both List-Unsubscribe headers; a GET of the one-click link (a link scanner)
    unsubscribes nobody, the POST a mail provider sends does; the next matching round sends nothing."""
    url, smtp, env = server
    address = f"one-click-{language}@example.org"
    score_label, active_label, greeting, confirm_page = {
        "en": ("Your score:", "Alerts are on", "Hello", "Unsubscribe"),
        "fr": ("Votre score :", "Les alertes sont actives", "Bonjour", "désabonner"),
    }[language]
    chromium.open_page(1280, 900)
    chromium.navigate(f"{url}/?lang={language}")
    fill(chromium, {**PROFILE, "language": language})
    press(chromium, "button[value='calculate']")
    total = int(re.search(r"(\d+)", text_of(chromium).split(score_label, 1)[1])[1])  # type: ignore[index]
    fill(chromium, {"email": address})
    press(chromium, "#signup")
    chromium.navigate(confirmation_link(smtp, address))
    press(chromium, "#confirm")
    assert active_label in text_of(chromium)

    def rounds(up_to: int) -> bytes:  # general rounds #438…up_to after #437, 10 points under the score
        document = with_new_rounds(437, [str(n) for n in range(438, up_to + 1)])
        for entry in document["rounds"][: up_to - 437]:
            entry.update(drawName="No Program Specified", drawCRS=str(total - 10))
        return feed_body(document)

    stored = drawwatch("draws", "list", "--limit", "1", "--json", env=env).json()
    first = int(stored[0]["number"]) + 1  # the tests share a database: each adds rounds of its own

    with FeedServer() as feed:
        run_env = {**env, "DRAWWATCH_FEED_URL": feed.url}
        feed.serve(rounds(first))
        checked = drawwatch("check", "--json", env=run_env)
        assert checked.code == 0, checked.stderr
        assert [r["number"] for r in checked.json()["new_rounds"]] == [str(first)]
        (alert,) = [m for m in mails_to(smtp, address, 2) if "/confirm/" not in str(m)]
        assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        header = alert["List-Unsubscribe"]
        assert header.startswith(f"<{url}/unsubscribe/") and header.endswith(">")
        one_click = header[1:-1]
        text = alert.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert one_click in text and text.startswith(greeting)  # the footer's link; the subscriber's language

        def active() -> bool:
            listed = drawwatch("subscribers", "list", "--json", env=run_env).json()
            (me,) = [s for s in listed if any(address in u for u in s["urls"]) or s["name"] == address]
            return bool(me["active"])

        with urllib.request.urlopen(one_click, timeout=10) as page:  # what a link scanner does
            shown = page.read().decode()
            assert page.status == 200 and "<form" in shown and confirm_page in shown
        assert active()
        request = urllib.request.Request(one_click, data=b"List-Unsubscribe=One-Click", method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        with urllib.request.urlopen(request, timeout=10) as answer:  # what Gmail sends (RFC 8058)
            assert answer.status == 200
        assert not active()

        feed.serve(rounds(first + 1))
        again = drawwatch("check", "--json", env=run_env)
        assert again.code == 0, again.stderr
        assert [r["number"] for r in again.json()["new_rounds"]] == [str(first + 1)]
    # check delivers before it exits, and the SMTP peer records a mail before it accepts it: all are here
    assert (
        len([e for e in smtp.envelopes.snapshot() if address in ",".join(e.rcpt_tos)]) == 2
    )  # confirm, alert
