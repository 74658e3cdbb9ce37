"""The API's dependencies, as ``Annotated`` aliases (full-stack-fastapi-template's
``deps.py``). Routes take what they need from here and from nowhere else.

Every request shares the process's ``Resources`` (infra/bootstrap.py), opened by the app's
lifespan (api/main.py) and kept on ``app.state.resources``.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.idempotency import KEY_HEADER, Idempotent
from api.steps import HumanStep, Intake
from config import Settings
from infra.bootstrap import Resources
from models.report import may_read_reports
from models.staff import Staff

#: The largest offset a list takes: past it, 422 naming ``offset`` (the databases' integers end
#: at 2**63 - 1, and no list is that long).
MAX_OFFSET = 2**31 - 1

#: Every list's paging: how many rows to skip.
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]

#: A row's number in a path (a notification, a delivery): past the databases' integers, 422.
RowId = Annotated[int, Path(ge=1, le=MAX_OFFSET)]


def resources(request: Request) -> Resources:
    """The process's resources (settings, staff, database, Temporal)."""
    return request.app.state.resources


ResourcesDep = Annotated[Resources, Depends(resources)]


def settings(res: ResourcesDep) -> Settings:
    return res.settings


SettingsDep = Annotated[Settings, Depends(settings)]


def intake_wait(request: Request) -> float:
    """How long an intake waits for the worker to register the case before answering 202
    (``create_app(intake_wait_seconds=…)``, else INTAKE_WAIT_SECONDS)."""
    return request.app.state.intake_wait_seconds


IntakeWaitDep = Annotated[float, Depends(intake_wait)]


async def db_session(res: ResourcesDep) -> AsyncIterator[AsyncSession]:
    async with res.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(db_session)]


async def temporal(res: ResourcesDep) -> Client:
    """The Temporal client, connected on first use; TemporalUnavailable (503) if it cannot be."""
    return await res.temporal()


TemporalDep = Annotated[Client, Depends(temporal)]


def current_staff(
    res: ResourcesDep,
    x_api_key: Annotated[str | None, Header(description="the caller's API key")] = None,
) -> Staff:
    staff = res.directory.authenticate(x_api_key)
    if staff is None:
        raise HTTPException(401, "missing or unknown X-API-Key", headers={"WWW-Authenticate": "X-API-Key"})
    return staff


CurrentStaff = Annotated[Staff, Depends(current_staff)]


def report_reader(staff: CurrentStaff) -> Staff:
    """CP-18: the complaint analysis is for customer-service supervisors, managers and the
    general manager."""
    if may_read_reports(staff.ref):
        return staff
    raise HTTPException(
        403, "CP-18: the complaint analysis is for customer-service supervisors, managers and the general manager"
    )


ReportReader = Annotated[Staff, Depends(report_reader)]


async def idempotent(
    request: Request, res: ResourcesDep, staff: CurrentStaff, idempotency_key: Annotated[str | None, KEY_HEADER] = None
) -> Idempotent:
    """Every POST's ``Idempotency-Key`` (api/idempotency.py)."""
    return await Idempotent.of(request, res.sessions, staff.id, idempotency_key)


IdempotentDep = Annotated[Idempotent, Depends(idempotent)]


def intake(
    staff: CurrentStaff, res: ResourcesDep, client: TemporalDep, idem: IdempotentDep, wait: IntakeWaitDep
) -> Intake:
    """An intake endpoint's caller, client, Idempotency-Key and wait (api/steps.py)."""
    return Intake(staff, res, client, idem, wait)


IntakeDep = Annotated[Intake, Depends(intake)]


def human_step(
    staff: CurrentStaff, res: ResourcesDep, db: SessionDep, client: TemporalDep, idem: IdempotentDep
) -> HumanStep:
    """A step endpoint's caller, session, client and Idempotency-Key (api/steps.py)."""
    return HumanStep(staff, res, db, client, idem)


HumanStepDep = Annotated[HumanStep, Depends(human_step)]
