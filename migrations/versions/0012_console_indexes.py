"""the staff console's indexes (issue 18: page render p95 under 200 ms at 100,000 cases)

``ix_complaint_open``: my work and the supervisor board list open cases only; partial (a
closed case is not in it), so they read the open cases however long the closed history,
in the board's order (escalation level down, then due) with the columns their filters and
counts read. ``ix_complaint_open_handler``: the board's count by handler, from the open cases
only. ``ix_complaint_open_due``: the board's "in breach" list (soonest due first: its first
fifty are near the start) and its "due within the hour" (a range of due times). ``ix_case_clock_breach``: the board's "in breach" test of a case (a breached run not
fulfilled) is one probe; without it SQLite read every breached run for each open case.
Measured in BENCHMARKS.md ("Console pages (issue 18)", bench/console_pages.py).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 19:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OPEN = sa.text("status != 'closed'")


def upgrade() -> None:
    op.create_index(
        "ix_complaint_open",
        "complaint",
        [
            sa.text("escalation_level DESC"),
            "next_due_at",
            "handler_id",
            "first_responder_id",
            "severity",
            "target_staff_id",
            "workflow_id",
        ],
        unique=False,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_index(
        "ix_complaint_open_due",
        "complaint",
        ["next_due_at", "workflow_id", "target_staff_id"],
        unique=False,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_index(
        "ix_complaint_open_handler",
        "complaint",
        ["handler_id", "workflow_id", "target_staff_id"],
        unique=False,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_index("ix_case_clock_breach", "case_clock", ["case_ref", "outcome", "fulfilled_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_case_clock_breach", table_name="case_clock")
    op.drop_index("ix_complaint_open_handler", table_name="complaint")
    op.drop_index("ix_complaint_open_due", table_name="complaint")
    op.drop_index("ix_complaint_open", table_name="complaint")
