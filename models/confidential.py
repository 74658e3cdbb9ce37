"""What of a case is confidential, and how it crosses into Temporal (issue 12).

Confidential: the complainant's identity and contact, and every free text people write into a
case or that quotes them (descriptions, plans, findings, reports, results, notes, comments,
reasons, the client's name and contact, budget line names) and the messages made of them.
Everything else (ids, enums, amounts, dates, actor ids, the clocks) is plain.

A confidential field is a plain ``str`` in Python, in the database and in the API. Only when a
Temporal payload is made (the ``TEMPORAL`` serialization context of infra.codec's payload
converter) does it become ``{"$confidential": "..."}``, which the payload codec seals with
``PAYLOAD_KEY`` into ``{"$sealed": "<key id>.<ciphertext>"}`` before the payload leaves the
process. The Temporal server and its Web UI so hold plain JSON in which each confidential
field is sealed: the UI needs no codec, and no codec can give the UI a confidential field.
The workflow (whose worker holds the key) reads the fields as plain strings, deterministically,
on every replay.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, StringConstraints
from pydantic_core import core_schema

#: The serialization/validation context of Temporal payloads (infra.codec.PayloadConverter).
TEMPORAL: dict[str, bool] = {"temporal": True}
#: A confidential field on its way to the codec: ``{MARK: "plain text"}``.
MARK = "$confidential"
#: A confidential field as Temporal stores it: ``{SEALED: "<key id>.<base64url>"}``.
SEALED = "$sealed"


def _in_temporal(context: Any) -> bool:
    return isinstance(context, dict) and context.get("temporal") is True


class _Confidential:
    """The annotation: a string field, marked in Temporal payloads, plain everywhere else (its
    JSON schema is the string's own)."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        def opened(value: Any, info: core_schema.ValidationInfo) -> Any:
            if _in_temporal(info.context) and isinstance(value, dict):
                if set(value) == {MARK}:
                    return value[MARK]
                if SEALED in value:
                    raise ValueError("a sealed confidential field: this process has no PAYLOAD_KEY that opens it")
            return value

        def marked(value: Any, info: core_schema.SerializationInfo) -> Any:
            return {MARK: value} if _in_temporal(info.context) and value is not None else value

        return core_schema.with_info_before_validator_function(
            opened,
            handler(source),
            serialization=core_schema.plain_serializer_function_ser_schema(marked, info_arg=True, when_used="json"),
        )


CONFIDENTIAL = _Confidential()

#: A confidential string (no constraints: what the rules or an activity made of people's text).
Confidential = Annotated[str, CONFIDENTIAL]
#: A person's free text (a description, a plan, a note …), confidential.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000), CONFIDENTIAL]
#: A short free text (a name, a summary, a reference), confidential.
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), CONFIDENTIAL]
#: An id someone typed (a staff member's, a customer's): plain.
ShortId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
