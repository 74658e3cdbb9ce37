"""the CP-18 report's indexes (issue 15: the monthly report under 2 s at 1,000,000 complaints)

``ix_complaint_report``: the cohort of a period is a range of ``received_at``; every other
column the report reads follows it (the grouped ones, ``workflow_id`` for the clock shares'
join, the durations' ends and the summed ones), so each of its statements on ``complaint`` is
an index-only scan of that range: the rows, with their JSON view, are never read. ``ix_case_clock_report``: the shares'
join finds a case's clock runs and their outcome in the index alone (the primary key
(case_ref, n) would read every run's row).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 15:00:00.000000
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COMPLAINT_REPORT = [
    "received_at",
    "category",
    "subtype",
    "severity",
    "validity",
    "channel",
    "target_kind",
    "target_ref",
    "escalation_level",
    "workflow_id",
    "plan_recorded_at",
    "resolved_at",
    "closed_at",
    "reopen_count",
    "satisfied",
    "score",
    "compensation_status",
    "compensation_level",
    "compensation_amount",
]


def upgrade() -> None:
    op.create_index("ix_complaint_report", "complaint", COMPLAINT_REPORT, unique=False)
    op.create_index("ix_case_clock_report", "case_clock", ["case_ref", "clock", "outcome"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_case_clock_report", table_name="case_clock")
    op.drop_index("ix_complaint_report", table_name="complaint")
