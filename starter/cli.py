"""Command-line starter: register a complaint straight through Temporal (no API needed), show
one, or apply a new business calendar to open cases (issue 14). ``python -m starter.cli --help``."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from temporalio.client import Client, WorkflowUpdateFailedError

from config import Settings, get_settings
from infra.bootstrap import Resources
from infra.calendars import calendar_for
from models.case import TermsBody
from models.complaint.messages import ChangeTermsInput as ComplaintTermsInput
from models.complaint.messages import ComplaintCreate
from models.complaint.views import ComplaintView
from models.complaint.vocabulary import Channel, ComplaintStep, TargetKind
from models.policy import ComplaintPolicy, ProjectPolicy
from models.project.messages import ChangeTermsInput as ProjectTermsInput
from models.project.vocabulary import ProjectStep
from models.staff import Staff
from starter.intake import intake_input, new_case_id, start_complaint
from starter.run import payload_key, step_key
from storage import tables as t
from workflows.complaint import ComplaintWorkflow, complaint_workflow_id
from workflows.project import ClientProjectWorkflow, project_workflow_id


def _settings() -> Settings:
    """The settings, with the keys `make run` keeps under VAR_DIR when the environment has none:
    the command line encrypts what it sends as the worker expects, and proves the case it
    starts (infra/proofs.py: a start without a proof registers nothing)."""
    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return settings.model_copy(
        update={"payload_key": payload_key(settings.var_dir), "step_key": step_key(settings.var_dir)}
    )


app = typer.Typer(add_completion=False, help="Complaints and cases from the command line.")
console = Console()


def _show(view: ComplaintView) -> None:
    table = Table(show_header=False)
    for key in (
        "id",
        "workflow_id",
        "status",
        "severity",
        "escalation_level",
        "handler_id",
        "plan_due_at",
        "next_due_at",
    ):
        table.add_row(key, str(getattr(view, key)))
    console.print(table)


@app.command()
def complaint(
    summary: Annotated[str, typer.Option(help="what happened")],
    receiver: Annotated[str, typer.Option("--as", help="staff id of the receiver (first responder)")],
    channel: Annotated[Channel, typer.Option()] = Channel.hotline,
    target_kind: Annotated[TargetKind, typer.Option()] = TargetKind.service,
    target_staff_id: Annotated[str | None, typer.Option()] = None,
    customer_id: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Register a complaint (CP-01: the same intake as the API)."""

    async def go() -> ComplaintView:
        async with Resources(_settings()) as resources:
            staff = resources.directory.get(receiver)
            if staff is None:
                raise typer.BadParameter(f"unknown staff {receiver}", param_hint="--as")
            body = ComplaintCreate.model_validate(
                {
                    "channel": channel,
                    "summary": summary,
                    "target": {"kind": target_kind, "staff_id": target_staff_id},
                    "complainant": {"customer_id": customer_id},
                }
            )
            client = await resources.temporal()
            inp = intake_input(
                new_case_id(timezone=resources.complaint_policy().timezone),
                body,
                staff,
                resources.directory,
                resources.complaint_policy(),
            )
            return await start_complaint(client, resources.settings.task_queue, inp)

    _show(asyncio.run(go()))


@app.command()
def show(complaint_id: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The case as its workflow holds it now (a Temporal query)."""

    async def go() -> ComplaintView:
        async with Resources(_settings()) as resources:
            client = await resources.temporal()
            return await client.get_workflow_handle(complaint_workflow_id(complaint_id)).query(
                ComplaintWorkflow.get_case
            )

    view = asyncio.run(go())
    if as_json:
        console.print_json(json.dumps(view.model_dump(mode="json")))
    else:
        _show(view)


async def _change_terms(
    client: Client, staff: Staff, kind: str, case_id: str, policy: ComplaintPolicy | ProjectPolicy, now: datetime
) -> str | None:
    """Send one case its new terms (the calendar as the policy and its data file say now):
    None when applied, else why it was refused."""
    body = TermsBody(calendar=calendar_for(policy, now))
    try:
        if kind == "complaint":
            await client.get_workflow_handle(complaint_workflow_id(case_id)).execute_update(
                ComplaintWorkflow.update_for(ComplaintStep.change_terms),
                ComplaintTermsInput(actor=staff.ref, body=body),
            )
        else:
            await client.get_workflow_handle(project_workflow_id(case_id)).execute_update(
                ClientProjectWorkflow.update_for(ProjectStep.change_terms),
                ProjectTermsInput(actor=staff.ref, body=body),
            )
    except WorkflowUpdateFailedError as e:
        return str(e.cause)
    return None


def _moved(data: dict[str, Any]) -> str:
    old, new = data.get("old_due", {}), data.get("new_due", {})
    moved = [f"{c}: {old[c]} → {new[c]}" for c in old if old[c] != new.get(c)]
    return "\n".join(moved) or "no due time moved (its clocks count wall time)"


@app.command("apply-calendar")
def apply_calendar(
    actor: Annotated[
        str,
        typer.Option(
            "--as",
            help="who applies it: the general manager or a department manager (complaints), the group's leader (projects)",
        ),
    ],
    complaints: Annotated[
        list[str] | None, typer.Option("--complaint", help="a complaint id (repeat the option)")
    ] = None,
    projects: Annotated[list[str] | None, typer.Option("--project", help="a project id (repeat the option)")] = None,
) -> None:
    """Issue 14: apply the business calendar as the policy and its data file (data/calendar.json)
    say now, for instance with next year's holidays, to the open cases named. Each case records
    a ``change_terms`` event with its due times before and after; nothing else changes."""
    named = [("complaint", c) for c in complaints or []] + [("project", p) for p in projects or []]
    if not named:
        raise typer.BadParameter("name at least one case", param_hint="--complaint / --project")

    async def go() -> list[tuple[str, str, str | None, str]]:
        async with Resources(_settings()) as resources:
            staff = resources.directory.get(actor)
            if staff is None:
                raise typer.BadParameter(f"unknown staff {actor}", param_hint="--as")
            client, now = await resources.temporal(), datetime.now(UTC)
            rows: list[tuple[str, str, str | None, str]] = []
            for kind, case_id in named:
                policy = resources.complaint_policy() if kind == "complaint" else resources.project_policy()
                refused = await _change_terms(client, staff, kind, case_id, policy, now)
                moved = ""
                if refused is None:
                    wid = complaint_workflow_id(case_id) if kind == "complaint" else project_workflow_id(case_id)
                    async with resources.sessions() as db:
                        event = await db.scalar(
                            select(t.CaseEvent)
                            .where(t.CaseEvent.case_ref == wid, t.CaseEvent.kind == "change_terms")
                            .order_by(t.CaseEvent.seq.desc())
                            .limit(1)
                        )
                    moved = _moved(event.data if event is not None else {})
                rows.append((kind, case_id, refused, moved))
            return rows

    rows = asyncio.run(go())
    table = Table(title="new terms")
    for col in ("case", "applied", "due times"):
        table.add_column(col)
    for kind, case_id, refused, moved in rows:
        table.add_row(f"{kind} {case_id}", "yes" if refused is None else f"refused: {refused}", moved)
    console.print(table)
    if any(refused is not None for _, _, refused, _ in rows):
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
