"""CC-04 beyond the account: a blacklisted customer gets no business, so a new client
application (ND-01) for it is refused with the CC-04 reason; a department's blacklist binds that
department only (the activity passes only the blacklists that bind the applicant)."""

from __future__ import annotations

from decimal import Decimal

from models.policy import ProjectPolicy
from models.project.guards import eligibility

POLICY = ProjectPolicy()
CUSTOMERS = [("C-9", "Jinan Foundry Co.")]


def test_cc04_nd01_an_application_for_a_blacklisted_customer_is_refused_naming_the_blacklist() -> None:
    found = eligibility("jinan foundry co.", "cast_ball", Decimal(5_000_000), POLICY, CUSTOMERS, {"C-9": "company"})
    assert not found.eligible
    assert found.reason is not None and found.reason.startswith("CC-04:") and "company blacklist" in found.reason
    assert found.existing_customer_id == "C-9"


def test_cc04_a_customer_on_no_binding_blacklist_is_refused_as_a_customer_only() -> None:
    found = eligibility("Jinan Foundry Co.", "cast_ball", Decimal(5_000_000), POLICY, CUSTOMERS, {})
    assert not found.eligible and found.reason is not None and found.reason.startswith("ND-01:")
