"""delivery, notification_preference (issue 17: e-mail and webhooks), notification.read_at,
complaint.complainant_email / complainant_language

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 19:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workflow_id", sa.String(length=100), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("case_ref", sa.String(length=100), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("recipient_kind", sa.String(length=20), nullable=False),
        sa.Column("recipient_id", sa.String(length=64), nullable=True),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
        sa.UniqueConstraint("workflow_id", name=op.f("uq_delivery_workflow_id")),
        sa.UniqueConstraint("message_id", name=op.f("uq_delivery_message_id")),
    )
    for col in ("case_ref", "recipient_id", "status"):
        op.create_index(op.f(f"ix_delivery_{col}"), "delivery", [col], unique=False)
    op.create_table(
        "notification_preference",
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("staff_id", "kind", name=op.f("pk_notification_preference")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("read_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.add_column(sa.Column("complainant_email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("complainant_language", sa.String(length=5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_column("complainant_language")
        batch_op.drop_column("complainant_email")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("read_at")
    op.drop_table("notification_preference")
    for col in ("case_ref", "recipient_id", "status"):
        op.drop_index(op.f(f"ix_delivery_{col}"), table_name="delivery")
    op.drop_table("delivery")
