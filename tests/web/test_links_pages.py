"""The pages behind signed links: confirming (a button: a link scanner's GET confirms nothing), the manage page
(settings, backtest, data download, deletion), RFC 8058 one-click unsubscribe (a POST unsubscribes at once, a
GET does not), and links that are forged, damaged, for another purpose, expired or of a deleted subscriber."""

from __future__ import annotations

import json
import time

import pytest
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import Engine

from drawwatch.app import links
from drawwatch.app.links import LinkError, Purpose
from drawwatch.storage.db import session_scope
from drawwatch.storage.models import Alert, Signup, Subscriber, SubscriberChannel
from drawwatch.storage.signup import find_signup
from drawwatch.storage.subscribers import get_subscriber
from tests.support.databases import count_rows
from tests.support.rows import new_round
from tests.support.web import (
    CALCULATOR,
    SECRET,
    RecordingMailer,
    csrf_of,
    make_site,
    path_of,
    post_signup,
    web_settings,
)


def signed_up(engine: Engine, client: FlaskClient, mailer: RecordingMailer, **fields: str) -> tuple[int, str]:
    """Sign up ana@example.org; (subscriber id, confirmation link path)."""
    post_signup(client, email="ana@example.org", **fields)
    with session_scope(engine) as session:
        found = find_signup(session, "ana@example.org")
    assert found is not None
    return found.subscriber_id, path_of(mailer.sent[-1].link)


def is_active(engine: Engine, subscriber_id: int) -> bool:
    with session_scope(engine) as session:
        view = get_subscriber(session, subscriber_id)
    assert view is not None
    return view.active


def test_the_confirmation_link_shows_a_button_and_only_its_post_activates(engine: Engine) -> None:
    app, mailer = make_site(engine)
    client = app.test_client()
    subscriber_id, confirm = signed_up(engine, client, mailer)

    scanner = app.test_client().get(confirm)  # a mail scanner following the link

    assert scanner.status_code == 200 and 'id="confirm"' in scanner.get_data(as_text=True)
    assert not is_active(engine, subscriber_id)
    refused = client.post(confirm, data={})
    assert refused.status_code == 400 and not is_active(engine, subscriber_id)

    done = client.post(confirm, data={"csrf": csrf_of(client, confirm)})

    assert done.status_code == 303
    assert done.headers["Location"].startswith("http://drawwatch.test/manage/")
    assert is_active(engine, subscriber_id)
    with session_scope(engine) as session:
        signup = find_signup(session, "ana@example.org")
    assert signup is not None and signup.confirmed_at is not None
    manage = client.get(path_of(done.headers["Location"])).get_data(as_text=True)
    assert "Alerts are on" in manage and "ana@example.org" in manage
    assert len(mailer.sent) == 1  # nothing but the confirmation went to the address


def test_a_confirmed_address_signing_up_again_gets_its_manage_link_and_nothing_changes(
    engine: Engine,
) -> None:
    app, mailer = make_site(engine)
    client = app.test_client()
    subscriber_id, confirm = signed_up(engine, client, mailer)
    client.post(confirm, data={"csrf": csrf_of(client, confirm)})

    post_signup(client, email="ana@example.org", crs="100")

    assert "/manage/" in mailer.sent[-1].link and "already" in mailer.sent[-1].message.text
    with session_scope(engine) as session:
        view = get_subscriber(session, subscriber_id)
    assert view is not None and view.crs == 480 and view.active


def forged_links(settings_secret: str = "another-secret-key-0123456789") -> dict[str, str]:
    other = links.sign(web_settings(secret_keys=settings_secret), Purpose.CONFIRM, "whatever")
    return {"forged": other, "damaged": "abc.def.ghi", "oversize": "a" * 2000}


