"""Schema migrations: Alembic revisions shipped in ``drawwatch/storage/migrations``, run from code.

:func:`ensure_schema` (what :func:`init_schema` and so every command calls) costs one
``SELECT`` of ``alembic_version`` when the database is already at the head revision: Alembic itself (about
0.1 s of imports) is loaded only when there is something to do. The head is read from the revision files
without Alembic; a test checks that reading against Alembic's own.

Upgrades hold a lock so that two processes starting on one empty database do not both create the tables:
a PostgreSQL advisory lock for the migration's transaction, SQLite's writer lock (``BEGIN IMMEDIATE``). Both
run the whole upgrade in one transaction (SQLite and PostgreSQL have transactional DDL), so a failed
migration leaves the database as it was.
"""

from __future__ import annotations

import ast
import functools
import logging
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, MetaData, inspect
from sqlalchemy.exc import DBAPIError, OperationalError

from drawwatch.domain.errors import StorageError

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger("drawwatch.storage")

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
VERSION_TABLE = "alembic_version"
# The revision whose schema is what create_all made before drawwatch had migrations: such a database (its
# tables and no alembic_version) is stamped with it, then upgraded like any other.
INITIAL_REVISION = "0001"
INITIAL_TABLES = frozenset(
    {
        "alert",
        "check_run",
        "draw",
        "draw_change",
        "feed_state",
        "pool_distribution",
        "subscriber",
        "subscriber_category",
        "subscriber_channel",
    }
)
# pg_advisory_xact_lock key: any constant 64-bit number other code on the server does not use ("drawwatc").
PG_LOCK_KEY = int.from_bytes(b"drawwatc", "big")
# How long an upgrade on SQLite waits for another process's write transaction (each try waits the busy timeout).
SQLITE_LOCK_WAIT_S = 300.0


class MigrationError(StorageError):
    """The schema cannot be brought to the wanted revision (unknown revision, failed migration)."""


@dataclass(frozen=True)
class UpgradeResult:
    """What :func:`upgrade` did: revisions before and after (None: no alembic_version), and whether it
    first stamped a database created by ``create_all`` before drawwatch had migrations."""

    before: str | None
    after: str | None
    stamped: bool = False

    @property
    def changed(self) -> bool:
        return self.stamped or self.before != self.after


def target_metadata() -> MetaData:
    """The models' metadata: what the migrations must produce and what :func:`check` compares with."""
    from sqlmodel import SQLModel

    from drawwatch.storage import models  # noqa: F401  (registers the tables on SQLModel.metadata)

    return SQLModel.metadata


def context_options(dialect_name: str) -> dict[str, Any]:
    """Options for Alembic's migration context, shared by env.py and :func:`check` so both compare alike."""
    return {
        "target_metadata": target_metadata(),
        # SQLite cannot ALTER most things: batch mode copies the table instead.
        "render_as_batch": dialect_name == "sqlite",
        "compare_type": True,
        # Opt-in (Alembic ≥ 1.18): also compare CHECK constraints, by name; both of drawwatch's are named.
        "autogenerate_plugins": ["alembic.autogenerate.*", "alembic.ext.checkconstraint_byname"],
        "render_item": _render_item,
    }


def _render_item(kind: str, obj: Any, autogen_context: Any) -> str | bool:
    """Autogenerate: write sqlmodel's column types as the plain SQLAlchemy types they stand for.

    A revision must keep working for as long as drawwatch supports upgrading from it, and sqlmodel (0.0.x)
    has removed types before (``sqlmodel.sql.sqltypes.GUID``, which broke other projects' migrations). The
    database sees the same DDL either way. Also writes the JSON/JSONB variant Alembic renders with an
    unimported ``Text()``.
    """
    if kind != "type":
        return False
    from sqlalchemy import JSON, String
    from sqlalchemy.dialects.postgresql import JSONB
    from sqlmodel.sql import sqltypes

    utc_datetime = getattr(sqltypes, "UTCDateTime", None)  # sqlmodel ≥ 0.0.50
    if utc_datetime is not None and isinstance(obj, utc_datetime):
        return "sa.DateTime(timezone=True)"
    if type(obj) in (sqltypes.AutoString, String) and obj.collation is None:
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    variants = getattr(obj, "_variant_mapping", {})
    if type(obj) is JSON and set(variants) == {"postgresql"} and type(variants["postgresql"]) is JSONB:
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return 'sa.JSON().with_variant(postgresql.JSONB(), "postgresql")'
    return False


# --- the revision graph, read without Alembic -------------------------------------------------------------

_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


@functools.cache
def revision_graph() -> dict[str, tuple[str, ...]]:
    """Every revision shipped, mapped to the revisions it follows (empty for the first)."""
    graph: dict[str, tuple[str, ...]] = {}
    for path in sorted(VERSIONS_DIR.glob("*.py")):
        if path.name == "__init__.py":
            continue
        values = _read_identifiers(path.read_text(encoding="utf-8"))
        revision = values.get("revision")
        if not isinstance(revision, str):
            continue
        down = values.get("down_revision")
        graph[revision] = () if down is None else (down,) if isinstance(down, str) else tuple(down)
    return graph


