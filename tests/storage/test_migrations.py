"""Schema migrations on SQLite and PostgreSQL: empty databases, databases made by create_all before drawwatch
had migrations, the cheap up-to-date path, concurrent first runs, drift, and ``drawwatch db`` end to end.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, String, event, inspect, text
from sqlmodel import SQLModel, select

from drawwatch.storage import migrate
from drawwatch.storage.db import make_engine, session_scope
from drawwatch.storage.migrate import init_schema
from drawwatch.storage.models import Subscriber, SubscriberChannel
from tests.support.commands import ROOT, clean_env, drawwatch
from tests.support.databases import open_engine

HEAD = migrate.head()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    with open_engine(database_url) as engine:
        yield engine


def schema(engine: Engine) -> dict[str, Any]:
    """Everything reflection sees of drawwatch's tables, normalised so two databases can be compared."""
    inspector = inspect(engine)
    tables: dict[str, Any] = {}
    for name in sorted(set(inspector.get_table_names()) - {migrate.VERSION_TABLE}):
        tables[name] = {
            # Sorted: a later revision's add_column appends, while create_all follows the model's order.
            "columns": sorted(
                (c["name"], repr(c["type"]), c["nullable"], str(c.get("default")))
                for c in inspector.get_columns(name)
            ),
            "primary_key": inspector.get_pk_constraint(name)["constrained_columns"],
            "foreign_keys": sorted(
                (
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                    tuple(sorted(fk.get("options", {}).items())),
                )
                for fk in inspector.get_foreign_keys(name)
            ),
            "indexes": sorted(
                (
                    str(ix["name"]),
                    tuple(str(c) for c in ix["column_names"]),
                    bool(ix["unique"]),
                    tuple(sorted((k, str(v)) for k, v in ix.get("dialect_options", {}).items())),
                )
                for ix in inspector.get_indexes(name)
            ),
            "unique": sorted(
                (str(uc["name"]), tuple(uc["column_names"])) for uc in inspector.get_unique_constraints(name)
            ),
            "checks": sorted(
                (str(ck["name"]), ck["sqltext"]) for ck in inspector.get_check_constraints(name)
            ),
        }
    return tables


def drop_everything(engine: Engine) -> None:
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {migrate.VERSION_TABLE}")


def create_all_like_before(engine: Engine) -> None:
    """What init_schema's create_all made before migrations existed: the initial revision's tables (the first
    test shows they are create_all's own while that revision is the head), without alembic_version."""
    migrate.upgrade(engine, migrate.INITIAL_REVISION)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE {migrate.VERSION_TABLE}")


