"""The complaint's vocabulary (CP rules): the words its rules, its API and its records share."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """CP-01: every channel enters through the same intake."""

    phone = "phone"
    walk_in = "walk_in"
    online_chat = "online_chat"
    email = "email"
    letter = "letter"
    hotline = "hotline"
    authority_referral = "authority_referral"
    revisit = "revisit"


class TargetKind(StrEnum):
    staff = "staff"
    department = "department"
    product = "product"
    service = "service"


class Status(StrEnum):
    received = "received"
    in_progress = "in_progress"
    resolved = "resolved"
    closed = "closed"


class Category(StrEnum):
    """CP-04."""

    service = "service"
    business = "business"


class Subtype(StrEnum):
    """CP-04: subtypes of a business complaint."""

    goods_discrepancy = "goods_discrepancy"
    timeliness = "timeliness"
    information_error = "information_error"
    insurance_claims = "insurance_claims"
    other = "other"


class Validity(StrEnum):
    valid = "valid"
    invalid = "invalid"


class InvalidReason(StrEnum):
    """CP-05: the six reasons of 第九條."""

    facts_contradicted = "facts_contradicted"  # (1) facts differ, the complainant is responsible
    prohibited_service = "prohibited_service"  # (2) asked for a service the company forbids
    extortion = "extortion"  # (3) provocation, threatening with the complaint
    anonymous_unfounded = "anonymous_unfounded"  # (4) anonymous, no facts or not borne out
    unverifiable = "unverifiable"  # (5) facts incomplete, cannot be traced or verified
    late_attitude_complaint = "late_attitude_complaint"  # (6) attitude, raised after a month


class Motive(StrEnum):
    """CP-05: motive of an invalid complaint (第十一條)."""

    general = "general"
    malicious = "malicious"


class Severity(StrEnum):
    general = "general"
    important = "important"
    major = "major"


SEVERITY_ORDER = {Severity.general: 0, Severity.important: 1, Severity.major: 2}


class SeverityReason(StrEnum):
    """CP-06: each of these makes a complaint major."""

    media_exposure = "media_exposure"
    customer_conflict = "customer_conflict"
    repeat_complaint = "repeat_complaint"
    head_office = "head_office"
    blockade = "blockade"
    return_exchange = "return_exchange"


class ReplyChannel(StrEnum):
    """CP-14: written form preferred."""

    letter = "letter"
    email = "email"
    sms = "sms"
    phone = "phone"
    in_person = "in_person"


class ApprovalLevel(StrEnum):
    """CP-12: who approves a compensation of a given amount."""

    leader = "leader"
    manager = "manager"
    general_manager = "general_manager"


class CompensationStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class ClosedReason(StrEnum):
    invalid = "invalid"
    satisfied = "satisfied"
    survey_unanswered = "survey_unanswered"


class ComplaintStep(StrEnum):
    """Human steps, each a Temporal update (and a POST on the API)."""

    assign = "assign"
    classify = "classify"
    plan = "plan"
    investigation = "investigation"
    escalate = "escalate"
    compensation = "compensation"
    compensation_decision = "compensation_decision"
    major_report = "major_report"
    resolve = "resolve"
    survey = "survey"
    #: CP-16: the staff member complained about accepts the result or not (seeing it only)
    staff_survey = "staff_survey"
    #: issue 14: the owner waits on the customer (the resolution clock stops) ...
    wait_for_customer = "wait_for_customer"
    #: ... until the owner, or customer service recording the customer's reply, resumes it
    resume = "resume"
    #: issue 14: new terms (a business calendar) applied on purpose to an open case
    change_terms = "change_terms"


class Clock(StrEnum):
    """The clocks of a complaint; each is a named Temporal timer."""

    plan = "plan"
    resolution = "resolution"
    major_report = "major_report"
    survey = "survey"
    #: issue 14: a case waits on the customer at most ``max_customer_wait``
    customer_wait = "customer_wait"


#: The rules a case started under. 1: cases started before the corrected rulebook (they keep
#: the terms they started with, so their histories replay); 2: CP-05 attitude and
#: investigation, CP-11 who names the investigator, CP-16 both parties' surveys and the reset
#: escalation level. The workflow sets it once, behind ``workflow.patched("complaint-rules-2")``.
RULES_BEFORE_2026_12 = 1
CURRENT_RULES = 2

#: CP-09: the escalation ladder's levels.
LEVEL_NAMES = {0: "handler", 1: "direct leader", 2: "department manager", 3: "general manager"}
TOP_LEVEL = 3
