"""report, and the complaint columns the CP-18 analysis aggregates (issue 15)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 14:00:00.000000
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("subtype", sa.String(length=30), nullable=True),
        sa.Column("validity", sa.String(length=20), nullable=True),
        sa.Column("target_kind", sa.String(length=20), nullable=True),
        sa.Column("target_ref", sa.String(length=200), nullable=True),
        sa.Column("plan_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=True),
        sa.Column("compensation_status", sa.String(length=20), nullable=True),
        sa.Column("compensation_level", sa.String(length=20), nullable=True),
        sa.Column("compensation_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("satisfied", sa.Boolean(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
    ]


def upgrade() -> None:
    with op.batch_alter_table("complaint") as batch:
        for column in columns():
            batch.add_column(column)
    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("produced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report")),
        sa.UniqueConstraint("kind", "period", "version", name=op.f("uq_report_kind")),
    )
    op.create_index("ix_report_kind_period", "report", ["kind", "period"], unique=False)
    _backfill()


def _backfill() -> None:
    """The new columns of the complaints already there, from their view (demo-sized data)."""
    from datetime import datetime

    bind = op.get_bind()
    complaint = sa.table(
        "complaint", sa.column("id"), sa.column("view", sa.JSON), *[sa.column(c.name) for c in columns()]
    )

    def when(v: str | None) -> datetime | None:
        return datetime.fromisoformat(v.replace("Z", "+00:00")) if v else None

    for row in bind.execute(sa.select(complaint.c.id, complaint.c.view)).all():
        v = row.view or {}
        target = v.get("target") or {}
        comp = v.get("compensation") or {}
        bind.execute(
            complaint.update()
            .where(complaint.c.id == row.id)
            .values(
                subtype=v.get("subtype"),
                validity=v.get("validity"),
                target_kind=target.get("kind"),
                target_ref=target.get("staff_id") or target.get("name"),
                plan_recorded_at=when(v.get("plan_recorded_at")),
                resolved_at=when(v.get("resolved_at")),
                reopen_count=v.get("reopen_count"),
                compensation_status=comp.get("status"),
                compensation_level=comp.get("required_level"),
                compensation_amount=comp.get("amount"),
                satisfied=v.get("satisfied"),
                score=v.get("score"),
            )
        )


def downgrade() -> None:
    op.drop_index("ix_report_kind_period", table_name="report")
    op.drop_table("report")
    with op.batch_alter_table("complaint") as batch:
        for column in reversed(columns()):
            batch.drop_column(column.name)
