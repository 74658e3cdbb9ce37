"""customer accounts (issue 16: CC-01 … CC-08): the registry's row becomes the account's
projection; the original record is kept apart and never changed (CC-08)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 16:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

INDEXED = ("owner_id", "department", "tier", "credit_class", "blacklist", "next_due_at")


def upgrade() -> None:
    with op.batch_alter_table("customer") as batch:
        batch.add_column(sa.Column("workflow_id", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("owner_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("department", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("tier", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("credit_class", sa.String(length=1), nullable=True))
        batch.add_column(sa.Column("product_line", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("blacklist", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("flags", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("last_service_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_survey_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("original", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("view", sa.JSON(), nullable=True))
        batch.create_unique_constraint(batch.f("uq_customer_workflow_id"), ["workflow_id"])
        for col in INDEXED:
            batch.create_index(batch.f(f"ix_customer_{col}"), [col], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customer") as batch:
        for col in INDEXED:
            batch.drop_index(batch.f(f"ix_customer_{col}"))
        batch.drop_constraint(batch.f("uq_customer_workflow_id"), type_="unique")
        for col in ("view", "seq", "original", "next_due_at", "last_survey_at", "last_service_at", "flags"):
            batch.drop_column(col)
        for col in ("blacklist", "product_line", "credit_class", "tier", "department", "owner_id", "workflow_id"):
            batch.drop_column(col)