def _read_identifiers(source: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    try:
        for name, expression in _ASSIGNMENT.findall(source):
            values[name] = ast.literal_eval(expression)
    except (ValueError, SyntaxError):  # e.g. a merge's tuple wrapped over lines: parse the whole module
        values = {}
        target: ast.expr
        value: ast.expr | None
        for node in ast.parse(source).body:
            if isinstance(node, ast.AnnAssign):
                target, value = node.target, node.value
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision") and value:
                values[target.id] = ast.literal_eval(value)
    return values


def script_heads() -> frozenset[str]:
    """The revisions no other revision follows: where ``upgrade`` to ``head`` ends."""
    graph = revision_graph()
    followed = {down for downs in graph.values() for down in downs}
    return frozenset(rev for rev in graph if rev not in followed)


def head() -> str:
    """The single head revision (several heads mean two new revisions need a merge revision)."""
    heads = script_heads()
    if len(heads) != 1:
        raise MigrationError(
            f"the migrations have {len(heads)} heads ({', '.join(sorted(heads))}): merge them"
        )
    return next(iter(heads))


# --- reading and changing the database ------------------------------------------------------------------


def _format(versions: Sequence[str] | None) -> str | None:
    return ", ".join(sorted(versions)) if versions else None


def stored_versions(connection: Connection) -> tuple[str, ...] | None:
    """The revisions recorded in the database; None when it has no alembic_version table."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    rows = connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalars().all()
    return tuple(rows)


def current(engine: Engine) -> str | None:
    """The database's revision (several joined by ", " on branches); None when it has none yet."""
    with engine.connect() as connection:
        return _format(stored_versions(connection))


def _legacy_tables(connection: Connection) -> frozenset[str]:
    return INITIAL_TABLES & set(inspect(connection).get_table_names())


@dataclass(frozen=True)
class NewDatabase:
    """:func:`init_schema` made a database from nothing: a new SQLite file (``path``), or the tables in an
    empty PostgreSQL database (``path`` None; ``url`` is without its password)."""

    url: str
    path: Path | None


def init_schema(engine: Engine) -> NewDatabase | None:
    """Bring the schema to the newest migration; every command calls this before using the database.

    One ``SELECT`` when the database is up to date. Otherwise runs the Alembic migrations under a lock (two
    processes may start on one empty database), adopting tables an older drawwatch made with create_all.
    Returns what was created when this call started a new database (a SQLite file that did not exist, or an
    empty PostgreSQL schema), so the command line can say so; None otherwise (and for in-memory SQLite).
    """
    from drawwatch.storage.db import redact_url, sqlite_file

    path = sqlite_file(engine.url)
    existed = path is not None and path.exists()
    result = ensure_schema(engine)
    if result is None or result.before is not None or result.stamped:
        return None  # it had the schema already, or another process made it first, or older tables
    url = redact_url(engine.url)
    if path is not None:
        return None if existed else NewDatabase(url, path)
    return None if engine.dialect.name == "sqlite" else NewDatabase(url, None)


def ensure_schema(engine: Engine) -> UpgradeResult | None:
    """Bring the database to the head revision; None (after one SELECT) when it is there already."""
    try:
        with engine.connect() as connection:
            stored = connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalars().all()
    except DBAPIError:  # no alembic_version yet (or the server is down: upgrade() will say so)
        stored = None
    if stored is not None and frozenset(stored) == script_heads():
        return None
    result = upgrade(engine)
    if result.changed:
        log.info(
            "database schema upgraded from %s to %s%s",
            result.before or "an empty database",
            result.after,
            " (tables made by an older drawwatch were adopted)" if result.stamped else "",
        )
    return result


def upgrade(engine: Engine, revision: str = "head") -> UpgradeResult:
    """Run the migrations up to ``revision`` (default: the head) under the migration lock.

    A database whose drawwatch tables were made by ``create_all`` (no alembic_version) is first stamped with
    the initial revision, whose schema it has, and then upgraded like any other.
    """
    _quiet_alembic()  # before the import: Alembic logs while it loads
    from alembic import command
    from alembic.util import CommandError

    graph = revision_graph()
    with migration_connection(engine) as connection:
        before = stored_versions(connection)  # read again under the lock: another process may have done it
        unknown = [rev for rev in before or () if rev not in graph]
        if unknown:
            raise MigrationError(
                f"the database is at revision {', '.join(unknown)}, which this drawwatch does not know: "
                "it was upgraded by a newer drawwatch; run that version (or newer)"
            )
        config = _alembic_config(connection)
        stamped = False
        try:
            if before is None and _legacy_tables(connection):
                command.stamp(config, INITIAL_REVISION)
                stamped = True
            command.upgrade(config, revision)
        except CommandError as exc:
            raise MigrationError(f"cannot upgrade the schema to {revision!r}: {exc}") from None
        after = stored_versions(connection)
    if stamped:
        drift = check(engine)
        if drift:
            log.warning(
                "the tables made before migrations differ from the models: %s (see `drawwatch db check`)",
                "; ".join(drift),
            )
    return UpgradeResult(_format(before), _format(after), stamped)


def _alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration built in code: no alembic.ini is needed at run time."""
    from alembic.config import Config

    config = Config(attributes={"connection": connection} if connection is not None else {})
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    return config


def _quiet_alembic() -> None:
    """Alembic logs a dozen "setting up autogenerate plugin" lines at INFO each run: noise in the daemon's log."""
    plugins = logging.getLogger("alembic.runtime.plugins")
    if plugins.level == logging.NOTSET:
        plugins.setLevel(logging.WARNING)


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that holds the migration lock; commits when the block succeeds.

    On SQLite foreign keys are off meanwhile: batch mode drops and re-creates tables, and dropping a table
    with ``ON DELETE CASCADE`` children would delete their rows. ``PRAGMA foreign_key_check`` before the
    commit makes sure the copy left no dangling reference.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction: first
            connection.commit()
        try:
            try:
                if sqlite:
                    _begin_immediate(connection)
                else:
                    _pg_lock(connection)
                yield connection
                if sqlite:
                    _check_foreign_keys(connection)
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
        finally:
            if sqlite:
                try:
                    connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                    connection.commit()
                except DBAPIError:
                    connection.invalidate()  # never hand a connection without foreign keys back to the pool


def _pg_lock(connection: Connection) -> None:
    if connection.exec_driver_sql(f"SELECT pg_try_advisory_xact_lock({PG_LOCK_KEY})").scalar():
        return
    log.info("another process is upgrading the database schema: waiting for it")
    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_LOCK_KEY})")


