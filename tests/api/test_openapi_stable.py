"""The OpenAPI document only grows: every path, operation, parameter, request body, response
code and component schema of the committed snapshot (tests/api/openapi_snapshot.json, made
from the code before the API moved into api/) is still there, unchanged. New ones may be added.

To accept a deliberate change, regenerate the snapshot:
``python -c "import json; from api.main import create_app; print(json.dumps(create_app().openapi(),
indent=1, sort_keys=True, ensure_ascii=False))" > tests/api/openapi_snapshot.json``
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from api.main import create_app

SNAPSHOT = Path(__file__).with_name("openapi_snapshot.json")


def _missing(old: Any, new: Any, where: str) -> list[str]:
    """What of ``old`` is not in ``new``: dict keys are compared recursively (new keys are
    additions), ``parameters`` lists may gain entries, every other value must be equal."""
    if isinstance(old, dict):
        if not isinstance(new, dict):
            return [f"{where}: was an object, now {type(new).__name__}"]
        out: list[str] = []
        for key, value in old.items():
            if key not in new:
                out.append(f"{where}/{key}: gone")
            else:
                out += _missing(value, new[key], f"{where}/{key}")
        return out
    if isinstance(old, list) and where.endswith("/parameters"):
        if not isinstance(new, list):
            return [f"{where}: was a list, now {type(new).__name__}"]
        return [f"{where}: parameter gone or changed: {p}" for p in old if p not in new]
    if old != new:
        return [f"{where}: {old!r} -> {new!r}"]
    return []


def test_openapi_keeps_every_path_operation_response_and_schema() -> None:
    before = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    now = json.loads(json.dumps(create_app().openapi()))  # as served: JSON types only
    assert set(before["paths"]) <= set(now["paths"]), set(before["paths"]) - set(now["paths"])
    for path, operations in before["paths"].items():
        assert set(operations) <= set(now["paths"][path]), (path, set(operations) - set(now["paths"][path]))
        for method, operation in operations.items():
            codes = set(operation.get("responses", {}))
            assert codes <= set(now["paths"][path][method].get("responses", {})), (path, method, codes)
    assert set(before["components"]["schemas"]) <= set(now["components"]["schemas"])
    problems = _missing(before, now, "")
    assert not problems, "\n".join(problems[:50])
