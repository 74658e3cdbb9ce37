"""Who may see a customer and take which step, and when: each guard answers None (allowed) or
the ``Refusal`` that names its rule. ``forbidden`` (403) says who, ``conflict`` (409) says
when, ``invalid`` (422) what."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from models.case import Refusal, probing
from models.customer.messages import CustomerStepInput
from models.customer.state import CustomerState, alert, change, service, tier_share_refusal
from models.customer.vocabulary import BlacklistScope, CustomerStep, Decision, Flag, Tier
from models.staff import Role, StaffRef

Input = CustomerStepInput[Any]

#: Who leads a department's customers (CC-04, CC-05): its supervisors and managers.
OFFICER_ROLES = (Role.supervisor, Role.manager)
#: Who approves a change of a working record (CC-08).
MANAGER_ROLES = (Role.manager, Role.general_manager)

VISIBILITY = "a customer is visible to its owner, the owner's leaders and its department's supervisors and managers"


# --- who sees a customer ------------------------------------------------------------------


def may_see_customer(
    actor: StaffRef,
    owner_id: str,
    leader_ids: Iterable[str],
    department: str | None,
    marketing: str,
    step: CustomerStep | None = None,
) -> bool:
    """Whether ``actor`` may read the customer (its owner, the owner's leaders, its department's
    supervisors and managers), or take ``step`` on it: the marketing division also keeps the
    company blacklist (CC-04), finance also writes credit reports (CC-03)."""
    if actor.id == owner_id or actor.id in set(leader_ids):
        return True
    if department and actor.department == department and actor.role in OFFICER_ROLES:
        return True
    if step in (CustomerStep.blacklist, CustomerStep.lift_blacklist) and actor.role in OFFICER_ROLES:
        return actor.department == marketing
    return step is CustomerStep.credit_report and actor.role is Role.finance


def _leader_ids(s: CustomerState) -> list[str]:
    return [x.id for x in s.owner_chain]


def is_officer(actor: StaffRef, s: CustomerState) -> bool:
    """A supervisor of the customer: a leader of its owner, or a supervisor or manager of its
    department."""
    return actor.id in _leader_ids(s) or (actor.department == s.department and actor.role in OFFICER_ROLES)


def is_marketing(actor: StaffRef, s: CustomerState) -> bool:
    """CC-04: the marketing division's supervisors and managers keep the company blacklist."""
    return actor.department == s.policy.marketing_department and actor.role in OFFICER_ROLES


def visible(inp: Input, s: CustomerState) -> Refusal | None:
    if may_see_customer(inp.actor, s.owner.id, _leader_ids(s), s.department, s.policy.marketing_department):
        return None
    return Refusal("forbidden", f"CC-04: {VISIBILITY}")


def visible_or_marketing(inp: Input, s: CustomerState) -> Refusal | None:
    if is_marketing(inp.actor, s):
        return None
    return visible(inp, s)


def visible_or_finance(inp: Input, s: CustomerState) -> Refusal | None:
    if inp.actor.role is Role.finance:
        return None
    return visible(inp, s)


def owner_or_officer(inp: Input, s: CustomerState) -> Refusal | None:
    if inp.actor.id == s.owner.id or is_officer(inp.actor, s):
        return None
    return Refusal("forbidden", "the customer's owner or a supervisor of it takes this step")


def officer(inp: Input, s: CustomerState) -> Refusal | None:
    if is_officer(inp.actor, s):
        return None
    return Refusal("forbidden", "a supervisor or manager of the customer's department takes this step")


def no_business_if_blacklisted(inp: Input, s: CustomerState) -> Refusal | None:
    """CC-04: a blacklisted customer gets no business (a service, a delivery, a survey)."""
    if s.blacklist is None:
        return None
    return Refusal("conflict", f"CC-04: customer {s.id} is on the {s.blacklist.value} blacklist: no business")


def not_in_future(when: datetime | None, now: datetime, what: str) -> Refusal | None:
    if when is not None and when > now:
        return Refusal("invalid", f"{what} is in the future")
    return None


# --- CC-01, CC-02, CC-05: services, reports, deliveries -------------------------------------


def service_held(inp: Input, s: CustomerState, now: datetime) -> Refusal | None:
    """CC-05: a service is recorded once it is held (never in the future), after the account's
    last service before it was opened."""
    return not_in_future(inp.body.held_at, now, "held_at")


def may_report_visit(inp: Input, s: CustomerState) -> Refusal | None:
    """CC-02: the report of a visit or revisit, by whoever held it or the owner, once."""
    x = service(s, inp.body.service_id)
    if x is None:
        return Refusal("invalid", f"service_id: customer {s.id} has no service {inp.body.service_id}")
    if x.report_due_at is None:
        return Refusal("conflict", f"CC-02: service {x.id} is a {x.kind.value}: it owes no report")
    if x.reported_at is not None:
        return Refusal("conflict", f"CC-02: the report of service {x.id} is written already")
    if inp.actor.id not in (x.by, s.owner.id):
        return Refusal("forbidden", "CC-02: whoever held the visit, or the customer's owner, writes its report")
    return None


def may_review_report(inp: Input, s: CustomerState) -> Refusal | None:
    """CC-02: a supervisor reviews a report (never their own)."""
    x = service(s, inp.body.service_id)
    if x is None:
        return Refusal("invalid", f"service_id: customer {s.id} has no service {inp.body.service_id}")
    if not is_officer(inp.actor, s) or inp.actor.id == x.reported_by:
        return Refusal("forbidden", "CC-02: a supervisor of the customer reviews the report (not its author)")
    if not x.awaits_review:
        return Refusal("conflict", f"CC-02: service {x.id} has no report waiting for review")
    return None


