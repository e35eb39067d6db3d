"""The sign-up site: ``signup`` holds a web subscriber's e-mail address (one sign-up per address) and whether
they confirmed it (double opt-in: the subscriber stays inactive until then).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 03:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (for any sqlmodel type autogenerate writes as it is)
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signup",
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mails_sent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_mail_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscriber.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("subscriber_id"),
        sa.UniqueConstraint("email"),
    )
    op.create_index("ix_signup_created_at", "signup", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_signup_created_at", table_name="signup")
    op.drop_table("signup")
