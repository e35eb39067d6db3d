"""The site's defences on their own: sliding windows (with a clock moved by hand), bounded memory, address
digests that never hold the address, CSRF tokens tied to their cookie, links only when configured."""

from __future__ import annotations

import pytest

from drawwatch.app import links
from drawwatch.web import security
from drawwatch.web.security import AddressDigest, Limit, Limiter, SlidingWindow, csrf_ok, csrf_token
from tests.support.web import Clock, web_settings


@pytest.mark.parametrize(
    ("hits", "spacing", "allowed"),
    [
        (5, 0, [True, True, True, False, False]),  # 3 per 60 s, all at once
        (7, 10, [True, True, True, False, False, False, True]),  # the first hit leaves the window at 60 s
        (4, 61, [True, True, True, True]),  # never more than one in the window
    ],
)
def test_a_sliding_window_counts_the_last_seconds_only(
    hits: int, spacing: float, allowed: list[bool]
) -> None:
    clock = Clock()
    window = SlidingWindow(Limit(3, 60), clock)
    seen = []
    for _ in range(hits):
        seen.append(window.hit("k"))
        clock.advance(spacing)
    assert seen == allowed


def test_keys_are_bounded_and_the_oldest_go_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(security, "MAX_KEYS", 3)
    window = SlidingWindow(Limit(1, 3600), Clock())
    for key in "abcd":
        assert window.hit(key)
    assert len(window) == 3
    assert window.hit("a")  # forgotten, so allowed again
    assert not window.hit("d")


def test_address_digests_are_keyed_per_process_and_case_blind() -> None:
    one, other = AddressDigest(), AddressDigest()
    assert one("Ana@Example.org") == one(" ana@example.org ")
    assert one("ana@example.org") != other("ana@example.org")
    assert "ana" not in one("ana@example.org")
    limiter = Limiter({"signup_address": Limit(1, 60)})
    assert limiter.hit("signup_address", one("ana@example.org"))
    assert not limiter.hit("signup_address", one("ANA@example.org"))
    assert Limiter({}).hit("anything", "x")  # no limits at all


def test_a_csrf_token_works_only_with_its_cookie() -> None:
    settings = web_settings()
    token = csrf_token(settings, "cookie-value")
    assert csrf_ok(settings, "cookie-value", token)
    assert not csrf_ok(settings, "another-cookie", token)
    assert not csrf_ok(settings, None, token)
    assert not csrf_ok(settings, "cookie-value", None)
    assert not csrf_ok(web_settings(secret_keys="another-key-0123456789abc"), "cookie-value", token)
    manage = links.sign(settings, links.Purpose.MANAGE, "cookie-value")
    assert not csrf_ok(settings, "cookie-value", manage)  # a link's signature is no CSRF token


def test_links_are_offered_only_when_the_site_is_configured() -> None:
    assert links.configured(web_settings())
    assert not links.configured(web_settings(public_url=None))
    assert not links.configured(web_settings(secret_keys=""))
    # The sender asks the same question: a key too short to sign with gives messages without links, not
    # messages that fail to render.
    from drawwatch.app.deliver import links_configured

    for settings in (web_settings(), web_settings(secret_keys="short"), web_settings(public_url=None)):
        assert links_configured(settings) is links.configured(settings)


@pytest.mark.parametrize(
    ("operator_url", "expected"),
    [
        (
            "mailtos://user:pw@smtp.example.org?from=alerts@example.org",
            "mailtos://user:pw@smtp.example.org?from=alerts@example.org&to=ana@example.org",
        ),
        (  # a recipient the operator left in is replaced, never added to
            "mailto://127.0.0.1:2525?mode=insecure&to=ops@example.org&from=a@example.org",
            "mailto://127.0.0.1:2525?mode=insecure&from=a@example.org&to=ana@example.org",
        ),
    ],
)
def test_the_channel_is_the_operators_mail_url_with_the_address(operator_url: str, expected: str) -> None:
    from drawwatch.app.signup import mail_url_for

    assert mail_url_for(operator_url, " Ana@Example.org ") == expected
    with pytest.raises(ValueError, match="part before @"):
        mail_url_for(operator_url, "ana@example.org&to=eve@example.org")
