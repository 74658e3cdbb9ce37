"""ND-12 test data: a fixed set of client projects of a year, written to the client_project
projection, with the totals the year's rewards round must find."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from config import ROOT
from models.policy import ProjectPolicy
from models.project.messages import ProjectCreate
from models.project.steps import new_project
from models.project.views import view_of
from models.staff import Directory
from starter.intake import project_input
from storage import tables as t

DIRECTORY = Directory.from_file(ROOT / "data" / "staff.json")


def _view(pid: str, created_at: datetime) -> dict[str, Any]:
    """A whole project view, as the workflow writes it (GET /client-projects lists these rows,
    so they must be views the API can answer)."""
    application = ProjectCreate.model_validate(
        {
            "client_name": "Rewards Test Client",
            "background": "b",
            "contact_channel": "c",
            "approach": "a",
            "product_line": "cast_ball",
            "expected_annual_business": "3000000",
            "implementer_ids": ["sales-1", "sales-2"],
        }
    )
    applicant = DIRECTORY.get("sales-1")
    assert applicant is not None
    inp = project_input(pid, application, applicant, DIRECTORY, ProjectPolicy(), now=created_at)
    return view_of(new_project(inp, f"client-project-{pid}", created_at)).model_dump(mode="json")


def _row(pid: str, year: int, closed_at: datetime, stage: str, handed: bool, expected: str, supplies: list[str]) -> Any:
    view = _view(pid, datetime(year - 1, 1, 1, tzinfo=UTC)) | {
        "id": pid,
        "stage": stage,
        "customer_id": f"NC-{pid}" if handed else None,
        "product_line": "cast_ball",
        "implementer_ids": ["sales-1", "sales-2"],
        "expected_annual_business": expected,
        "supplies": [
            {"month": f"{year}-0{i + 1}", "amount": a, "recorded_by": "sales-1", "at": closed_at.isoformat()}
            for i, a in enumerate(supplies)
        ],
        "closed_at": closed_at.isoformat(),
        "seq": 99,
    }
    return t.ClientProject(
        id=pid,
        workflow_id=f"client-project-{pid}",
        client_name="Rewards Test Client",
        product_line="cast_ball",
        stage=stage,
        implementer_ids=view["implementer_ids"],
        flags=[],
        next_due_at=None,
        created_at=datetime(year - 1, 1, 1, tzinfo=UTC),
        closed_at=closed_at,
        seq=99,
        view=view,
    )


async def seed_year(engine: AsyncEngine, year: int) -> dict[str, Any]:
    """Five projects closed around ``year`` (the company's timezone, Asia/Shanghai): two
    succeeded in it (one at 23:30 on 31 December Beijing time); one closed at 00:30 on 1 January
    after it, one terminated, one completed but not handed to sales. Answers the figures."""
    tag = uuid.uuid4().hex[:6]
    ok1, ok2 = f"R{year}-{tag}-1", f"R{year}-{tag}-2"
    rows = [
        _row(ok1, year, datetime(year, 3, 1, tzinfo=UTC), "completed", True, "3000000", ["250000", "260000", "300000"]),
        _row(
            ok2, year, datetime(year, 12, 31, 15, 30, tzinfo=UTC), "completed", True, "1200000", ["90000", "85000.50"]
        ),
        _row(f"R{year}-{tag}-3", year, datetime(year, 12, 31, 16, 30, tzinfo=UTC), "completed", True, "9", ["9"]),
        _row(f"R{year}-{tag}-4", year, datetime(year, 6, 1, tzinfo=UTC), "terminated", False, "7", ["7"]),
        _row(f"R{year}-{tag}-5", year, datetime(year, 6, 1, tzinfo=UTC), "completed", False, "5", ["5"]),
    ]
    async with async_sessionmaker(engine)() as db, db.begin():
        db.add_all(rows)
    return {
        "projects": [ok1, ok2],
        "expected_total": Decimal("4200000"),
        "supplied_total": Decimal("985000.50"),
    }
