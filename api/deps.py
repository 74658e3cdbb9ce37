"""The API's dependencies, as ``Annotated`` aliases (full-stack-fastapi-template's
``deps.py``). Routes take what they need from here and from nowhere else.

Every request shares the process's ``Resources`` (infra/bootstrap.py), opened by the app's
lifespan (api/main.py) and kept on ``app.state.resources``.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Cookie, Depends, Header, HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.converter import PayloadCodec

from api.idempotency import KEY_HEADER, Idempotent
from api.security import codec_reader, key_of, session_secret, session_staff_id
from api.steps import HumanStep, Intake
from config import Settings
from infra.bootstrap import Resources
from infra.codec import payload_codec
from models.staff import Staff


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


# --- the codec (/codec/*, the Temporal Web UI) ---------------------------------------------


def codec_session_secret(request: Request, res: ResourcesDep) -> bytes:
    """The key that signs the codec's session cookies, made once per app (api/security.py)."""
    secret = getattr(request.app.state, "codec_session_secret", None)
    if secret is None:
        secret = request.app.state.codec_session_secret = session_secret(res.settings)
    return secret


CodecSecretDep = Annotated[bytes, Depends(codec_session_secret)]


def codec_staff(
    res: ResourcesDep,
    secret: CodecSecretDep,
    x_api_key: Annotated[str | None, Header(description="the caller's API key")] = None,
    authorization: Annotated[str | None, Header(description="Bearer <API key>")] = None,
    codec_session: Annotated[str | None, Cookie(description="the session of GET /codec/login")] = None,
) -> Staff:
    """A caller who may read payloads: by API key, or by the session cookie of /codec/login."""
    key = key_of(x_api_key, authorization)
    if key is not None or codec_session is None:
        return codec_reader(res.directory.authenticate(key), "missing or unknown API key")
    sid = session_staff_id(secret, codec_session)
    return codec_reader(res.directory.get(sid) if sid else None, "session expired or not valid: sign in again")


CodecStaff = Annotated[Staff, Depends(codec_staff)]


def codec_of(request: Request, res: ResourcesDep) -> PayloadCodec | None:
    """The payload codec of /codec/*: PAYLOAD_KEY's, else that of the API's own client (a
    client given to create_app may carry the key); None: payloads pass unchanged."""
    cached: PayloadCodec | None | bool = getattr(request.app.state, "payload_codec", False)
    if cached is False:
        cached = payload_codec(res.settings)
        if cached is None and res.client is not None:
            cached = res.client.data_converter.payload_codec
        if cached is not None or res.client is not None:
            request.app.state.payload_codec = cached
    assert cached is None or isinstance(cached, PayloadCodec)
    return cached


PayloadCodecDep = Annotated[PayloadCodec | None, Depends(codec_of)]
