"""What every command shares: the lazily built context, error handling, logging and option parsers."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

import click

from drawwatch.domain.errors import DrawwatchError
from drawwatch.domain.vocabulary import SUBSCRIBABLE_KEYS

if TYPE_CHECKING:  # imported where used: `drawwatch --help` and the commands that need no database load
    # neither SQLAlchemy nor the settings machinery (tests/cli/test_lazy_imports.py)
    from sqlalchemy.engine import URL, Engine

    from drawwatch.config import Settings

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("drawwatch")


class UserError(click.ClickException):
    """An error the user can fix; printed as one line, exit status 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class DatabaseTrouble(click.ClickException):
    """The database could not be used now (locked, disk full, server unreachable): one line, and an exit
    status of its own, neither a failed check (1) nor a usage or configuration error (2)."""

    exit_code = 3  # drawwatch.storage.db.DATABASE_TROUBLE_EXIT; not imported here, it would load SQLModel

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def _database_url(args: tuple[Any, ...]) -> str | URL | None:
    """The database a command's :class:`Context` uses, for naming it in a message; None when unknown."""
    for arg in args:
        if isinstance(arg, Context):
            if arg._engine is not None:
                return arg._engine.url
            return arg._settings.database_url if arg._settings is not None else None
    return None


def friendly_errors(func: F) -> F:
    """Turn configuration, validation and database errors into one clear line instead of a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            friendly = _friendly_error(exc, args)
            if friendly is None:
                raise
            raise friendly from None

    return wrapper  # type: ignore[return-value]


def _friendly_error(exc: Exception, args: tuple[Any, ...]) -> click.ClickException | None:
    """The one-line error for a configuration, validation or database error; None for anything else (a bug).

    pydantic and SQLAlchemy are looked up in ``sys.modules``, not imported: an error of theirs can only come
    from a command that loaded them, and ``drawwatch --help`` must not load them.
    """
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(exc, pydantic.ValidationError):
        first = exc.errors()[0]
        where = "DRAWWATCH_" + "__".join(str(p) for p in first["loc"][:1]).upper()
        message = str(first["msg"]).removeprefix("Value error, ")
        return UserError(f"invalid setting {where}: {message}")
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.SQLAlchemyError):
        from drawwatch.storage.db import describe_database_error

        trouble = describe_database_error(exc, _database_url(args))
        if trouble is not None:
            return DatabaseTrouble(trouble)
        orig = getattr(exc, "orig", None) if hasattr(exc, "orig") else exc
        return UserError(f"database error: {str(orig).strip()}")
    if isinstance(exc, DrawwatchError):  # the project's own errors only: anything else is a bug
        return UserError(str(exc))
    return None


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def setup_logging(verbose: int, log_format: str = "text", base: int = logging.WARNING) -> None:
    level = base if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # Scrapy logs every failed download with a traceback; the check reports the reason in one line anyway.
    # Its own messages appear with -v (warnings) and -vv (everything).
    logging.getLogger("scrapy").setLevel(
        {0: logging.CRITICAL, 1: logging.WARNING}.get(verbose, logging.DEBUG)
    )
    logging.getLogger("apprise").setLevel(logging.WARNING if verbose < 2 else logging.DEBUG)
    logging.getLogger("apscheduler").setLevel(logging.WARNING if verbose < 2 else logging.DEBUG)


class Context:
    """Lazily built settings and engine shared by the subcommands of one invocation."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._engine: Engine | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from drawwatch.config import load_settings

            self._settings = load_settings()
            if self._settings.telegram_api_url:
                from drawwatch.notify.sending import use_telegram_api

                use_telegram_api(self._settings.telegram_api_url)
        return self._settings

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from drawwatch.config import default_database_url
            from drawwatch.storage.db import make_engine
            from drawwatch.storage.migrate import init_schema

            url = self.settings.database_url
            # Only the default location (the user data directory) is created; a missing directory in a
            # configured path is more likely a typo than a wish for a new, empty database.
            engine = make_engine(url, create_dir=url == default_database_url())
            created = init_schema(engine)
            self._engine = engine
            if created is not None:
                where = (
                    f"created a new database at {created.path}"
                    if created.path is not None
                    else f"initialised an empty database at {created.url}"
                )
                click.echo(f"drawwatch: {where}", err=True)
        return self._engine


pass_ctx = click.make_pass_decorator(Context, ensure=True)


def parse_day(_: click.Context, __: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form") from None


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


NOC_HELP = (
    "An occupation (NOC 2021 code) and months of experience, e.g. 21231:14 (repeatable): the category rounds "
    "it makes the subscriber eligible for are derived from the lists in force, and follow new years' lists."
)
NCLC_HELP = "Lowest NCLC level of the four French abilities (French rounds need 7)."


def parse_nocs(_: click.Context, __: click.Parameter, values: tuple[str, ...]) -> list[tuple[str, int]]:
    from drawwatch.domain.eligibility import parse_noc_arg

    try:
        return [(e.code, e.months) for e in (parse_noc_arg(v) for v in values)]
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


QUIET_HELP = "Local times during which alerts wait, e.g. 22:00-07:00 (needs --timezone)."
ZONE_HELP = "The subscriber's time zone for quiet hours, an IANA name such as America/Toronto."

CATEGORY_HELP = "A round category the subscriber can be invited in (repeatable): " + ", ".join(
    SUBSCRIBABLE_KEYS
)


class TerminalBar:
    """A ``(done, total)`` progress callable drawing a click progress bar on stderr from its first call."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None
        self.done = 0
        self.closed = False

    def __call__(self, done: int, total: int) -> None:
        if self.closed:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        if done > self.done:  # never backwards: a caller may count a row again (a round lost to a race)
            self.bar.update(done - self.done)
            self.done = done
        if done >= total:  # finished: end the line, so what is printed next starts on its own
            self.close()

    def close(self) -> None:
        if self.bar is not None and not self.closed:
            self.bar.__exit__(None, None, None)
            self.closed = True


@contextmanager
def terminal_progress(label: str, *, enabled: bool = True) -> Iterator[Callable[[int, int], None] | None]:
    """A ``(done, total)`` callable for long work that draws a progress bar on stderr, or None (draw nothing)
    unless ``enabled`` and stderr is a terminal: piped output and --json stay free of progress text.

    The bar appears at the first call, so work that turns out short or is skipped draws none.
    """
    if not (enabled and sys.stderr.isatty()):
        yield None
        return
    bar = TerminalBar(label)
    try:
        yield bar
    finally:
        bar.close()
