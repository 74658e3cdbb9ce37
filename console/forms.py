"""A step's form, made from its body's model (the same pydantic model the API validates), and
the form's answer read back into it: every field labelled, its errors shown beside it.

A field's input follows its JSON schema: a choice (enum) is a select, a yes/no a select, a
number a number input, a date-time a datetime-local input (in the company's time zone), a list
of choices checkboxes, a list of ids one input (comma-separated), a long or free text a
textarea; a list of objects (budget lines) is a textarea of JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

#: Free texts people write at length (a textarea rather than one line).
LONG = {"plan", "findings", "loopholes", "report", "result", "description", "comment", "note", "reason", "answer"}


@dataclass
class FormField:
    name: str
    kind: str  # select | bool | number | datetime | checkboxes | list | textarea | text | json
    required: bool
    options: list[str] = field(default_factory=list)
    value: Any = None
    error: str | None = None
    maximum: float | None = None
    minimum: float | None = None


@cache
def _schema(model: type[BaseModel]) -> dict[str, Any]:
    """A body's JSON schema, made once per model (every case page renders several forms)."""
    return model.model_json_schema()


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The field's own schema (``$ref`` followed) and whether it may be null."""
    nullable = False
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        nullable = len(options) < len(schema["anyOf"])
        numbers = [s for s in options if s.get("type") in ("number", "integer")]  # a Decimal: number or string
        schema = numbers[0] if numbers else options[0] if len(options) == 1 else {"type": "object"}
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    return schema, nullable


def fields_of(
    model: type[BaseModel], values: dict[str, Any] | None = None, errors: dict[str, str] | None = None
) -> list[FormField]:
    """The form's fields, in the model's order."""
    schema = _schema(model)
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    out: list[FormField] = []
    for name, raw in schema.get("properties", {}).items():
        prop, nullable = _resolve(raw, defs)
        f = FormField(name=name, kind="text", required=name in required and not nullable)
        if "enum" in prop:
            f.kind, f.options = "select", [str(v) for v in prop["enum"]]
        elif prop.get("type") == "boolean":
            f.kind = "bool"
        elif prop.get("type") in ("integer", "number"):
            f.kind, f.maximum, f.minimum = "number", prop.get("maximum"), prop.get("minimum")
        elif prop.get("type") == "string" and prop.get("format") == "date-time":
            f.kind = "datetime"
        elif prop.get("type") == "array":
            items, _ = _resolve(prop.get("items", {}), defs)
            if "enum" in items:
                f.kind, f.options = "checkboxes", [str(v) for v in items["enum"]]
            elif items.get("type") == "string":
                f.kind = "list"  # ids, comma-separated
            else:
                f.kind = "json"
        elif prop.get("type") == "object":
            f.kind = "json"
        elif name in LONG or (prop.get("maxLength") or 0) > 200:
            f.kind = "textarea"
        f.value = (values or {}).get(name)
        f.error = (errors or {}).get(name)
        out.append(f)
    return out


def parse(
    model: type[BaseModel], form: dict[str, list[str]], tz: ZoneInfo
) -> tuple[BaseModel | None, dict[str, Any], dict[str, str]]:
    """The body the form gives (None when invalid), the values to show again, and the errors
    by field."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in fields_of(model):
        given = [v for v in form.get(f.name, []) if v != ""]
        if f.kind == "checkboxes":
            values[f.name] = given
            continue
        if f.kind == "list":
            values[f.name] = [x for v in given for x in v.replace(",", " ").split()]
            if not values[f.name]:
                del values[f.name]
            continue
        if not given:
            continue
        raw = given[0].strip()
        if f.kind == "bool":
            values[f.name] = raw == "true"
        elif f.kind == "datetime":
            try:
                values[f.name] = datetime.fromisoformat(raw).replace(tzinfo=tz).isoformat()
            except ValueError:
                errors[f.name] = "not a date and time"
        elif f.kind == "json":
            try:
                values[f.name] = json.loads(raw)
            except ValueError:
                errors[f.name] = "not valid JSON"
        else:
            values[f.name] = raw
    if errors:
        return None, values, errors
    try:
        return model.model_validate(values), values, {}
    except ValidationError as e:
        for err in e.errors():
            where = str(err["loc"][0]) if err["loc"] else "_"
            errors.setdefault(where, err["msg"])
        return None, values, errors
