"""The sign-up form through Flask's test client, on SQLite and PostgreSQL: double opt-in (an inactive record
and one confirmation mail), bad input refused with a clear message and nothing stored, CSRF, the honeypot,
the same answer for known and new addresses, rate limits (with a clock moved by hand) and French pages."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import Engine

from drawwatch.domain.crs import parse_profile, score
from drawwatch.storage.db import session_scope
from drawwatch.storage.models import Signup, Subscriber, SubscriberChannel
from drawwatch.storage.reminders import reminder_state
from drawwatch.storage.signup import find_signup
from drawwatch.storage.subscribers import list_subscribers, score_state
from drawwatch.web.security import Limit, Limiter
from tests.support.databases import SQLITE_ONLY, count_rows
from tests.support.web import (
    CALCULATOR,
    MAIL_URL,
    Clock,
    csrf_of,
    make_site,
    post_signup,
    signup_fields,
    web_settings,
)


def stored(engine: Engine) -> tuple[int, int, int]:
    return count_rows(engine, Subscriber), count_rows(engine, Signup), count_rows(engine, SubscriberChannel)


def test_a_sign_up_stores_an_inactive_subscriber_and_sends_one_confirmation_mail(engine: Engine) -> None:
    app, mailer = make_site(engine)
    client = app.test_client()

    response = post_signup(client, email="Ana@Example.org", category="stem", noc_1="21231", months_1="14")

    assert response.status_code == 303 and response.headers["Location"] == "/sent?lang=en"
    with session_scope(engine) as session:
        (view,) = list_subscribers(session)
        signup = find_signup(session, "ana@example.org")
        assert list_subscribers(session, active=True) == []  # the alert queue only takes active ones
    assert signup is not None and signup.confirmed_at is None and signup.mails_sent == 1
    assert not view.active and view.crs == 480 and "stem" in view.categories
    assert [channel.url for channel in view.channels] == [MAIL_URL + "&to=ana@example.org"]
    (mail,) = mailer.sent
    assert mail.to == "ana@example.org" and mail.url == view.channels[0].url
    assert "/confirm/" in mail.link and mail.link.startswith("http://drawwatch.test/")
    assert "Confirm" in mail.message.subject and mail.link in mail.message.html
    page = client.get("/sent").get_data(as_text=True)
    assert "Check your inbox" in page


BAD_INPUT = [
    ("malformed address", {"email": "ana.example.org"}, "not an e-mail address"),
    ("two at signs", {"email": "ana@@example.org"}, "the part before @ may hold"),
    ("address with a comma", {"email": "ana@example.org,eve@example.org"}, "the part before @ may hold"),
    ("bad domain", {"email": "ana@example"}, "must be a domain name"),
    ("no address", {"email": ""}, "an e-mail address is required"),
    ("CRS 2000", {"crs": "2000"}, "crs must be between 0 and 1200, got 2000"),
    ("CRS in words", {"crs": "lots"}, "CRS score: must be a whole number"),
    ("no CRS", {"crs": ""}, "CRS score"),
    ("unknown category", {"category": "astronauts"}, "unknown category 'astronauts'"),
    ("oversize field", {"timezone": "A" * 500}, "is too long (at most 64 characters)"),
    ("oversize address", {"email": "a" * 300 + "@example.org"}, "is too long (at most 254 characters)"),
    ("bad NOC code", {"noc_1": "2123", "months_1": "5"}, "noc must be a 5-digit NOC 2021 code"),
    ("NOC without months", {"noc_1": "21231"}, "give the months with the code"),
    ("quiet hours, one end", {"quiet_from": "22:00"}, "give both times, or neither"),
    ("quiet hours, no zone", {"quiet_from": "22:00", "quiet_to": "07:00"}, "time zone"),
    ("unknown time zone", {"timezone": "Mars/Olympus"}, "Mars/Olympus"),
    ("unknown language", {"language": "de"}, "choose English or French"),
    ("calculator: bad score", {**CALCULATOR, "p_l1_listening": "9.5"}, "first_language.scores.listening"),
    ("calculator: no age", {**CALCULATOR, "p_age": ""}, "give either age"),
    ("calculator: bad date", {**CALCULATOR, "p_birth_date": "1996-13-40"}, "must be a date (YYYY-MM-DD)"),
    ("calculator: age 12", {**CALCULATOR, "p_age": "12"}, "age: 12 is not allowed"),
]


@pytest.mark.parametrize(
    ("fields", "message"), [case[1:] for case in BAD_INPUT], ids=[c[0] for c in BAD_INPUT]
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_stored(
    engine: Engine, fields: dict[str, str], message: str
) -> None:
    app, mailer = make_site(engine)
    client = app.test_client()
    post_signup(client, email="known@example.org")
    before = stored(engine)

    response = post_signup(client, **fields)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message.replace("'", "&#39;") in page
    assert 'role="alert"' in page
    assert stored(engine) == before
    assert len(mailer.sent) == 1  # the first sign-up's


def test_a_form_without_its_csrf_token_or_with_a_forged_one_is_refused(engine: Engine) -> None:
    app, mailer = make_site(engine)
    client = app.test_client()
    csrf_of(client)  # the cookie is set

    missing = client.post("/", data=signup_fields())
    forged = client.post("/", data={"csrf": "forged.token.value", **signup_fields()})
    other_browser = app.test_client()
    stolen = other_browser.post("/", data={"csrf": csrf_of(client), **signup_fields()})

    for response in (missing, forged, stolen):
        assert response.status_code == 400
        assert "did not come from this site" in response.get_data(as_text=True)
    assert stored(engine) == (0, 0, 0) and mailer.sent == []


def test_a_filled_honeypot_creates_nothing_and_answers_like_success(engine: Engine) -> None:
    app, mailer = make_site(engine)
    client = app.test_client()

    bot = post_signup(client, website="http://spam.example")
    person = post_signup(client, email="bob@example.org")

    assert bot.status_code == person.status_code == 303
    assert bot.headers["Location"] == person.headers["Location"]
    assert stored(engine) == (1, 1, 1)
    assert [m.to for m in mailer.sent] == ["bob@example.org"]


def test_a_known_address_gets_the_same_answer_and_no_second_record(engine: Engine) -> None:
    app, mailer = make_site(engine)
    client = app.test_client()
    post_signup(client, email="ana@example.org", crs="480")
    before = stored(engine)

    known = post_signup(client, email="ANA@example.org", crs="300")
    new = post_signup(client, email="carl@example.org", crs="300")

    assert (known.status_code, known.headers["Location"]) == (new.status_code, new.headers["Location"])
    assert known.get_data() == new.get_data()
    assert client.get(known.headers["Location"]).get_data() == client.get(new.headers["Location"]).get_data()
    assert stored(engine) == (before[0] + 1, before[1] + 1, before[2] + 1)  # only carl was added
    with session_scope(engine) as session:
        ana = find_signup(session, "ana@example.org")
        assert ana is not None
        assert next(v for v in list_subscribers(session) if v.id == ana.subscriber_id).crs == 480  # unchanged
    # Ana (unconfirmed) gets a fresh confirmation link, within the rate limit.
    assert [m.to for m in mailer.sent] == ["ana@example.org", "ana@example.org", "carl@example.org"]


def test_fifty_sign_ups_for_one_address_in_a_minute_are_rate_limited(engine: Engine) -> None:
    clock = Clock()
    limiter = Limiter(
        {
            "signup_ip": Limit(1000, 600),
            "signup_address": Limit(5, 3600),
            "mail_address": Limit(3, 3600),
            "mail_all": Limit(1000, 3600),
        },
        clock,
    )
    app, mailer = make_site(engine, limiter=limiter)
    client = app.test_client()

    statuses = []
    for _ in range(50):
        statuses.append(post_signup(client, email="ana@example.org").status_code)
        clock.advance(1)

    assert statuses[:5] == [303] * 5 and statuses[5:] == [429] * 45
    limited = post_signup(client, email="ana@example.org")
    assert "Too many attempts" in limited.get_data(as_text=True)
    assert len(mailer.sent) == 3  # the per-address mail limit
    assert stored(engine) == (1, 1, 1)
    clock.advance(3600)
    assert post_signup(client, email="ana@example.org").status_code == 303
    assert len(mailer.sent) == 4


@SQLITE_ONLY  # the form and the site's answers; storage is tested on both by the tests above
def test_sign_ups_from_one_client_are_rate_limited_whatever_the_address(engine: Engine) -> None:
    clock = Clock()
    app, _ = make_site(engine, limiter=Limiter({"signup_ip": Limit(3, 600)}, clock))
    client = app.test_client()

    statuses = [post_signup(client, email=f"p{n}@example.org").status_code for n in range(5)]

    assert statuses == [303, 303, 303, 429, 429]
    assert count_rows(engine, Signup) == 3


def test_the_calculator_shows_the_breakdown_and_a_sign_up_with_it_stores_the_profile(engine: Engine) -> None:
    app, mailer = make_site(engine)
    client = app.test_client()
    expected = score(
        parse_profile(
            {
                "age": 30,
                "education": "masters",
                "first_language": {
                    "test": "ielts",
                    "scores": {"listening": 8, "reading": 7, "writing": 7, "speaking": 7.5},
                },
                "canadian_work_years": 1,
                "foreign_work_years": 3,
            }
        ),
        __import__("datetime").date.today(),
    )

    shown = post_signup(client, crs="", action="calculate", **CALCULATOR)

    page = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert f"Your score: {expected.total}" in page and "Skill transferability" in page
    assert stored(engine) == (0, 0, 0)

    post_signup(client, crs="", **CALCULATOR)

    with session_scope(engine) as session:
        (view,) = list_subscribers(session)
        state = score_state(session, view.id)
    assert state is not None and state.profile is not None and state.crs == expected.total
    assert state.score_rules == expected.rules.id
    assert len(mailer.sent) == 1


def test_french_pages_and_mail(engine: Engine) -> None:
    app, mailer = make_site(engine)
    client = app.test_client()

    page = client.get("/?lang=fr").get_data(as_text=True)
    assert '<html lang="fr">' in page and "Adresse courriel" in page and "Calculateur SCG" in page
    browser_french = client.get("/", headers={"Accept-Language": "fr-CA,fr;q=0.9"}).get_data(as_text=True)
    assert '<html lang="fr">' in browser_french
    refused = post_signup(client, email="pas une adresse", language="fr", crs="2000", category="astronautes")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Adresse courriel : ce n&#39;est pas une adresse courriel" in page
    assert "Score SCG : doit être entre 0 et 1200, reçu 2000" in page
    assert "catégorie inconnue &#39;astronautes&#39;" in page

    done = post_signup(client, email="zoe@example.org", language="fr")

    assert done.headers["Location"] == "/sent?lang=fr"
    assert "Consultez votre boîte de réception" in client.get(done.headers["Location"]).get_data(as_text=True)
    (mail,) = mailer.sent
    assert mail.message.subject == "Confirmez vos alertes des rondes d'Entrée express"
    assert "Pour confirmer" in mail.message.text
    assert '<html lang="fr">' in client.get("/privacy?lang=fr").get_data(as_text=True)


@SQLITE_ONLY  # the form and the site's answers; storage is tested on both by the tests above
def test_an_oversize_request_body_is_refused(engine: Engine) -> None:
    app, _ = make_site(engine)
    client = app.test_client()
    token = csrf_of(client)

    response = client.post("/", data={"csrf": token, **signup_fields(), "pad": "x" * 100_000})

    assert response.status_code == 413 and "too large" in response.get_data(as_text=True)
    assert stored(engine) == (0, 0, 0)


@SQLITE_ONLY  # the form and the site's answers; storage is tested on both by the tests above
def test_no_address_link_or_secret_reaches_the_logs(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    app, mailer = make_site(engine)
    client = app.test_client()

    post_signup(client, email="secret.person@example.org")
    (mail,) = mailer.sent
    client.get(mail.link.removeprefix("http://drawwatch.test"))

    text = caplog.text
    assert "secret.person" not in text and mail.link.rsplit("/", 1)[1] not in text


HOSTILE = [
    ("NUL in the address", {"email": "ana\x00@example.org"}, "the part before @ may hold"),
    ("NUL in the time zone", {"timezone": "America/\x00Toronto"}, "time zone"),
    ("a path as time zone", {"timezone": "../../../etc/passwd"}, "time zone"),
    ("a huge CRS", {"crs": "9" * 40}, "crs must be between 0 and 1200"),
    ("a negative CRS", {"crs": "-5"}, "crs must be between 0 and 1200, got -5"),
    ("NaN as a test score", {**CALCULATOR, "p_l1_listening": "nan"}, "must be a number"),
    ("infinite test score", {**CALCULATOR, "p_l1_listening": "inf"}, "must be a number"),
    ("markup in the category", {"category": "<script>alert(1)</script>"}, "unknown category"),
    ("an unknown score mode", {"mode": "admin"}, "choose how to give your score"),
]


@SQLITE_ONLY  # the form and the site's answers; storage is tested on both by the tests above
@pytest.mark.parametrize(("fields", "message"), [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_hostile_input_is_refused_and_never_echoed_as_markup(
    engine: Engine, fields: dict[str, str], message: str
) -> None:
    app, mailer = make_site(engine)
    client = app.test_client()

    response = post_signup(client, **fields)

    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    assert "<script>alert(1)" not in page
    assert stored(engine) == (0, 0, 0) and mailer.sent == []


@SQLITE_ONLY  # the form and the site's answers; storage is tested on both by the tests above
def test_an_operator_can_override_a_page_for_one_language(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "web" / "fr").mkdir(parents=True)
    (tmp_path / "web" / "fr" / "sent.html.j2").write_text(
        '{% extends "web/base.html.j2" %}{% block main %}<h1>Courriel envoyé (texte de l’exploitant)</h1>'
        "{% endblock %}"
    )
    app, _ = make_site(engine, web_settings(str(engine.url), templates_dir=tmp_path))
    client = app.test_client()

    french = client.get("/sent?lang=fr").get_data(as_text=True)
    english = client.get("/sent?lang=en").get_data(as_text=True)

    assert "texte de l’exploitant" in french and "Consultez" not in french
    assert "Check your inbox" in english and "exploitant" not in english


@SQLITE_ONLY  # the form and the site's answers; storage is tested on both by the tests above
def test_behind_a_proxy_the_forwarded_client_address_is_counted(engine: Engine) -> None:
    limiter = Limiter({"signup_ip": Limit(1, 600)}, Clock())
    app, _ = make_site(engine, web_settings(str(engine.url), web_proxy_hops=1), limiter=limiter)
    client = app.test_client()

    def from_client(address: str, email: str) -> int:
        token = csrf_of(client)
        response = client.post(
            "/", data={"csrf": token, **signup_fields(email=email)}, headers={"X-Forwarded-For": address}
        )
        return response.status_code

    assert from_client("203.0.113.1", "a@example.org") == 303
    assert from_client("203.0.113.2", "b@example.org") == 303  # another client behind the same proxy
    assert from_client("203.0.113.1", "c@example.org") == 429


@SQLITE_ONLY  # the form and the site's answers; storage is tested on both by the tests above
def test_pages_send_headers_that_keep_links_and_frames_in(engine: Engine) -> None:
    app, _ = make_site(engine)
    response = app.test_client().get("/")

    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie  # http:// here
    secure = make_site(engine, web_settings(str(engine.url), public_url="https://alerts.example.org"))[0]
    assert "Secure" in secure.test_client().get("/").headers["Set-Cookie"]


@SQLITE_ONLY  # the form and the site's answers; storage is tested on both by the tests above
def test_the_factory_alone_reads_the_settings_and_opens_the_database(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from drawwatch.web import create_app

    for name, value in {
        "DRAWWATCH_CONFIG": "",
        "DRAWWATCH_DATABASE_URL": str(engine.url),
        "DRAWWATCH_PUBLIC_URL": "http://drawwatch.test",
        "DRAWWATCH_SECRET_KEYS": "factory-secret-0123456789",
        "DRAWWATCH_MAIL_URL": MAIL_URL,
    }.items():
        monkeypatch.setenv(name, value)

    app = create_app()  # as `waitress-serve --call drawwatch.web:create_app` does

    assert app.test_client().get("/healthz").get_data() == b"ok\n"


def test_two_sign_ups_of_one_new_address_at_once_store_one(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import drawwatch.app.signup as signup

    app, mailer = make_site(engine)
    client = app.test_client()
    post_signup(client, email="ana@example.org")
    # The second request read the table before the first committed: it does not see Ana.
    monkeypatch.setattr(signup, "find_signup", lambda session, email: None)

    second = post_signup(client, email="ana@example.org")

    assert second.status_code == 303 and second.headers["Location"] == "/sent?lang=en"
    assert stored(engine) == (1, 1, 1)
    assert len(mailer.sent) == 1


@pytest.mark.parametrize(
    ("fields", "enabled"),
    [
        ({"crs": "", **CALCULATOR, "reminders": "1"}, True),  # with the calculator's profile: on
        ({"crs": "", **CALCULATOR}, False),  # not ticked
        ({"crs": "480", "reminders": "1"}, False),  # a bare number foresees nothing: stays off
    ],
    ids=["profile-ticked", "profile-not-ticked", "bare-number-ticked"],
)
def test_the_reminder_opt_in_is_stored_only_with_a_profile(
    engine: Engine, fields: dict[str, str], enabled: bool
) -> None:
    app, _ = make_site(engine)
    client = app.test_client()
    assert post_signup(client, **fields).status_code == 303
    with session_scope(engine) as session:
        (view,) = list_subscribers(session)
        state = reminder_state(session, view.id)
    assert state is not None and state.enabled is enabled
    assert (state.next_on is not None) is enabled  # the next check looks, and not before the opt-in
