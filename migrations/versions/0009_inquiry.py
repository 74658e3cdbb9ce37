"""inquiry (CC-06: a customer's inquiry, answered within 24 hours)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 15:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inquiry",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("workflow_id", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("receiver_id", sa.String(length=64), nullable=False),
        sa.Column("assignee_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("view", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inquiry")),
        sa.UniqueConstraint("workflow_id", name=op.f("uq_inquiry_workflow_id")),
    )
    op.create_index(op.f("ix_inquiry_customer_id"), "inquiry", ["customer_id"], unique=False)
    op.create_index(op.f("ix_inquiry_receiver_id"), "inquiry", ["receiver_id"], unique=False)
    op.create_index(op.f("ix_inquiry_received_at"), "inquiry", ["received_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_inquiry_received_at"), table_name="inquiry")
    op.drop_index(op.f("ix_inquiry_receiver_id"), table_name="inquiry")
    op.drop_index(op.f("ix_inquiry_customer_id"), table_name="inquiry")
    op.drop_table("inquiry")
