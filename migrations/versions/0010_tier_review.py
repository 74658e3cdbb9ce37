"""tier_review (CC-04: each department's six-monthly tier review)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 18:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INDEXED = ("period", "department", "stage")


def upgrade() -> None:
    op.create_table(
        "tier_review",
        sa.Column("id", sa.String(length=120), nullable=False),
        sa.Column("workflow_id", sa.String(length=140), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("view", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_review")),
        sa.UniqueConstraint("workflow_id", name=op.f("uq_tier_review_workflow_id")),
    )
    for col in INDEXED:
        op.create_index(op.f(f"ix_tier_review_{col}"), "tier_review", [col], unique=False)


def downgrade() -> None:
    for col in INDEXED:
        op.drop_index(op.f(f"ix_tier_review_{col}"), table_name="tier_review")
    op.drop_table("tier_review")
