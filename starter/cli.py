"""Command-line starter: register a complaint straight through Temporal (no API needed),
or show one. ``python -m starter.cli --help``."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from config import Settings, get_settings
from infra.bootstrap import Resources
from models.complaint.messages import ComplaintCreate
from models.complaint.views import ComplaintView
from models.complaint.vocabulary import Channel, TargetKind
from starter.intake import intake_input, new_case_id, start_complaint
from starter.run import payload_key, step_key
from workflows.complaint import ComplaintWorkflow, complaint_workflow_id


def _settings() -> Settings:
    """The settings, with the keys `make run` keeps under VAR_DIR when the environment has none:
    the command line encrypts what it sends as the worker expects, and proves the case it
    starts (infra/proofs.py: a start without a proof registers nothing)."""
    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return settings.model_copy(
        update={"payload_key": payload_key(settings.var_dir), "step_key": step_key(settings.var_dir)}
    )


app = typer.Typer(add_completion=False, help="Complaints from the command line.")
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


if __name__ == "__main__":
    app()
