"""The ONE mapping from a refusal or a failure to its HTTP answer, and the OpenAPI responses
every route declares.

A step refused by a workflow's update validator arrives as ``WorkflowUpdateFailedError``
whose cause is an ``ApplicationError`` typed ``Conflict``, ``Forbidden``, ``Invalid`` or
``ReadOnly`` (see models/*_rules.py): ``refusal_to_http`` answers it. Temporal or the database
being unavailable is answered by the handlers ``add_exception_handlers`` installs.
"""

from typing import Any

import structlog
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.schemas import Problem, Unprocessable
from infra.temporal import TemporalUnavailable

log = structlog.get_logger()

#: A refusal's ApplicationError type → its status (any other refusal: 409).
ERROR_STATUS = {"Conflict": 409, "Forbidden": 403, "Invalid": 422, "ReadOnly": 409}

#: The responses every route may give, for the OpenAPI document.
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "no or unknown API key"},
    403: {"model": Problem, "description": "CP-07/CP-19: not yours to see or do"},
    404: {"model": Problem, "description": "no such complaint"},
    409: {"model": Problem, "description": "not allowed now (the reason says why)"},
    413: {"model": Problem, "description": "request body too large (the limit is named)"},
    422: {"model": Unprocessable, "description": "bad input: the field and the problem are named"},
    502: {"model": Problem, "description": "Temporal refused the request"},
    503: {"model": Problem, "description": "Temporal or the database is unavailable"},
}

#: The run of the workflow is over (closed, or gone): a step can no longer be taken.
CLOSED_RUN = (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION)


def refusal_to_http(error: WorkflowUpdateFailedError) -> HTTPException:
    """A step the workflow refused: the status of its type (ERROR_STATUS), with its reason."""
    cause = error.cause
    if isinstance(cause, ApplicationError):
        return HTTPException(ERROR_STATUS.get(cause.type or "", 409), cause.message)
    return HTTPException(409, str(cause))


def add_exception_handlers(app: FastAPI) -> None:
    """503 when Temporal or the database is unavailable, or no worker confirmed a step in
    time; 502 when Temporal refused a request for another reason."""

    @app.exception_handler(TemporalUnavailable)
    async def _temporal_down(_: Request, exc: TemporalUnavailable) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": f"Temporal is unavailable: {exc}"})

    @app.exception_handler(DBAPIError)
    async def _database_down(_: Request, exc: DBAPIError) -> JSONResponse:
        log.error("database_error", error=type(exc.orig).__name__)
        return JSONResponse(status_code=503, content={"detail": "the database is unavailable"})

    @app.exception_handler(WorkflowUpdateRPCTimeoutOrCancelledError)
    async def _update_timeout(_: Request, exc: WorkflowUpdateRPCTimeoutOrCancelledError) -> JSONResponse:
        return JSONResponse(
            status_code=503, content={"detail": "no worker answered in time; the step was not confirmed"}
        )

    @app.exception_handler(RPCError)
    async def _rpc_error(_: Request, exc: RPCError) -> JSONResponse:
        if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
            return JSONResponse(status_code=503, content={"detail": f"Temporal is unavailable: {exc.message}"})
        log.error("temporal_rpc_error", status=str(exc.status), message=exc.message)
        return JSONResponse(status_code=502, content={"detail": f"Temporal refused the request: {exc.message}"})
