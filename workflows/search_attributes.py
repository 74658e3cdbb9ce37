"""Custom search attributes supervisors filter on in the Temporal UI, one place for all."""

from __future__ import annotations

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


def upsert_changed(updates: list[SearchAttributeUpdate]) -> None:
    """Upsert only the attributes whose value differs from what the workflow already has, so
    a step that changes nothing the UI filters on costs the server no visibility write.
    Call from workflow code only."""
    current = workflow.info().typed_search_attributes
    changed = [u for u in updates if current.get(u.key) != u.value]
    if changed:
        workflow.upsert_search_attributes(changed)
