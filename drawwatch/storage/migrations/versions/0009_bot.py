"""The Telegram bot (``drawwatch bot``): ``bot_state`` (the getUpdates offset and the poller's lease),
``bot_chat`` (a chat's language and the subscriber it is) and ``bot_reply`` (the replies' outbox).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 03:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (for any sqlmodel type autogenerate writes as it is)
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bot_state",
        sa.Column("bot_id", sa.String(length=32), nullable=False),
        sa.Column("update_offset", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bot_id"),
    )
    op.create_table(
        "bot_chat",
        sa.Column("bot_id", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("step", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscriber.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("bot_id", "chat_id"),
        sa.UniqueConstraint("subscriber_id", name="uq_bot_chat_subscriber"),
    )
    op.create_table(
        "bot_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bot_id", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'unknown')", name="ck_bot_reply_status"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_bot_reply_due",
        "bot_reply",
        ["bot_id", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_bot_reply_chat", "bot_reply", ["bot_id", "chat_id"], unique=False)
    op.create_index("ix_bot_reply_created_at", "bot_reply", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_bot_reply_created_at", table_name="bot_reply")
    op.drop_index("ix_bot_reply_chat", table_name="bot_reply")
    op.drop_index("ix_bot_reply_due", table_name="bot_reply")
    op.drop_table("bot_reply")
    op.drop_table("bot_chat")
    op.drop_table("bot_state")