def add_subscriber(engine: Engine) -> int:
    """A subscriber with a category and a channel, in SQL that only needs the initial revision's columns."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO subscriber (id, name, crs, active, language, unsubscribe_token, created_at, "
                "updated_at) VALUES (41, 'Ana', 501, :yes, 'en', 'tok-41', :now, :now)"
            ),
            {"yes": True, "now": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)},
        )
        connection.execute(
            text(
                "INSERT INTO subscriber_category (subscriber_id, category, source) VALUES (41, 'stem', 'explicit')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO subscriber_channel (id, subscriber_id, url, created_at) "
                "VALUES (7, 41, 'json://127.0.0.1:9/hook', :now)"
            ),
            {"now": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)},
        )
    return 41


# --- the revision files -----------------------------------------------------------------------------------


def test_the_revisions_read_without_alembic_match_alembics_own_reading() -> None:
    from alembic.script import ScriptDirectory
    from alembic.util import to_tuple

    scripts = ScriptDirectory.from_config(migrate._alembic_config())
    assert migrate.revision_graph() == {
        s.revision: to_tuple(s.down_revision, default=()) for s in scripts.walk_revisions()
    }
    assert migrate.script_heads() == set(scripts.get_heads()) == {HEAD}
    assert scripts.get_base() == migrate.INITIAL_REVISION


def test_the_initial_revision_creates_exactly_the_tables_adopted_from_create_all() -> None:
    assert set(SQLModel.metadata.tables) >= migrate.INITIAL_TABLES
    # Once another revision adds a table, INITIAL_TABLES must stay as it is: it describes revision 0001.
    if migrate.revision_graph() == {migrate.INITIAL_REVISION: ()}:
        assert set(SQLModel.metadata.tables) == migrate.INITIAL_TABLES


# --- empty databases, create_all databases ----------------------------------------------------------------


def test_upgrading_an_empty_database_gives_the_models_schema_and_no_drift(engine: Engine) -> None:
    assert migrate.current(engine) is None
    assert migrate.check(engine)  # empty: every table is missing

    result = migrate.upgrade(engine)

    assert result == migrate.UpgradeResult(before=None, after=HEAD, stamped=False)
    assert migrate.current(engine) == HEAD
    assert migrate.check(engine) == []  # what `alembic check` reports: no drift
    migrated = schema(engine)

    drop_everything(engine)
    SQLModel.metadata.create_all(engine)
    assert schema(engine) == migrated  # the very schema create_all makes from the models, index by index


def test_the_reviewed_details_of_the_initial_schema(engine: Engine) -> None:
    init_schema(engine)
    inspector = inspect(engine)
    on_delete = {
        (table, tuple(fk["constrained_columns"])): fk.get("options", {}).get("ondelete")
        for table in ("alert", "subscriber_category", "subscriber_channel", "draw", "draw_change")
        for fk in inspector.get_foreign_keys(table)
    }
    assert on_delete == {
        ("alert", ("subscriber_id",)): "CASCADE",
        ("alert", ("channel_id",)): "CASCADE",
        ("alert", ("draw_id",)): None,
        ("subscriber_category", ("subscriber_id",)): "CASCADE",
        ("subscriber_channel", ("subscriber_id",)): "CASCADE",
        ("draw", ("first_seen_check_id",)): None,
        ("draw_change", ("draw_id",)): None,
        ("draw_change", ("check_id",)): None,
    }
    counts = next(c for c in inspector.get_columns("pool_distribution") if c["name"] == "counts")
    assert type(counts["type"]).__name__ == ("JSONB" if engine.dialect.name == "postgresql" else "JSON")
    due = next(ix for ix in inspector.get_indexes("alert") if ix["name"] == "ix_alert_due")
    assert "pending" in str(due["dialect_options"][f"{engine.dialect.name}_where"])
    uniques = {tuple(uc["column_names"]) for uc in inspector.get_unique_constraints("alert")}
    assert ("subscriber_id", "draw_id", "channel_id", "kind", "revision") in uniques
    status_check = next(
        ck for ck in inspector.get_check_constraints("alert") if ck["name"] == "ck_alert_status"
    )
    assert "'ambiguous'" in status_check["sqltext"]
    assert {ck["name"] for ck in inspector.get_check_constraints("subscriber")} == {"ck_subscriber_crs"}


def test_a_database_made_by_create_all_is_stamped_then_upgraded(engine: Engine) -> None:
    create_all_like_before(engine)
    subscriber_id = add_subscriber(engine)
    assert migrate.current(engine) is None

    result = migrate.ensure_schema(engine)

    assert result == migrate.UpgradeResult(before=None, after=HEAD, stamped=True)
    assert migrate.current(engine) == HEAD
    assert migrate.check(engine) == []
    with session_scope(engine) as session:
        assert session.get(Subscriber, subscriber_id) is not None
        assert len(session.exec(select(SubscriberChannel)).all()) == 1
    assert migrate.ensure_schema(engine) is None


def test_unrelated_tables_do_not_make_a_database_look_like_an_old_drawwatch(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE someone_else (id INTEGER PRIMARY KEY)")
    result = migrate.upgrade(engine)
    assert result == migrate.UpgradeResult(before=None, after=HEAD, stamped=False)


# --- the up-to-date path ------------------------------------------------------------------------------------


def test_init_schema_twice_is_a_no_op_of_one_select(engine: Engine) -> None:
    init_schema(engine)
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        init_schema(engine)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert statements == [f"SELECT version_num FROM {migrate.VERSION_TABLE}"]
    assert migrate.current(engine) == HEAD


def test_an_up_to_date_database_does_not_even_import_alembic(database_url: str) -> None:
    engine = make_engine(database_url)
    init_schema(engine)
    engine.dispose()
    code = (
        "import sys, time\n"
        "from drawwatch.storage.db import make_engine\n"
        "from drawwatch.storage.migrate import init_schema\n"
        f"engine = make_engine({database_url!r})\n"
        "with engine.connect(): pass\n"
        "t = time.perf_counter(); init_schema(engine); ms = (time.perf_counter() - t) * 1000\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'), round(ms, 2))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=clean_env(), cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    imported, _ms = proc.stdout.rsplit(" ", 1)
    assert imported == "[]", imported  # its cost is reported, not asserted: speed is for benchmarks


def test_a_database_from_a_newer_drawwatch_is_refused_clearly(engine: Engine) -> None:
    init_schema(engine)
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE {migrate.VERSION_TABLE} SET version_num = '9999'"))
    with pytest.raises(migrate.MigrationError, match="revision 9999, which this drawwatch does not know"):
        init_schema(engine)


def test_upgrading_to_an_unknown_revision_fails_without_changes(engine: Engine) -> None:
    with pytest.raises(migrate.MigrationError, match="cannot upgrade the schema to 'nope'"):
        migrate.upgrade(engine, "nope")
    assert migrate.current(engine) is None
    assert set(inspect(engine).get_table_names()) == set()


def test_downgrade_to_base_and_back(engine: Engine) -> None:
    from alembic import command

    init_schema(engine)
    with migrate.migration_connection(engine) as connection:
        command.downgrade(migrate._alembic_config(connection), "base")
    assert set(inspect(engine).get_table_names()) == {migrate.VERSION_TABLE}
    assert migrate.current(engine) is None
    assert migrate.upgrade(engine).after == HEAD
    assert migrate.check(engine) == []


# --- drift ----------------------------------------------------------------------------------------------


def test_check_lists_what_differs(engine: Engine) -> None:
    init_schema(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ix_draw_date")
        connection.exec_driver_sql("CREATE TABLE stray (id INTEGER PRIMARY KEY)")
    assert sorted(migrate.check(engine)) == [
        "index ix_draw_date on draw(date): in the models, not in the database",
        "table stray: in the database, not in the models",
    ]


def test_check_reports_a_database_not_at_the_head(engine: Engine) -> None:
    create_all_like_before(engine)
    problems = migrate.check(engine)
    assert problems[0] == "no alembic_version table: the schema is not managed by migrations yet"
    if HEAD == migrate.INITIAL_REVISION:
        assert problems == problems[:1]
        return
    assert len(problems) > 1  # what the later revisions would change
    migrate.upgrade(engine, migrate.INITIAL_REVISION)  # adopts it: at the initial revision now
    behind = migrate.check(engine)
    assert behind[0] == f"the database is at revision {migrate.INITIAL_REVISION}, the head is {HEAD}"
    assert behind[1:] == problems[1:]


# --- locking ----------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_processes_initialising_one_empty_database_at_once_all_succeed(database_url: str) -> None:
    start_at = time.time() + 4  # after every process has imported drawwatch
    code = (
        "import json, sys, time\n"
        "from drawwatch.storage.db import make_engine\n"
        "from drawwatch.storage.migrate import ensure_schema, target_metadata\n"
        "target_metadata()\n"
        f"engine = make_engine({database_url!r})\n"
        f"time.sleep(max(0, {start_at} - time.time()))\n"
        "result = ensure_schema(engine)\n"
        "print(json.dumps(None if result is None else [result.before, result.after]))\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(),
            cwd=ROOT,
        )
        for _ in range(4)
    ]
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outcomes.append(json.loads(out))
    # Exactly one created the schema; the others found it done once they had the lock (or on their SELECT).
    assert outcomes.count([None, HEAD]) == 1, outcomes
    assert all(o in (None, [HEAD, HEAD]) for o in outcomes if o != [None, HEAD]), outcomes
    engine = make_engine(database_url)
    try:
        assert migrate.current(engine) == HEAD
        assert migrate.check(engine) == []
    finally:
        engine.dispose()


def test_a_second_upgrade_waits_for_the_first_ones_lock(engine: Engine) -> None:
    import threading

    order: list[str] = []
    with migrate.migration_connection(engine):
        other = make_engine(engine.url.render_as_string(hide_password=False))
        thread = threading.Thread(target=lambda: order.append(str(migrate.upgrade(other).after)))
        thread.start()
        thread.join(timeout=1.0)
        assert thread.is_alive(), "the second upgrade did not wait for the lock"
        order.append("first done")
    thread.join(timeout=60)
    other.dispose()
    assert order == ["first done", HEAD]


def test_sqlite_migrations_run_without_foreign_keys_so_rebuilt_tables_keep_their_children(
    tmp_path: Path,
) -> None:
    """Batch mode re-creates a table by copy, drop and rename; with foreign keys on, dropping ``subscriber``
    would cascade-delete every category, channel and alert."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    engine = make_engine(f"sqlite:///{tmp_path / 'fk.db'}")
    init_schema(engine)
    add_subscriber(engine)
    with migrate.migration_connection(engine) as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 0
        operations = Operations(MigrationContext.configure(connection))
        with operations.batch_alter_table("subscriber", recreate="always") as batch:
            batch.alter_column("name", existing_type=String(200), nullable=True)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # restored for the pool
        assert connection.exec_driver_sql("SELECT count(*) FROM subscriber_channel").scalar() == 1
        assert connection.exec_driver_sql("SELECT count(*) FROM subscriber_category").scalar() == 1
    engine.dispose()


