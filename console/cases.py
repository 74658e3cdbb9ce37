"""What every family's pages share: a case page with its record, clocks, timeline and only the
actions its caller may take now, each a form posting the same step as the API; and reading a
form back into the step's body.

A family says how to read its case through the API's own functions (so the console sees
exactly what the API lets the caller see) and which API path each action posts to.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.deps import ResourcesDep, SessionDep, TemporalDep
from api.idempotency import Idempotent, body_sha256
from api.step_routes import StepRoutes
from api.steps import HumanStep
from console.forms import fields_of, parse
from console.render import page
from console.session import ConsoleStaff, CsrfChecked, Session, SessionCookie
from infra.bootstrap import Resources
from models.case import ItemProbe
from models.staff import Staff


@dataclass(frozen=True)
class ItemAction:
    """A step taken on one item of a case (an expense's decision): the input field naming the
    item, the items a view holds (value, label), and the API path of the step on one."""

    step: Any
    field: str
    items: Callable[[dict[str, Any]], list[tuple[str, str]]]
    path: Callable[[str], str]


@dataclass(frozen=True)
class Family:
    """How the console reaches one family's cases."""

    #: the console's path of a case: ``/console/<prefix>/{id}``
    prefix: str
    template: str
    steps: StepRoutes
    #: the steps offered as actions, in the order of the work, with the API path of each
    paths: Mapping[Any, str]
    #: the case's row the caller may read (the API's own check: 404, 403)
    row: Callable[[AsyncSession, str, Staff, Resources], Awaitable[Any]]
    #: its history and clocks, through the API's functions
    history: Callable[[AsyncSession, str, Staff, Resources], Awaitable[Any]]
    clocks: Callable[[AsyncSession, str, Staff, Resources], Awaitable[Any]]
    #: whether the case takes no step any more (no query then)
    closed: Callable[[dict[str, Any]], bool]
    #: the timezone of the family's policy (a form's date-times)
    timezone: Callable[[Resources], str]
    #: steps on one item of the case (an expense's decision)
    item_actions: Sequence[ItemAction] = ()


async def available(client: Client, workflow_id: str, staff: Staff) -> list[str]:
    """The steps the caller may take now: the workflow's ``available_steps`` query (the same
    guards as the step's validator, without a body)."""
    try:
        handle = client.get_workflow_handle(workflow_id)
        return list(await handle.query("available_steps", staff.ref, result_type=list[str]))
    except Exception:  # noqa: BLE001 - a case whose workflow is gone, or no worker: no action now
        return []


async def available_items(
    client: Client, workflow_id: str, staff: Staff, action: ItemAction, values: list[str]
) -> list[str]:
    """The items the caller may take ``action`` on now (the workflow's ``available_items``)."""
    if not values:
        return []
    probe = ItemProbe(actor=staff.ref, step=action.step.value, field=action.field, values=values)
    try:
        handle = client.get_workflow_handle(workflow_id)
        return list(await handle.query("available_items", probe, result_type=list[str]))
    except Exception:  # noqa: BLE001 - as available(): no action now
        return []


def idempotent(res: Resources, staff: Staff, path: str, key: str, raw: str) -> Idempotent:
    """The form's own token as the Idempotency-Key: a form sent twice (a double click, a
    reload) answers its first answer and changes nothing more."""
    return Idempotent(res.sessions, staff.id, key or None, "POST", path, body_sha256(raw.encode()))


def created_id(answer: Any) -> str:
    """The id of what an intake created: its view (201), or the API's stored or accepted answer
    (a JSON response: an Idempotency-Key's, or 202 while its registration still runs)."""
    if isinstance(answer, JSONResponse):
        return str(json.loads(bytes(answer.body))["id"])
    return str(answer.id)


async def form_of(request: Request) -> dict[str, list[str]]:
    data = await request.form()
    return {k: [str(v) for v in data.getlist(k)] for k in data}


async def case_page(
    family: Family,
    request: Request,
    staff: Staff,
    session: Session,
    db: AsyncSession,
    client: Client,
    case_id: str,
    status_code: int = 200,
    failed: dict[str, Any] | None = None,
    **context: Any,
) -> Response:
    res: Resources = request.app.state.resources
    row = await family.row(db, case_id, staff, res)
    view = row.view
    history = await family.history(db, case_id, staff, res)
    clocks = await family.clocks(db, case_id, staff, res)
    allowed = [] if family.closed(view) else await available(client, row.workflow_id, staff)
    forms = []
    for step, path in family.paths.items():
        if step.value not in allowed:
            continue
        mine = failed if failed and failed["step"] == step.value else None
        body = family.steps.steps[step].body
        forms.append(
            {
                "step": step.value,
                "prefix": step.value,
                "action": f"/console/{family.prefix}/{case_id}/{path}",
                "fields": fields_of(body, mine["values"] if mine else None, mine["errors"] if mine else None),
                "error": mine["error"] if mine else None,
                "idem": secrets.token_urlsafe(16),
            }
        )
    for action in family.item_actions:
        labels = dict(action.items(view))
        allowed_items = (
            [] if family.closed(view) else await available_items(client, row.workflow_id, staff, action, list(labels))
        )
        body = family.steps.steps[action.step].body
        for value in allowed_items:
            key = f"{action.step.value}:{value}"
            mine = failed if failed and failed["step"] == key else None
            forms.append(
                {
                    "step": action.step.value,
                    "prefix": f"{action.step.value}-{value}",
                    "item": labels[value],
                    "action": f"/console/{family.prefix}/{case_id}/{action.path(value)}",
                    "fields": fields_of(body, mine["values"] if mine else None, mine["errors"] if mine else None),
                    "error": mine["error"] if mine else None,
                    "idem": secrets.token_urlsafe(16),
                }
            )
    return page(
        request,
        family.template,
        session,
        staff,
        status_code=status_code,
        case=view,
        history=history,
        clocks=clocks,
        forms=forms,
        registered=request.query_params.get("registered") == "1",
        done=request.query_params.get("done"),
        **context,
    )


async def take_step(
    family: Family,
    request: Request,
    staff: Staff,
    session: Session,
    db: AsyncSession,
    res: Resources,
    client: Client,
    case_id: str,
    path: str,
) -> Response:
    """One action's form: the same step as ``POST /<family>/{id}/<path>`` of the API. A body
    the model refuses, or a step the workflow refuses (409), shows the page again with the
    reason at that form."""
    step = next((s for s, p in family.paths.items() if p == path), None)
    extra: dict[str, str] = {}
    key = step.value if step is not None else ""
    if step is None:
        for action in family.item_actions:
            value = path.split("/")[1] if path.count("/") == 2 else ""
            if value and action.path(value) == path:
                step, extra, key = action.step, {action.field: value}, f"{action.step.value}:{value}"
                break
    if step is None:
        raise HTTPException(404, f"no action {path}")
    form = await form_of(request)
    body, values, errors = parse(family.steps.steps[step].body, form, ZoneInfo(family.timezone(res)))
    if body is None:
        failed = {"step": key, "values": values, "errors": errors, "error": None}
        return await case_page(family, request, staff, session, db, client, case_id, 422, failed)
    raw = repr(sorted(values.items()))
    idem = idempotent(res, staff, f"/console/{family.prefix}/{case_id}/{path}", form.get("idem", [""])[0], raw)
    human = HumanStep(staff, res, db, client, idem)
    try:
        await idem.answer(200, lambda: family.steps.take(step, case_id, body, human, **extra))
    except HTTPException as e:
        if e.status_code in (403, 404):
            raise
        failed = {"step": key, "values": values, "errors": {}, "error": str(e.detail)}
        async with res.sessions() as fresh:  # the step closed the request's session
            return await case_page(family, request, staff, session, fresh, client, case_id, e.status_code, failed)
    return RedirectResponse(f"/console/{family.prefix}/{case_id}?done={step.value}", status_code=303)


def add_case_routes(router: APIRouter, family: Family) -> None:
    """A family's case page (``GET /console/<prefix>/{id}``) and its actions (``POST
    /console/<prefix>/{id}/<path>``); a router's more specific routes go before this call."""

    async def show(
        request: Request, case_id: str, staff: ConsoleStaff, session: SessionCookie, db: SessionDep, client: TemporalDep
    ) -> Response:
        return await case_page(family, request, staff, session, db, client, case_id)

    async def act(
        request: Request,
        case_id: str,
        path: str,
        staff: ConsoleStaff,
        session: SessionCookie,
        db: SessionDep,
        res: ResourcesDep,
        client: TemporalDep,
        _csrf: CsrfChecked,
    ) -> Response:
        return await take_step(family, request, staff, session, db, res, client, case_id, path)

    show.__name__, act.__name__ = f"{family.prefix}_page", f"{family.prefix}_action"
    router.add_api_route(f"/{family.prefix}/{{case_id}}", show, methods=["GET"], response_class=HTMLResponse)
    router.add_api_route(
        f"/{family.prefix}/{{case_id}}/{{path:path}}", act, methods=["POST"], response_class=HTMLResponse
    )