@pytest.mark.parametrize("kind", ["forged", "damaged", "oversize", "other purpose", "expired"])
def test_bad_links_say_why_and_change_nothing(engine: Engine, kind: str) -> None:
    app, mailer = make_site(engine)
    client = app.test_client()
    subscriber_id, confirm = signed_up(engine, client, mailer)
    token = links.verify(web_settings(), Purpose.CONFIRM, confirm.rsplit("/", 1)[1])
    if kind == "other purpose":
        signed = links.sign(web_settings(), Purpose.UNSUBSCRIBE, token)
    elif kind == "expired":

        class LongAgo(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(time.time()) - 3 * 86400

        old = URLSafeTimedSerializer([SECRET], salt=str(Purpose.CONFIRM), signer=LongAgo)
        signed = str(old.dumps(token))
    else:
        signed = forged_links()[kind]

    shown = client.get(f"/confirm/{signed}")
    posted = client.post(f"/confirm/{signed}", data={"csrf": csrf_of(client)})

    expected = (410, "This link has expired") if kind == "expired" else (400, "This link does not work")
    for response in (shown, posted):
        assert (response.status_code, expected[1] in response.get_data(as_text=True)) == (expected[0], True)
    assert not is_active(engine, subscriber_id)
    with pytest.raises(LinkError):
        links.verify(web_settings(), Purpose.CONFIRM, signed)


def test_key_rotation_old_links_verify_new_ones_are_signed_with_the_last_key() -> None:
    old = web_settings(secret_keys="old-key-0123456789abcdef")
    rotated = web_settings(secret_keys="old-key-0123456789abcdef new-key-0123456789abcdef")
    dropped = web_settings(secret_keys="new-key-0123456789abcdef")

    old_link = links.sign(old, Purpose.MANAGE, "tok")
    new_link = links.sign(rotated, Purpose.MANAGE, "tok")

    assert links.verify(rotated, Purpose.MANAGE, old_link) == "tok"
    assert links.verify(dropped, Purpose.MANAGE, new_link) == "tok"
    with pytest.raises(LinkError):
        links.verify(dropped, Purpose.MANAGE, old_link)
    with pytest.raises(LinkError):
        links.verify(rotated, Purpose.UNSUBSCRIBE, new_link)  # one salt per purpose
    assert links.manage_url(rotated, "tok").startswith("http://drawwatch.test/manage/")
    headers = links.list_unsubscribe_headers(web_settings(unsubscribe_mailto="stop@example.org"), "tok")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"].startswith("<http://drawwatch.test/unsubscribe/")
    assert "<mailto:stop@example.org?subject=unsubscribe%20tok>" in headers["List-Unsubscribe"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"public_url": None}, "DRAWWATCH_PUBLIC_URL is not set"),
        ({"secret_keys": ""}, "DRAWWATCH_SECRET_KEYS is not set"),
        ({"secret_keys": "short"}, "shorter than 16 characters"),
        ({"mail_url": None}, "DRAWWATCH_MAIL_URL is not set"),
    ],
)
def test_the_site_refuses_to_start_without_its_settings(
    engine: Engine, overrides: dict, message: str
) -> None:
    from drawwatch.domain.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        make_site(engine, web_settings(str(engine.url), **overrides))