def test_0003_keeps_every_alert_and_subscriber_row(engine: Engine) -> None:
    """0003 rebuilds ``alert`` and ``subscriber`` on SQLite (new unique key, check and columns): the rows
    and their children survive, and existing alerts become revision 0 of their round."""
    migrate.upgrade(engine, "0002")
    with engine.begin() as conn:
        for statement in (
            "INSERT INTO draw (number, number_int, number_suffix, date, name, category, programs, invitations, "
            "crs, run_at_raw, tie_break_raw, url, baseline, first_seen_at, updated_at) VALUES ('1', 1, '', "
            "'2026-01-01', 'n', 'stem', '', 1, 1, '', '', 'u', false, '2026-01-01', '2026-01-01')",
            "INSERT INTO subscriber (name, crs, active, language, unsubscribe_token, created_at, updated_at) "
            "VALUES ('Ana', 500, true, 'en', 'tok', '2026-01-01', '2026-01-01')",
            "INSERT INTO subscriber_category (subscriber_id, category, source) VALUES (1, 'stem', 'explicit')",
            "INSERT INTO subscriber_channel (subscriber_id, url, created_at) VALUES (1, 'json://x', '2026-01-01')",
            "INSERT INTO alert (subscriber_id, draw_id, channel_id, kind, tie, status, attempts, next_attempt_at, "
            "created_at) VALUES (1, 1, 1, 'round', 'clear', 'sent', 1, '2026-01-01', '2026-01-01')",
        ):
            conn.exec_driver_sql(statement)

    migrate.upgrade(engine)

    with engine.connect() as conn:
        alert = conn.exec_driver_sql("SELECT kind, revision, status FROM alert").one()
        assert tuple(alert) == ("round", 0, "sent")
        for table in ("subscriber", "subscriber_category", "subscriber_channel"):
            assert conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() == 1, table
        quiet = conn.exec_driver_sql("SELECT quiet_hours, timezone FROM subscriber").one()
        assert tuple(quiet) == (None, None)
    assert migrate.check(engine) == []


