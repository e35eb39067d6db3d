"""Configuration: ``DRAWWATCH_*`` environment variables over an optional TOML file over defaults.

The TOML file is ``$DRAWWATCH_CONFIG`` when set (set to "" for none), else ``drawwatch.toml`` in the
user's config directory when it exists. Keys are the field names below (``database_url = "…"``); the
environment always wins.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from drawwatch import __version__
from drawwatch.domain.errors import ConfigError

IRCC_FEED_URL = "https://www.canada.ca/content/dam/ircc/documents/json/ee_rounds_123_en.json"
PROJECT_URL = "https://github.com/drawwatch/drawwatch"
# IRCC publishes rounds on weekdays, mostly 14:30-21:00 UTC (docs/feed.md): every 15 minutes then, hourly otherwise.
DEFAULT_SCHEDULE = ("*/15 12-22 * * mon-fri", "0 * * * *")
# A host name, IPv4 or (bracketed or not) IPv6 address: no scheme, port, path or userinfo.
_HOST_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]?")


def default_database_url() -> str:
    path = Path(platformdirs.user_data_dir("drawwatch", appauthor=False)) / "drawwatch.db"
    return f"sqlite:///{path}"


def config_file() -> Path | None:
    if "DRAWWATCH_CONFIG" in os.environ:  # set but empty: no file at all
        explicit = os.environ["DRAWWATCH_CONFIG"]
        return Path(explicit) if explicit else None
    candidate = Path(platformdirs.user_config_dir("drawwatch", appauthor=False)) / "drawwatch.toml"
    return candidate if candidate.is_file() else None


class Settings(BaseSettings):
    """Everything an operator can set. Secrets (apprise URLs) are SecretStr so they never print by accident."""

    model_config = SettingsConfigDict(env_prefix="DRAWWATCH_", extra="ignore", env_nested_delimiter="__")

    database_url: str = Field(default_factory=default_database_url)
    feed_url: str = IRCC_FEED_URL
    allowed_redirect_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="hosts the feed may redirect to, separated by commas; redirects to any other scheme, "
        "host or port than DRAWWATCH_FEED_URL's are refused (and from https to http always)",
    )
    contact: str = Field(
        default=PROJECT_URL,
        description="a URL or e-mail address put in the User-Agent so IRCC can reach the operator",
    )
    download_timeout: float = Field(default=30.0, gt=0, description="seconds per HTTP request")
    retry_times: int = Field(default=2, ge=0, le=5)
    max_shrink: int = Field(
        default=5, ge=0, description="a feed with more than this many fewer rounds than stored is refused"
    )
    max_rejected: int = Field(
        default=2, ge=0, description="malformed rounds skipped before the whole feed is refused"
    )
    max_new_rounds: int = Field(
        default=50, ge=1, description="a feed adding more new rounds than this is held for the operator"
    )
    max_changed_rounds: int = Field(
        default=10,
        ge=0,
        description="a feed correcting more stored rounds than this (cut-off, date …) is held for the operator",
    )
    delivery_concurrency: int = Field(default=8, ge=1, le=256, description="messages sent at once")
    delivery_batch: int = Field(default=100, ge=1, description="alerts claimed per transaction")
    delivery_lease_seconds: float = Field(
        default=360, gt=0, description="a claimed alert not marked within this is claimed again"
    )
    delivery_timeout: float = Field(default=20, gt=0, description="seconds per message send")
    delivery_max_attempts: int = Field(default=6, ge=1, description="tries before an alert is dead")
    delivery_backoff_seconds: float = Field(
        default=60, ge=0, description="first retry delay; doubles each try (at most 6 h)"
    )
    delivery_rate_limit_seconds: float = Field(
        default=60,
        ge=0,
        description="wait after a service answers 429 without saying how long (Telegram says; then that)",
    )
    unsubscribe_url: str | None = Field(
        default=None,
        description="a page that unsubscribes, with {token} where the subscriber's token goes; "
        "without it alerts carry the token and the command that uses it",
    )
    schedule: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_SCHEDULE),
        description="crontab expressions in UTC, separated by ';' in the environment variable",
    )
    interval: float | None = Field(
        default=None, gt=0, description="check every N seconds instead of the schedule"
    )
    jitter: int = Field(default=60, ge=0, description="random delay (s) added to scheduled checks")
    delivery_interval: float = Field(default=60, gt=0, description="seconds between delivery retry passes")
    stop_timeout: float = Field(
        default=120, gt=0, description="how long a stopping daemon waits for the check"
    )
    health_max_age: float = Field(
        default=7200, gt=0, description="`health` fails when the last good check is older"
    )
    admin_failure_threshold: int = Field(
        default=3, ge=1, description="failed checks in a row before the operator is told (once)"
    )
    telegram_api_url: str | None = Field(
        default=None, description="a self-hosted Telegram Bot API server, e.g. http://127.0.0.1:8081"
    )
    # The Telegram bot (`drawwatch bot`, `drawwatch run --bot`, drawwatch/bot/): the token @BotFather gave.
    telegram_bot_token: SecretStr | None = Field(
        default=None,
        description="the Telegram bot's token (from @BotFather) for `drawwatch bot`; chats subscribe themselves",
    )
    admin_urls: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    templates_dir: Path | None = None
    # The sign-up site (`drawwatch serve`, drawwatch/web/): links in its pages and mails, signing, mail.
    public_url: str | None = Field(
        default=None,
        description="the sign-up site's address as subscribers reach it (https://alerts.example.org), the base "
        "of every link it and the alerts build; required for `drawwatch serve`",
    )
    secret_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="secrets that sign the site's links and forms, separated by spaces or commas, newest last: "
        "the last one signs, every one verifies (add a new key at the end, drop the first later)",
    )
    mail_url: SecretStr | None = Field(
        default=None,
        description="the apprise mailto:// or mailtos:// URL the site sends from, without a recipient (the "
        "site adds to=ADDRESS); a subscriber's channel is this URL with their address",
    )
    unsubscribe_mailto: str | None = Field(
        default=None,
        description="an address for mail-based unsubscribe requests, offered in List-Unsubscribe beside the "
        "one-click link",
    )
    web_proxy_hops: int = Field(
        default=0,
        ge=0,
        le=5,
        description="reverse proxies in front of `drawwatch serve` whose X-Forwarded-For is trusted "
        "(the client address its rate limits count)",
    )
    confirm_link_hours: float = Field(default=48, gt=0, description="how long a confirmation link works")
    manage_link_days: float = Field(default=30, gt=0, description="how long a manage-page link works")
    log_level: str = Field(
        default="INFO", description="the daemon's log level: DEBUG, INFO, WARNING or ERROR"
    )

    @field_validator("schedule", mode="before")
    @classmethod
    def _split_schedule(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(";") if part.strip()]
        return value

    @field_validator("admin_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: Any) -> Any:
        # One env var holds several apprise URLs separated by spaces or commas (as apprise itself accepts).
        if isinstance(value, str):
            return [part for part in value.replace(",", " ").split() if part]
        return value

    @field_validator("secret_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part for part in value.replace(",", " ").split() if part]
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("http://", "https://")) or "@" in value or "?" in value or "#" in value:
            shown = "an address with credentials" if "@" in value else repr(value)  # never echo a password
            raise ValueError(
                f"must be an http:// or https:// address without query or credentials, got {shown}"
            )
        return value.rstrip("/")

    @field_validator("mail_url")
    @classmethod
    def _mail_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        scheme, sep, _ = value.get_secret_value().strip().partition("://")
        if scheme.lower() not in ("mailto", "mailtos"):  # never quote the URL: it holds the SMTP password
            shown = f"a {scheme.lower()}:// URL" if sep and scheme.isalnum() else "no URL"
            raise ValueError(f"must be an apprise mailto:// or mailtos:// URL, got {shown}")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"must be DEBUG, INFO, WARNING or ERROR, got {value!r}")
        return level

    @field_validator("unsubscribe_url")
    @classmethod
    def _unsubscribe_placeholder(cls, value: str | None) -> str | None:
        if value and "{token}" not in value:
            raise ValueError(f"must contain {{token}} where the subscriber's token goes, got {value!r}")
        return value or None

    @field_validator("templates_dir")
    @classmethod
    def _templates_dir_exists(cls, value: Path | None) -> Path | None:
        # Checked when the settings load, so every command refuses a mistyped folder the same way instead of
        # the first render failing in the middle of a check.
        if value is not None and not value.is_dir():
            problem = "is not a directory" if value.exists() else "does not exist"
            raise ValueError(f"{str(value)!r} {problem}: give the folder that holds the template overrides")
        return value

    @field_validator("feed_url")
    @classmethod
    def _feed_scheme(cls, value: str) -> str:
        if not value.startswith(("http://", "https://", "file://")):
            shown = value.split("://", 1)[0] + "://…" if "@" in value else value  # may hold a password
            raise ValueError(f"must be an http://, https:// or file:// URL, got {shown!r}")
        return value

    @field_validator("allowed_redirect_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_redirect_hosts")
    @classmethod
    def _bare_hosts(cls, value: list[str]) -> list[str]:
        for host in value:
            if not _HOST_RE.fullmatch(host):
                raise ValueError(
                    f"must be host names separated by commas (e.g. cdn.example.org), got {host!r}"
                )
        return [host.strip("[]").lower() for host in value]

    @property
    def user_agent(self) -> str:
        return f"drawwatch/{__version__} (+{self.contact}; Express Entry round alerts)"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def setting_default(name: str) -> Any:
    """The default of setting ``name``, for code that needs one outside a :class:`Settings` (a function's
    keyword default, the Scrapy defaults, help text): defaults are written once, in the fields above."""
    return Settings.model_fields[name].get_default(call_default_factory=True)


ENV_PREFIX = "DRAWWATCH_"
# DRAWWATCH_* variables that are not settings but are allowed in the environment: the TOML file's path, and
# the test suite's own (DRAWWATCH_TEST_PG_URL and the like), matched as prefixes.
# Not settings, but ours: the file's location, and deploy/compose.yaml's password for its PostgreSQL (read
# by Compose from deploy/.env, often exported in the operator's shell too).
NON_SETTING_VARIABLES = ("DRAWWATCH_CONFIG", "DRAWWATCH_DB_PASSWORD")
NON_SETTING_PREFIXES = ("DRAWWATCH_TEST_",)


def _unknown(name: str, prefix: str = "") -> str:
    """The message for an unknown ``name``, with the setting it probably meant when one is close enough
    (compared without ``prefix``, which every name shares, and without regard to case)."""
    bare = name[len(prefix) :].lower()
    close = difflib.get_close_matches(bare, list(Settings.model_fields), n=1)
    meant = f" (did you mean {prefix}{close[0].upper() if prefix else close[0]}?)" if close else ""
    return f"unknown setting {name}{meant}"


def check_environment(environ: dict[str, str] | None = None) -> None:
    """Refuse ``DRAWWATCH_*`` variables that are no setting: a misspelt name would be ignored silently.

    Names are compared without regard to case, as the settings themselves are read.
    """
    environ = dict(os.environ) if environ is None else environ
    known = [ENV_PREFIX + field.upper() for field in Settings.model_fields]
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in known or upper in NON_SETTING_VARIABLES:
            continue
        if upper.startswith(NON_SETTING_PREFIXES):
            continue
        raise ConfigError(_unknown(name, ENV_PREFIX))


def check_config_file(path: Path) -> None:
    """Refuse a TOML settings file that cannot be parsed or has keys that are no setting."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read the configuration file {path} (from DRAWWATCH_CONFIG): {exc}"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from None
    for key in data:
        if key.lower() not in Settings.model_fields:
            raise ConfigError(f"{_unknown(key)} in the configuration file {path}")


def load_settings(**overrides: Any) -> Settings:
    path = config_file()
    if path is not None and not path.is_file():
        raise ConfigError(f"configuration file {path} (from DRAWWATCH_CONFIG) does not exist")
    check_environment()
    if path is not None:
        check_config_file(path)
    return Settings(**overrides)