def test_one_click_unsubscribe_post_deactivates_and_a_get_does_not(engine: Engine) -> None:
    app, mailer = make_site(engine)
    client = app.test_client()
    subscriber_id, confirm = signed_up(engine, client, mailer)
    client.post(confirm, data={"csrf": csrf_of(client, confirm)})
    with session_scope(engine) as session:
        view = get_subscriber(session, subscriber_id)
    assert view is not None
    one_click = path_of(links.one_click_unsubscribe_url(web_settings(), view.unsubscribe_token))

    scanner = app.test_client().get(one_click)
    assert scanner.status_code == 200 and 'id="unsubscribe"' in scanner.get_data(as_text=True)
    assert is_active(engine, subscriber_id)
    no_csrf = app.test_client().post(one_click, data={})
    assert no_csrf.status_code == 400 and is_active(engine, subscriber_id)

    provider = app.test_client().post(one_click, data={"List-Unsubscribe": "One-Click"})

    assert provider.status_code == 200 and not is_active(engine, subscriber_id)
    again = app.test_client().post(one_click, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200
    forged = app.test_client().post(one_click + "x", data={"List-Unsubscribe": "One-Click"})
    assert forged.status_code == 400


def test_the_unsubscribe_button_unsubscribes(engine: Engine) -> None:
    app, mailer = make_site(engine)
    client = app.test_client()
    subscriber_id, confirm = signed_up(engine, client, mailer)
    client.post(confirm, data={"csrf": csrf_of(client, confirm)})
    with session_scope(engine) as session:
        view = get_subscriber(session, subscriber_id)
    assert view is not None
    page = path_of(links.one_click_unsubscribe_url(web_settings(), view.unsubscribe_token))

    done = client.post(page, data={"csrf": csrf_of(client, page)})

    assert done.status_code == 200 and "You are unsubscribed" in done.get_data(as_text=True)
    assert not is_active(engine, subscriber_id)


def confirmed_manage(engine: Engine, **fields: str) -> tuple[FlaskClient, RecordingMailer, int, str]:
    app, mailer = make_site(engine)
    client = app.test_client()
    subscriber_id, confirm = signed_up(engine, client, mailer, **fields)
    done = client.post(confirm, data={"csrf": csrf_of(client, confirm)})
    return client, mailer, subscriber_id, path_of(done.headers["Location"])


def test_the_manage_page_shows_the_backtest(engine: Engine) -> None:
    with session_scope(engine) as session:
        new_round(session, "500", crs=470, category="stem")
        new_round(session, "501", crs=490, category="general")
        new_round(session, "502", crs=400, category="pnp")
    client, _, _, manage = confirmed_manage(engine, category="stem")

    page = client.get(manage).get_data(as_text=True)

    assert 'id="backtest"' in page
    assert "eligible via STEM; 10 points above the cut-off" in page
    assert "below the cut-off by 10" in page
    assert "not eligible for Provincial Nominee Program" in page
    french = client.get(manage + "?lang=fr").get_data(as_text=True)
    assert "admissible par STIM" in french and "Rondes passées" in french


def test_editing_settings_refuses_bad_values_and_saves_good_ones(engine: Engine) -> None:
    client, _, subscriber_id, manage = confirmed_manage(engine)
    base = {"mode": "crs", "language": "en", "action": "save"}

    bad = client.post(manage, data={**base, "csrf": csrf_of(client, manage), "crs": "2000"})
    assert bad.status_code == 422 and "crs must be between 0 and 1200" in bad.get_data(as_text=True)
    with session_scope(engine) as session:
        assert (view := get_subscriber(session, subscriber_id)) is not None and view.crs == 480

    good = client.post(
        manage,
        data={
            **base,
            "csrf": csrf_of(client, manage),
            "crs": "501",
            "category": ["cec", "french"],
            "quiet_from": "22:00",
            "quiet_to": "07:00",
            "timezone": "America/Toronto",
            "language": "fr",
        },
    )

    assert good.status_code == 303
    with session_scope(engine) as session:
        view = get_subscriber(session, subscriber_id)
    assert view is not None
    assert (view.crs, view.categories, view.quiet_hours, view.time_zone, view.language) == (
        501,
        ["cec", "french"],
        "22:00-07:00",
        "America/Toronto",
        "fr",
    )
    page = client.get(good.headers["Location"].removeprefix("http://drawwatch.test")).get_data(as_text=True)
    assert "Vos réglages sont enregistrés" in page and 'value="501"' in page

    calculator = client.post(manage, data={**CALCULATOR, "csrf": csrf_of(client, manage), "action": "save"})
    assert calculator.status_code == 303
    page = client.get(manage).get_data(as_text=True)
    assert "from your profile on" in page or "d&#39;après votre profil" in page
    assert 'name="p_age"' in page and 'value="30"' in page


def test_data_download_and_deletion(engine: Engine) -> None:
    client, _, subscriber_id, manage = confirmed_manage(engine, category="stem")

    download = client.get(manage + "/data.json")

    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    data = json.loads(download.get_data(as_text=True))
    assert data["email"] == "ana@example.org" and data["crs"] == 480 and data["active"] is True
    assert {"category": "stem", "source": "explicit", "via": None} in data["categories"]
    assert "mailto" not in download.get_data(as_text=True)  # the operator's mail URL is not theirs

    unchecked = client.post(manage, data={"csrf": csrf_of(client, manage), "action": "delete"})
    assert unchecked.status_code == 422 and count_rows(engine, Subscriber) == 1

    deleted = client.post(
        manage, data={"csrf": csrf_of(client, manage), "action": "delete", "confirm_delete": "yes"}
    )

    assert deleted.status_code == 200 and "Your data is deleted" in deleted.get_data(as_text=True)
    for model in (Subscriber, Signup, SubscriberChannel, Alert):
        assert count_rows(engine, model) == 0
    gone = client.get(manage)
    assert gone.status_code == 410 and "no longer exists" in gone.get_data(as_text=True)
    with session_scope(engine) as session:
        assert get_subscriber(session, subscriber_id) is None


def test_unconfirmed_sign_ups_are_deleted_once_their_link_expires(engine: Engine) -> None:
    import datetime as dt

    moments = [dt.datetime(2026, 12, 1, tzinfo=dt.UTC)]
    app, _ = make_site(engine, now=lambda: moments[0])
    client = app.test_client()
    post_signup(client, email="old@example.org")
    moments[0] += dt.timedelta(hours=49)

    post_signup(client, email="new@example.org")

    with session_scope(engine) as session:
        assert find_signup(session, "old@example.org") is None
        assert find_signup(session, "new@example.org") is not None
    assert count_rows(engine, Subscriber) == 1


def test_an_unconfirmed_subscriber_is_queued_no_alert_and_a_confirmed_one_is(engine: Engine) -> None:
    from drawwatch.storage.matching import queue_round_alerts

    app, mailer = make_site(engine)
    client = app.test_client()
    _, confirm = signed_up(engine, client, mailer)  # CRS 480

    with session_scope(engine) as session:
        before = queue_round_alerts(session, [new_round(session, "600", crs=450, category="general")])
    client.post(confirm, data={"csrf": csrf_of(client, confirm)})
    with session_scope(engine) as session:
        after = queue_round_alerts(session, [new_round(session, "601", crs=450, category="general")])

    assert (before, after) == (0, 1)
    assert len(mailer.sent) == 1  # the site itself sent nothing but the confirmation