def test_0004_keeps_every_round_change_and_feed_state_row(engine: Engine) -> None:
    """0004 rebuilds ``draw`` and ``feed_state`` on SQLite (new columns): rows and the corrections that point
    at them survive; no round starts withdrawn and no feed stale; held feeds can be kept."""
    migrate.upgrade(engine, "0003")
    with engine.begin() as conn:
        for statement in (
            "INSERT INTO check_run (started_at, outcome, baseline, feed_url, new_count, changed_count, "
            "skipped_count) VALUES ('2026-01-01', 'ok', true, 'u', 1, 0, 0)",
            "INSERT INTO draw (number, number_int, number_suffix, date, name, category, programs, invitations, "
            "crs, run_at_raw, tie_break_raw, url, baseline, first_seen_at, updated_at) VALUES ('1', 1, '', "
            "'2026-01-01', 'n', 'stem', '', 1, 1, '', '', 'u', false, '2026-01-01', '2026-01-01')",
            "INSERT INTO draw_change (draw_id, check_id, field, old_value, new_value, changed_at) VALUES "
            "(1, 1, 'crs', '2', '1', '2026-01-01')",
            "INSERT INTO feed_state (feed_url, etag, content_hash, last_checked_at, consecutive_failures) "
            "VALUES ('u', 'e', 'h', '2026-01-01', 0)",
        ):
            conn.exec_driver_sql(statement)

    migrate.upgrade(engine)

    with engine.begin() as conn:
        assert tuple(conn.exec_driver_sql("SELECT number, crs, withdrawn_at FROM draw").one()) == (
            "1",
            1,
            None,
        )
        assert conn.exec_driver_sql("SELECT count(*) FROM draw_change WHERE draw_id = 1").scalar() == 1
        state = conn.exec_driver_sql("SELECT etag, content_hash, stale_since FROM feed_state").one()
        assert tuple(state) == ("e", "h", None)
        conn.exec_driver_sql(
            "INSERT INTO held_feed (feed_url, content_hash, reason, new_count, changed_count, rounds, status, "
            "first_seen_at, last_seen_at, times_seen) VALUES ('u', 'h2', 'r', 0, 0, '[]', 'held', "
            "'2026-01-01', '2026-01-01', 1)"
        )
    assert migrate.check(engine) == []
    from alembic import command

    with migrate.migration_connection(engine) as connection:
        command.downgrade(migrate._alembic_config(connection), "0003")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM draw_change").scalar() == 1


