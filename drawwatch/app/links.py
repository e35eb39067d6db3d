"""Signed links to the sign-up site: confirm an address, manage one's settings, unsubscribe in one click.

Pure functions over :class:`~drawwatch.config.Settings` (no web framework): the site (:mod:`drawwatch.web`)
builds and checks them, and the alert sender can put :func:`manage_url` and :func:`one_click_unsubscribe_url`
(or :func:`list_unsubscribe_headers`) into every alert.

A link carries the subscriber's unsubscribe token signed with itsdangerous' ``URLSafeTimedSerializer`` (an
unsubscribe link: ``URLSafeSerializer``, without the time) under
``DRAWWATCH_SECRET_KEYS`` (the last key signs, every key verifies: rotate by adding a key at the end and
dropping the first one once the links it signed may expire), with one salt per purpose so a link of one kind
never works as another. The token is signed, not encrypted: it is the subscriber's own code, shown in every
alert already. Confirmation links expire after ``DRAWWATCH_CONFIRM_LINK_HOURS``, manage links after
``DRAWWATCH_MANAGE_LINK_DAYS``; unsubscribe links never do (RFC 8058: a mail provider may use one long after
the mail came). Changing the subscriber's token invalidates every link of theirs.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Final
from urllib.parse import quote

from itsdangerous import BadData, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from drawwatch.domain.errors import ConfigError, InvalidInput

if TYPE_CHECKING:
    from drawwatch.config import Settings

MIN_KEY_LENGTH: Final = 16  # characters; shorter secrets can be guessed offline from one signed link
MAX_LINK_TOKEN: Final = 512  # a signed token longer than this is not one of ours: refused before decoding


class Purpose(StrEnum):
    """What a signed value is for: its salt. Never reuse one for another kind of link."""

    CONFIRM = "drawwatch.confirm"
    MANAGE = "drawwatch.manage"
    UNSUBSCRIBE = "drawwatch.unsubscribe"
    CSRF = "drawwatch.csrf"


PATHS: Final[dict[Purpose, str]] = {
    Purpose.CONFIRM: "/confirm/",
    Purpose.MANAGE: "/manage/",
    Purpose.UNSUBSCRIBE: "/unsubscribe/",
}


class LinkError(InvalidInput):
    """A link that is not valid: forged, damaged, for another purpose, or (``expired``) too old."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def configured(settings: Settings) -> bool:
    """Whether links to the site can be built: ``DRAWWATCH_PUBLIC_URL`` and ``DRAWWATCH_SECRET_KEYS`` are set
    (the alert sender adds the manage and unsubscribe links only then)."""
    try:
        public_url(settings)
        secret_keys(settings)
    except ConfigError:
        return False
    return True


def secret_keys(settings: Settings) -> list[str]:
    """The signing keys, oldest first; :class:`ConfigError` when none is set or one is too short."""
    keys = [key.get_secret_value() for key in settings.secret_keys]
    if not keys:
        raise ConfigError(
            "DRAWWATCH_SECRET_KEYS is not set: give one or more random secrets (e.g. from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`), newest last"
        )
    short = [index for index, key in enumerate(keys, 1) if len(key) < MIN_KEY_LENGTH]
    if short:
        raise ConfigError(
            f"DRAWWATCH_SECRET_KEYS: key {short[0]} is shorter than {MIN_KEY_LENGTH} characters"
        )
    return keys


def serializer(settings: Settings, purpose: Purpose) -> URLSafeSerializer | URLSafeTimedSerializer:
    """The signer of one purpose: the last key signs, every key verifies. Unsubscribe links carry no time
    (they never expire): a subscriber's link is the same in every message, its header and its footer."""
    if purpose is Purpose.UNSUBSCRIBE:
        return URLSafeSerializer(secret_keys(settings), salt=str(purpose))
    return URLSafeTimedSerializer(secret_keys(settings), salt=str(purpose))


def public_url(settings: Settings) -> str:
    """``DRAWWATCH_PUBLIC_URL`` without a trailing slash; :class:`ConfigError` when it is not set."""
    if not settings.public_url:
        raise ConfigError(
            "DRAWWATCH_PUBLIC_URL is not set: give the sign-up site's address as subscribers reach it, "
            "e.g. https://alerts.example.org"
        )
    return settings.public_url.rstrip("/")


def sign(settings: Settings, purpose: Purpose, token: str) -> str:
    """The signed form of ``token`` for ``purpose`` (URL-safe; with the time it was signed, but for an
    unsubscribe link)."""
    return str(serializer(settings, purpose).dumps(token))


def verify(settings: Settings, purpose: Purpose, signed: str, *, max_age: float | None = None) -> str:
    """The token inside ``signed``, or :class:`LinkError`. ``max_age`` (seconds) defaults to the purpose's:
    the confirmation or manage link lifetime; unsubscribe links do not expire."""
    if max_age is None:
        max_age = default_max_age(settings, purpose)
    if not isinstance(signed, str) or not signed or len(signed) > MAX_LINK_TOKEN:
        raise LinkError("this link is not valid")
    try:
        signer = serializer(settings, purpose)
        if isinstance(signer, URLSafeTimedSerializer):
            value = signer.loads(signed, max_age=None if max_age is None else int(max_age))
        else:
            value = signer.loads(signed)
    except SignatureExpired:
        raise LinkError("this link has expired", expired=True) from None
    except BadData:
        raise LinkError("this link is not valid") from None
    if not isinstance(value, str) or not value:
        raise LinkError("this link is not valid")
    return value


def default_max_age(settings: Settings, purpose: Purpose) -> float | None:
    if purpose is Purpose.CONFIRM:
        return settings.confirm_link_hours * 3600
    if purpose is Purpose.MANAGE:
        return settings.manage_link_days * 86400
    return None


def _link(settings: Settings, purpose: Purpose, token: str) -> str:
    return public_url(settings) + PATHS[purpose] + quote(sign(settings, purpose, token), safe="")


def confirm_url(settings: Settings, token: str) -> str:
    """The link in the confirmation mail: it shows a button that confirms the address."""
    return _link(settings, Purpose.CONFIRM, token)


def manage_url(settings: Settings, token: str) -> str:
    """The subscriber's manage page: settings, backtest, their data, deletion."""
    return _link(settings, Purpose.MANAGE, token)


def one_click_unsubscribe_url(settings: Settings, token: str) -> str:
    """The RFC 8058 one-click unsubscribe link: a POST of ``List-Unsubscribe=One-Click`` to it unsubscribes
    at once; opening it (GET) shows a page with a button, so a link scanner unsubscribes nobody."""
    return _link(settings, Purpose.UNSUBSCRIBE, token)


def list_unsubscribe_headers(settings: Settings, token: str) -> dict[str, str]:
    """The ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` headers (RFC 2369, RFC 8058) of an e-mail to
    the subscriber with ``token``: the one-click link, and ``DRAWWATCH_UNSUBSCRIBE_MAILTO`` when set."""
    targets = [f"<{one_click_unsubscribe_url(settings, token)}>"]
    if settings.unsubscribe_mailto:
        subject = quote(f"unsubscribe {token}", safe="")
        targets.append(f"<mailto:{settings.unsubscribe_mailto}?subject={subject}>")
    return {"List-Unsubscribe": ", ".join(targets), "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
