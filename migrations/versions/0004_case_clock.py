"""case_clock (issue 14: every run of every clock, accounted)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_clock",
        sa.Column("case_ref", sa.String(length=100), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("clock", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("allowed_seconds", sa.Float(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fulfilled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_seconds", sa.Float(), nullable=True),
        sa.Column("lateness_seconds", sa.Float(), nullable=True),
        sa.Column("pauses", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_ref", "n", name=op.f("pk_case_clock")),
    )
    op.create_index(op.f("ix_case_clock_clock"), "case_clock", ["clock"], unique=False)
    op.create_index(op.f("ix_case_clock_due_at"), "case_clock", ["due_at"], unique=False)
    op.create_index(op.f("ix_case_clock_outcome"), "case_clock", ["outcome"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_case_clock_outcome"), table_name="case_clock")
    op.drop_index(op.f("ix_case_clock_due_at"), table_name="case_clock")
    op.drop_index(op.f("ix_case_clock_clock"), table_name="case_clock")
    op.drop_table("case_clock")
