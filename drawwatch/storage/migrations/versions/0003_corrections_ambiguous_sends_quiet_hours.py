"""Correction notices (alert.revision in the unique key), the "ambiguous" status, subscribers' quiet hours.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 19:08:41.242459
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (for any sqlmodel type autogenerate writes as it is)
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = ("pending", "sent", "failed", "dead", "cancelled", "ambiguous")
_OLD_STATUSES = ("pending", "sent", "failed", "dead", "cancelled")


def _status_check(statuses: tuple[str, ...]) -> str:
    return "status IN ({})".format(", ".join(f"'{status}'" for status in statuses))


def upgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_constraint("uq_alert_key", type_="unique")
        batch_op.create_unique_constraint(
            "uq_alert_key", ["subscriber_id", "draw_id", "channel_id", "kind", "revision"]
        )
        batch_op.drop_constraint("ck_alert_status", type_="check")
        batch_op.create_check_constraint("ck_alert_status", _status_check(_STATUSES))

    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quiet_hours", sa.String(length=11), nullable=True))
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.drop_column("timezone")
        batch_op.drop_column("quiet_hours")

    # Rows the old schema cannot hold: corrections and ambiguous sends.
    op.execute("DELETE FROM alert WHERE kind <> 'round' OR revision <> 0 OR status = 'ambiguous'")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_constraint("ck_alert_status", type_="check")
        batch_op.create_check_constraint("ck_alert_status", _status_check(_OLD_STATUSES))
        batch_op.drop_constraint("uq_alert_key", type_="unique")
        batch_op.create_unique_constraint("uq_alert_key", ["subscriber_id", "draw_id", "channel_id", "kind"])
        batch_op.drop_column("revision")