def may_record_delivery(inp: Input, s: CustomerState) -> Refusal | None:
    if any(d.project_id == inp.body.project_id for d in s.deliveries):
        return Refusal("conflict", f"CC-01: project {inp.body.project_id} is recorded as delivered already")
    return None


def delivered_by_now(inp: Input, s: CustomerState, now: datetime) -> Refusal | None:
    return not_in_future(inp.body.delivered_at, now, "delivered_at")


# --- CC-03: credit ------------------------------------------------------------------------


def may_report_credit(inp: Input, s: CustomerState) -> Refusal | None:
    """CC-03: the owner, a supervisor, or finance (which prepares the report)."""
    if inp.actor.role is Role.finance:
        return None
    return owner_or_officer(inp, s)


def may_instruct(inp: Input, s: CustomerState) -> Refusal | None:
    """CC-03: the supervisor instructs on an urgent report; nobody acts before that."""
    a = alert(s, inp.body.alert_id)
    if a is None:
        return Refusal("invalid", f"alert_id: customer {s.id} has no urgent report {inp.body.alert_id}")
    if not is_officer(inp.actor, s):
        return Refusal("forbidden", "CC-03: the supervisor instructs on an urgent credit report")
    if a.instructed_at is not None:
        return Refusal("conflict", f"CC-03: urgent report {a.id} has its instruction already")
    return None


# --- CC-04: tiers and the blacklist --------------------------------------------------------


def may_change_tier(inp: Input, s: CustomerState) -> Refusal | None:
    """CC-04: a supervisor changes a tier, within the department's shares (and the product
    line's, where recorded)."""
    new: Tier = inp.body.tier
    if new is s.tier:
        return Refusal("conflict", f"CC-04: customer {s.id} is {new.value} already")
    if inp.counts is None:
        return Refusal("invalid", "CC-04: the department's counts by tier are missing")
    reason = tier_share_refusal(inp.counts, s.tier, new, s.policy, f"department {s.department}'s customers")
    if reason is None and inp.line_counts is not None and s.working.product_line:
        line = f"the {s.working.product_line} customers of department {s.department}"
        reason = tier_share_refusal(inp.line_counts, s.tier, new, s.policy, line)
    return Refusal("conflict", reason) if reason else None


def may_report_problem(inp: Input, s: CustomerState) -> Refusal | None:
    if s.tier is not Tier.vip:
        return Refusal("conflict", f"CC-04: customer {s.id} is {s.tier.value}: only a VIP is downgraded for a problem")
    if Flag.downgrade_due in s.flags:
        return Refusal("conflict", f"CC-04: customer {s.id} has a problem recorded already; downgrade it")
    return None


def _may_keep(actor: StaffRef, scope: BlacklistScope, s: CustomerState) -> Refusal | None:
    if scope is BlacklistScope.company and not is_marketing(actor, s):
        return Refusal("forbidden", "CC-04: the marketing division keeps the company blacklist")
    if scope is BlacklistScope.department and not is_officer(actor, s):
        return Refusal("forbidden", "CC-04: the department's supervisors and managers keep its blacklist")
    return None


def may_blacklist(inp: Input, s: CustomerState) -> Refusal | None:
    scope: BlacklistScope = inp.body.scope
    refusal = _may_keep(inp.actor, scope, s)
    if refusal is not None:
        return refusal
    if s.blacklist is BlacklistScope.company or s.blacklist is scope:
        return Refusal("conflict", f"CC-04: customer {s.id} is on the {s.blacklist.value} blacklist already")
    return None


def may_lift(inp: Input, s: CustomerState) -> Refusal | None:
    if s.blacklist is None:
        return Refusal("conflict", f"CC-04: customer {s.id} is on no blacklist")
    return _may_keep(inp.actor, s.blacklist, s)


# --- CC-05: reassignment ------------------------------------------------------------------


def may_reassign(inp: Input, s: CustomerState) -> Refusal | None:
    """CC-05: a customer nobody served for 3 months may go to another owner (a sales staff
    member), by a supervisor."""
    if Flag.unserved not in s.flags:
        months = s.policy.unserved_after_months
        return Refusal("conflict", f"CC-05: customer {s.id} was served within {months} months; it keeps its owner")
    if probing(inp):
        return None
    new = inp.new_owner
    if new is None:
        return Refusal("invalid", "owner_id: the new owner is unknown")
    if new.id == s.owner.id:
        return Refusal("conflict", f"CC-05: {new.id} owns customer {s.id} already")
    if new.role is not Role.staff:
        return Refusal("invalid", f"owner_id: {new.id} is not a staff member who serves customers")
    return None


# --- CC-08: records -----------------------------------------------------------------------


def may_decide_change(inp: Input, s: CustomerState) -> Refusal | None:
    """CC-08: a manager over the customer approves or refuses a change (never their own)."""
    c = change(s, inp.body.change_id)
    if c is None:
        return Refusal("invalid", f"change_id: customer {s.id} has no change {inp.body.change_id}")
    actor = inp.actor
    manager = actor.role in MANAGER_ROLES and (actor.id in _leader_ids(s) or actor.department == s.department)
    if not manager or actor.id == c.requested_by:
        return Refusal("forbidden", "CC-08: a manager over the customer decides a change (not who asked for it)")
    if c.status is not Decision.pending:
        return Refusal("conflict", f"CC-08: change {c.id} is {c.status.value} already")
    return None
