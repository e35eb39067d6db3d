"""``drawwatch db``: the database schema, its revision and its migrations."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from drawwatch.cli.base import Context, friendly_errors, pass_ctx

if TYPE_CHECKING:
    from sqlalchemy import Engine


@contextmanager
def _engine(obj: Context) -> Iterator[Engine]:
    """An engine that does not upgrade anything by itself (unlike ``Context.engine``)."""
    from drawwatch.storage.db import make_engine

    engine = make_engine(obj.settings.database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@click.group(short_help="The database schema: upgrade it, show its revision, check it.")
def db() -> None:
    """The database schema: upgrade it, show its revision, compare it with the models.

    Every drawwatch command upgrades the schema by itself when a new version needs it, so these commands are
    optional: for a deployment step that upgrades before new containers start, and for checking.
    """


@db.command("upgrade", short_help="Apply pending migrations; print the revision before and after.")
@click.option(
    "--revision",
    default="head",
    show_default=True,
    metavar="REV",
    help="Stop at this revision instead of the newest one.",
)
@pass_ctx
@friendly_errors
def db_upgrade(obj: Context, revision: str) -> None:
    """Apply the migrations the database has not had yet, and print the revision before and after.

    Safe while other drawwatch processes use or upgrade the same database: upgrades wait for each other.
    Tables made by a drawwatch that predates migrations are adopted first.
    """
    from drawwatch.storage.migrate import INITIAL_REVISION, upgrade

    with _engine(obj) as engine:
        result = upgrade(engine, revision)
    start = result.before
    if result.stamped:
        click.echo(f"Adopted the tables of an older drawwatch as revision {INITIAL_REVISION}.")
        start = INITIAL_REVISION
    if start != result.after:
        click.echo(f"Database schema upgraded: {start or 'empty'} → {result.after}")
    elif result.stamped:
        click.echo(f"Database schema at {result.after}: nothing else to do.")
    else:
        click.echo(f"Database schema already at {result.after}: nothing to do.")


@db.command("current", short_help="Print the schema revision and whether it is the newest.")
@pass_ctx
@friendly_errors
def db_current(obj: Context) -> None:
    """Print the database's schema revision and whether it is the newest this drawwatch knows."""
    from drawwatch.storage.migrate import current, head

    with _engine(obj) as engine:
        revision = current(engine)
    newest = head()
    if revision is None:
        click.echo("none: the schema is not managed by migrations yet (run `drawwatch db upgrade`)")
    elif revision == newest:
        click.echo(f"{revision} (head)")
    else:
        click.echo(f"{revision} (the newest is {newest}: run `drawwatch db upgrade`)")


@db.command("check", short_help="Compare the database with the models; exit 1 if they differ.")
@pass_ctx
@friendly_errors
def db_check(obj: Context) -> None:
    """Compare the database with this drawwatch's models; exit 1 and list the differences if any.

    Differences mean the database is behind (run `drawwatch db upgrade`), was changed by hand, or, for
    developers, that a model changed without a migration (see drawwatch/storage/migrations/README.md).
    """
    from drawwatch.storage.migrate import check, current

    with _engine(obj) as engine:
        problems = check(engine)
        revision = current(engine)
    if not problems:
        click.echo(f"No differences: the database (revision {revision}) matches the models.")
        return
    click.echo(f"The database differs from the models ({len(problems)}):")
    for problem in problems:
        click.echo(f"  - {problem}")
    sys.exit(1)
