"""Subscribers with a CRS profile: the profile and the score computed from it (day, valid until, rule set,
why it last changed), and a partial index over the profile subscribers' score days.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 15:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (for any sqlmodel type autogenerate writes as it is)
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("score_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("score_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("score_rules", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("score_note", sa.String(length=300), nullable=True))
    op.create_index(
        "ix_subscriber_profile_score",
        "subscriber",
        ["score_on", "score_until"],
        unique=False,
        postgresql_where=sa.text("profile IS NOT NULL"),
        sqlite_where=sa.text("profile IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_subscriber_profile_score",
        table_name="subscriber",
        postgresql_where=sa.text("profile IS NOT NULL"),
        sqlite_where=sa.text("profile IS NOT NULL"),
    )
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.drop_column("score_note")
        batch_op.drop_column("score_rules")
        batch_op.drop_column("score_until")
        batch_op.drop_column("score_on")
        batch_op.drop_column("profile")
