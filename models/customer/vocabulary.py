"""The customer account's vocabulary (CC rules): tiers, credit classes, kinds of service, the
steps people take and the clocks the account keeps."""

from __future__ import annotations

from enum import StrEnum


class Tier(StrEnum):
    """CC-04: VIP at most 15 % and preferred at most 30 % of a department's customers."""

    vip = "vip"
    preferred = "preferred"
    qualified = "qualified"


class CreditClass(StrEnum):
    """CC-03: the credit class sets the cadence of credit reports (A six-monthly, B quarterly,
    C and D monthly)."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"


class ServiceKind(StrEnum):
    """CC-05: what counts as serving a customer (an invitation, a visit, a call), and CC-01 the
    revisit of a delivered project."""

    invitation = "invitation"
    visit = "visit"
    call = "call"
    revisit = "revisit"


#: CC-02: the kinds of service that owe a report (a visit within 2 days, a revisit the next day).
REPORTED = (ServiceKind.visit, ServiceKind.revisit)


class BlacklistScope(StrEnum):
    """CC-04: a department's own blacklist, or the company's (kept by the marketing division)."""

    department = "department"
    company = "company"


class Decision(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class CustomerFlag(StrEnum):
    """What a supervisor filters on: an obligation missed, or waiting for someone. (``Flag`` in
    this family's code; the class name is unique in the API's schemas.)"""

    revisit_overdue = "revisit_overdue"  # CC-01
    report_overdue = "report_overdue"  # CC-02
    review_due = "review_due"  # CC-02: a report waits for the supervisor
    credit_report_overdue = "credit_report_overdue"  # CC-03
    credit_alert = "credit_alert"  # CC-03: an urgent report waits for the supervisor's instruction
    downgrade_due = "downgrade_due"  # CC-04: a VIP with a problem
    downgrade_overdue = "downgrade_overdue"  # CC-04: not downgraded within 5 days
    unserved = "unserved"  # CC-05: may be reassigned
    survey_overdue = "survey_overdue"  # CC-07
    change_pending = "change_pending"  # CC-08: a change of the working record waits for the manager


class CustomerStep(StrEnum):
    """Human steps, each a Temporal update (and a POST on the API)."""

    record_service = "record_service"  # CC-05 (and CC-01 a revisit, CC-02 a report due)
    visit_report = "visit_report"  # CC-02
    review_report = "review_report"  # CC-02
    record_delivery = "record_delivery"  # CC-01
    credit_report = "credit_report"  # CC-03
    credit_alert = "credit_alert"  # CC-03
    credit_instruction = "credit_instruction"  # CC-03
    change_tier = "change_tier"  # CC-04
    report_problem = "report_problem"  # CC-04
    blacklist = "blacklist"  # CC-04
    lift_blacklist = "lift_blacklist"  # CC-04
    reassign = "reassign"  # CC-05
    survey = "survey"  # CC-07
    request_change = "request_change"  # CC-08
    decide_change = "decide_change"  # CC-08


Flag = CustomerFlag

#: Steps that are business with the customer: refused while the customer is blacklisted (CC-04).
BUSINESS_STEPS = (
    CustomerStep.record_service,
    CustomerStep.record_delivery,
    CustomerStep.survey,
)


class CustomerClock(StrEnum):
    """The clocks of a customer account; each is a named Temporal timer. (``Clock`` in this
    family's code; the class name is unique in the API's schemas.)"""

    revisit = "revisit"  # CC-01
    visit_report = "visit_report"  # CC-02
    credit_report = "credit_report"  # CC-03
    downgrade = "downgrade"  # CC-04
    service = "service"  # CC-05
    survey = "survey"  # CC-07


Clock = CustomerClock

#: The flag each clock raises when it runs out.
BREACH_FLAGS = {
    Clock.revisit: Flag.revisit_overdue,
    Clock.visit_report: Flag.report_overdue,
    Clock.credit_report: Flag.credit_report_overdue,
    Clock.downgrade: Flag.downgrade_overdue,
    Clock.service: Flag.unserved,
    Clock.survey: Flag.survey_overdue,
}
