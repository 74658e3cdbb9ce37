"""reward_round (ND-12: a year's rewards round, the year's report once approved)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 14:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reward_round",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("workflow_id", sa.String(length=100), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("view", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_reward_round")),
        sa.UniqueConstraint("workflow_id", name=op.f("uq_reward_round_workflow_id")),
    )
    op.create_index(op.f("ix_reward_round_stage"), "reward_round", ["stage"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_reward_round_stage"), table_name="reward_round")
    op.drop_table("reward_round")