# --- drawwatch db, end to end ---------------------------------------------------------------------------


@pytest.mark.slow
def test_db_commands_through_the_cli(database_url: str) -> None:
    env = {"DRAWWATCH_DATABASE_URL": database_url}

    before = drawwatch("db", "current", env=env)
    assert before.code == 0, before.stderr
    assert before.stdout.startswith("none:")

    empty = drawwatch("db", "check", env=env)
    assert empty.code == 1
    assert "table draw: in the models, not in the database" in empty.stdout

    up = drawwatch("db", "upgrade", env=env)
    assert up.code == 0, up.stderr
    assert up.stdout.strip() == f"Database schema upgraded: empty → {HEAD}"

    again = drawwatch("db", "upgrade", "--revision", HEAD, env=env)
    assert again.code == 0, again.stderr
    assert again.stdout.strip() == f"Database schema already at {HEAD}: nothing to do."

    now = drawwatch("db", "current", env=env)
    assert now.stdout.strip() == f"{HEAD} (head)"

    clean = drawwatch("db", "check", env=env)
    assert clean.code == 0, clean.stdout + clean.stderr
    assert clean.stdout.strip() == f"No differences: the database (revision {HEAD}) matches the models."

    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ix_alert_channel_id")
    engine.dispose()
    drift = drawwatch("db", "check", env=env)
    assert drift.code == 1
    assert drift.stdout.splitlines() == [
        "The database differs from the models (1):",
        "  - index ix_alert_channel_id on alert(channel_id): in the models, not in the database",
    ]

    bad = drawwatch("db", "upgrade", "--revision", "nope", env=env)
    assert bad.code == 2
    assert bad.stderr.startswith("error: cannot upgrade the schema to 'nope'"), bad.stderr


@pytest.mark.slow
def test_db_upgrade_adopts_a_database_made_by_an_older_drawwatch(database_url: str) -> None:
    engine = make_engine(database_url)
    create_all_like_before(engine)
    add_subscriber(engine)
    engine.dispose()

    up = drawwatch("db", "upgrade", env={"DRAWWATCH_DATABASE_URL": database_url})
    assert up.code == 0, up.stderr
    assert up.stdout.splitlines()[0] == (
        f"Adopted the tables of an older drawwatch as revision {migrate.INITIAL_REVISION}."
    )
    if HEAD == migrate.INITIAL_REVISION:
        assert up.stdout.splitlines()[1:] == [f"Database schema at {HEAD}: nothing else to do."]
    else:
        assert up.stdout.splitlines()[1:] == [
            f"Database schema upgraded: {migrate.INITIAL_REVISION} → {HEAD}"
        ]


@pytest.mark.slow
def test_any_command_upgrades_an_empty_database_by_itself(database_url: str) -> None:
    run = drawwatch("subscribers", "list", env={"DRAWWATCH_DATABASE_URL": database_url})
    assert run.code == 0, run.stderr
    engine = make_engine(database_url)
    try:
        assert migrate.current(engine) == HEAD
    finally:
        engine.dispose()


def test_db_help_reads_well() -> None:
    from click.testing import CliRunner

    from drawwatch.cli import cli

    result = CliRunner().invoke(cli, ["db", "--help"])
    assert result.exit_code == 0
    for name in ("upgrade", "current", "check"):
        assert name in result.output
