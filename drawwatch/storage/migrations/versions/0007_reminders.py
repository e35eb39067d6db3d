"""Scores computed ahead and reminders.

Scores ahead: ``subscriber.next_*``, the score a profile will have on the day its stored one ends. Reminders:
the opt-in (``subscriber.reminders``) and the next day to look (``remind_on``); outbox rows about no round
(``alert.draw_id`` NULL, ``alert.event_on`` the day a reminder warns of), queued once per subscriber, channel,
kind and day by the partial unique index ``uq_alert_reminder``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 03:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (for any sqlmodel type autogenerate writes as it is)
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NO_ROUND = sa.text("draw_id IS NULL")
_REMIND = sa.text("remind_on IS NOT NULL")
_PROFILE = sa.text("profile IS NOT NULL")
_AHEAD = sa.text("next_on IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminders", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("remind_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("next_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("next_crs", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("next_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("next_rules", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("next_note", sa.String(length=300), nullable=True))
    op.create_index(
        "ix_subscriber_score_until",
        "subscriber",
        ["score_until", "score_on", "next_on"],
        unique=False,
        postgresql_where=_PROFILE,
        sqlite_where=_PROFILE,
    )
    op.create_index(
        "ix_subscriber_next_on",
        "subscriber",
        ["next_on"],
        unique=False,
        postgresql_where=_AHEAD,
        sqlite_where=_AHEAD,
    )
    op.create_index(
        "ix_subscriber_remind_on",
        "subscriber",
        ["remind_on"],
        unique=False,
        postgresql_where=_REMIND,
        sqlite_where=_REMIND,
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.alter_column("draw_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("event_on", sa.Date(), nullable=True))
    op.create_index(
        "uq_alert_reminder",
        "alert",
        ["subscriber_id", "channel_id", "kind", "event_on"],
        unique=True,
        postgresql_where=_NO_ROUND,
        sqlite_where=_NO_ROUND,
    )


def downgrade() -> None:
    op.drop_index("uq_alert_reminder", table_name="alert", postgresql_where=_NO_ROUND, sqlite_where=_NO_ROUND)
    op.execute("DELETE FROM alert WHERE draw_id IS NULL")  # reminders: the old schema cannot hold them
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_column("event_on")
        batch_op.alter_column("draw_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index(
        "ix_subscriber_remind_on", table_name="subscriber", postgresql_where=_REMIND, sqlite_where=_REMIND
    )
    op.drop_index(
        "ix_subscriber_next_on", table_name="subscriber", postgresql_where=_AHEAD, sqlite_where=_AHEAD
    )
    op.drop_index(
        "ix_subscriber_score_until", table_name="subscriber", postgresql_where=_PROFILE, sqlite_where=_PROFILE
    )
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        for column in (
            "next_note",
            "next_rules",
            "next_until",
            "next_crs",
            "next_on",
            "remind_on",
            "reminders",
        ):
            batch_op.drop_column(column)
