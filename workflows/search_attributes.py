"""Custom search attributes supervisors filter on in the Temporal UI, one place for all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

COMPLAINT_STATUS = SearchAttributeKey.for_keyword("ComplaintStatus")
COMPLAINT_SEVERITY = SearchAttributeKey.for_keyword("ComplaintSeverity")
COMPLAINT_CATEGORY = SearchAttributeKey.for_keyword("ComplaintCategory")
HANDLER_ID = SearchAttributeKey.for_keyword("HandlerId")
ESCALATION_LEVEL = SearchAttributeKey.for_int("EscalationLevel")
PLAN_DUE_AT = SearchAttributeKey.for_datetime("PlanDueAt")
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
NEXT_DUE_AT = SearchAttributeKey.for_datetime("NextDueAt")
PROJECT_STAGE = SearchAttributeKey.for_keyword("ProjectStage")
IMPLEMENTER_ID = SearchAttributeKey.for_keyword_list("ImplementerId")
PROJECT_FLAGS = SearchAttributeKey.for_keyword_list("ProjectFlags")
#: issue 14: the clocks of a case in breach (ran out, their obligation not done yet)
SLA_BREACHED = SearchAttributeKey.for_keyword_list("SlaBreached")
#: issue 14: when the next warning before a breach fires
NEXT_WARNING_AT = SearchAttributeKey.for_datetime("NextWarningAt")
#: issue 16: a customer account's tier (CC-04), credit class (CC-03) and owner
CUSTOMER_TIER = SearchAttributeKey.for_keyword("CustomerTier")
CREDIT_CLASS = SearchAttributeKey.for_keyword("CreditClass")
CUSTOMER_OWNER = SearchAttributeKey.for_keyword("CustomerOwner")
#: CC-06: an inquiry's status (open | answered)
INQUIRY_STATUS = SearchAttributeKey.for_keyword("InquiryStatus")
#: issue 17: a delivery (e-mail or webhook call) that gave up: ``DeliveryFailed = true`` lists
#: what needs an operator (pending is a running delivery, delivered a completed one that is not
#: failed). A boolean: the dev server's SQLite visibility holds at most 10 Keyword and 3
#: KeywordList attributes, all taken.
DELIVERY_FAILED = SearchAttributeKey.for_bool("DeliveryFailed")

ALL: list[SearchAttributeKey[Any]] = [
    COMPLAINT_STATUS,
    COMPLAINT_SEVERITY,
    COMPLAINT_CATEGORY,
    HANDLER_ID,
    ESCALATION_LEVEL,
    PLAN_DUE_AT,
    CUSTOMER_ID,
    NEXT_DUE_AT,
    PROJECT_STAGE,
    IMPLEMENTER_ID,
    PROJECT_FLAGS,
    SLA_BREACHED,
    NEXT_WARNING_AT,
    CUSTOMER_TIER,
    CREDIT_CLASS,
    CUSTOMER_OWNER,
    INQUIRY_STATUS,
    DELIVERY_FAILED,
]

#: ``temporal server start-dev --search-attribute NAME=TYPE`` takes these type names.
CLI_TYPES = {
    "KEYWORD": "Keyword",
    "INT": "Int",
    "DATETIME": "Datetime",
    "KEYWORD_LIST": "KeywordList",
    "TEXT": "Text",
    "BOOL": "Bool",
    "FLOAT": "Double",
}


def dev_server_args() -> list[str]:
    """The ``--search-attribute`` arguments registering every attribute above."""
    args: list[str] = []
    for key in ALL:
        args += [
            "--search-attribute",
            f"{key.name}={CLI_TYPES[key.indexed_value_type.name.removeprefix('INDEXED_VALUE_TYPE_')]}",
        ]
    return args


def clock_updates(breached: list[str], next_warning_at: datetime | None) -> list[SearchAttributeUpdate]:
    """Issue 14: SlaBreached and NextWarningAt of a case (unset when there is none)."""
    return [
        SLA_BREACHED.value_set(breached) if breached else SLA_BREACHED.value_unset(),
        NEXT_WARNING_AT.value_set(next_warning_at) if next_warning_at else NEXT_WARNING_AT.value_unset(),
    ]


def upsert_changed(updates: list[SearchAttributeUpdate]) -> None:
    """Upsert only the attributes whose value differs from what the workflow already has, so
    a step that changes nothing the UI filters on costs the server no visibility write.
    Call from workflow code only."""
    current = workflow.info().typed_search_attributes
    changed = [u for u in updates if current.get(u.key) != u.value]
    if changed:
        workflow.upsert_search_attributes(changed)
