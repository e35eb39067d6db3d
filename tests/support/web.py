"""The sign-up site under test: its settings, a mailer that records instead of sending, a clock for the rate
limits, and helpers to fill its forms through Flask's test client."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from drawwatch.config import Settings
from drawwatch.notify.message import RenderedMessage

PUBLIC_URL = "http://drawwatch.test"
SECRET = "test-secret-key-0123456789abcdef"
MAIL_URL = "mailto://127.0.0.1:2525?mode=insecure&from=alerts@example.org"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
LINK_RE = re.compile(r"https?://[^\s\"<>]+/(?:confirm|manage|unsubscribe)/[A-Za-z0-9._%-]+")


def web_settings(database_url: str = "sqlite://", **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "public_url": PUBLIC_URL,
        "secret_keys": SECRET,
        "mail_url": MAIL_URL,
    }
    return Settings(**(values | overrides))


@dataclass(frozen=True)
class Sent:
    url: str
    message: RenderedMessage

    @property
    def link(self) -> str:
        found = LINK_RE.search(self.message.text)
        assert found, self.message.text
        return found[0]

    @property
    def to(self) -> str:
        return dict(p.split("=", 1) for p in urlsplit(self.url).query.split("&"))["to"]


class RecordingMailer:
    """A :class:`drawwatch.web.mail.Mailer` that keeps what it is given."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self._lock = threading.Lock()

    def send(self, url: str, message: RenderedMessage) -> None:
        with self._lock:
            self.sent.append(Sent(url, message))

    def close(self) -> None:
        pass


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_site(
    engine: Engine, settings: Settings | None = None, **kwargs: Any
) -> tuple[Flask, RecordingMailer]:
    from drawwatch.web import create_app

    mailer = kwargs.pop("mailer", None) or RecordingMailer()
    app = create_app(settings or web_settings(str(engine.url)), engine, mailer=mailer, **kwargs)
    app.testing = True
    return app, mailer


def csrf_of(client: FlaskClient, path: str = "/") -> str:
    page = client.get(path)
    found = CSRF_RE.search(page.get_data(as_text=True))
    assert found, f"no CSRF field on {path}"
    return found[1]


def signup_fields(email: str = "ana@example.org", **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "email": email,
        "mode": "crs",
        "crs": "480",
        "language": "en",
        "action": "signup",
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


CALCULATOR = {
    "mode": "profile",
    "p_age": "30",
    "p_education": "masters",
    "p_l1_test": "ielts",
    "p_l1_listening": "8",
    "p_l1_reading": "7",
    "p_l1_writing": "7",
    "p_l1_speaking": "7.5",
    "p_canadian_work_years": "1",
    "p_foreign_work_years": "3",
    "p_spouse_status": "none",
}


def post_signup(client: FlaskClient, **fields: Any) -> Any:
    token = csrf_of(client)
    return client.post("/", data={"csrf": token, **signup_fields(**fields)})


def path_of(link: str) -> str:
    return urlsplit(link).path