def _begin_immediate(connection: Connection) -> None:
    deadline = time.monotonic() + SQLITE_LOCK_WAIT_S
    while True:
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as exc:
            if "locked" not in str(exc.orig) or time.monotonic() > deadline:
                raise
            connection.rollback()
            log.info("another process is writing to the database: waiting to upgrade the schema")


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise MigrationError(
            f"the migration would leave {len(broken)} row(s) referring to missing rows (first: {table} "
            f"rowid {rowid} → {parent}); nothing was changed"
        )


# --- drift -------------------------------------------------------------------------------------------------


def check(engine: Engine) -> list[str]:
    """How the database differs from the models, one line per difference; empty when it matches.

    Alembic's autogenerate comparison (tables, columns and their types and nullability, indexes, unique
    constraints, foreign keys, CHECK constraints by name), plus a line when the recorded revision is not the
    head. It does not see a changed CHECK condition or partial index condition.
    """
    _quiet_alembic()
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        stored = stored_versions(connection)
        context = MigrationContext.configure(connection, opts=context_options(connection.dialect.name))
        diffs = compare_metadata(context, target_metadata())
    problems: list[str] = []
    heads = script_heads()
    if stored is None:
        problems.append("no alembic_version table: the schema is not managed by migrations yet")
    elif frozenset(stored) != heads:
        problems.append(
            f"the database is at revision {_format(stored)}, the head is {_format(sorted(heads))}"
        )
    problems.extend(_describe(diff) for diff in diffs)
    return problems


def _describe(diff: Any) -> str:
    if isinstance(diff, list):  # the column modifications Alembic groups per column
        return "; ".join(_describe(d) for d in diff)
    kind = diff[0]
    models_only, database_only = "in the models, not in the database", "in the database, not in the models"
    where = models_only if kind.startswith("add_") else database_only
    if kind in ("add_table", "remove_table"):
        return f"table {diff[1].name}: {where}"
    if kind in ("add_column", "remove_column"):
        return f"column {diff[2]}.{diff[3].name}: {where}"
    if kind in ("add_index", "remove_index"):
        index = diff[1]
        columns = ", ".join(str(getattr(c, "name", c)) for c in index.expressions)
        return f"index {index.name} on {index.table.name}({columns}): {where}"
    if kind in ("add_constraint", "remove_constraint", "add_fk", "remove_fk"):
        constraint = diff[1]
        label = {
            "ForeignKeyConstraint": "foreign key",
            "UniqueConstraint": "unique constraint",
            "CheckConstraint": "check constraint",
        }.get(type(constraint).__name__, "constraint")
        name = f" {constraint.name}" if isinstance(constraint.name, str) else ""
        columns = ", ".join(c.name for c in constraint.columns)
        return f"{label}{name} on {constraint.table.name}{f'({columns})' if columns else ''}: {where}"
    if kind.startswith("modify_"):
        _, _schema, table, column, _info, in_database, in_models = diff
        what = kind.removeprefix("modify_")
        return (
            f"column {table}.{column}: {what} is {in_database!s} in the database, {in_models!s} in the models"
        )
    return repr(diff)
