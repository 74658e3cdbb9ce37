"""CP-18: who reads the complaint analysis (models.report.may_read_reports)."""

from __future__ import annotations

import pytest

from models.report import may_read_reports
from models.staff import Directory


@pytest.mark.parametrize(
    ("who", "reads"),
    [("cs-sup", True), ("cs-mgr", True), ("ops-mgr", True), ("gm", True), ("ops-sup", False), ("cs-1", False)],
)
def test_cp18_customer_service_supervisors_managers_and_the_general_manager_read_reports(
    directory: Directory, who: str, reads: bool
) -> None:
    staff = directory.get(who)
    assert staff is not None and may_read_reports(staff.ref) is reads
