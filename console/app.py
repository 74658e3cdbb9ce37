"""The API with the staff console (issue 18): ``api.main.create_app`` and the console's pages
under ``/console``, served by the same process (``python -m console``; ``make run`` starts
it). The pages call the API's own route functions and step routes with the signed-in staff
member, so they see and do exactly what the API lets that person see and do."""

from __future__ import annotations

import inspect
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import Client

from api.main import create_app as create_api
from config import Settings
from console.pages import ROUTERS
from console.render import HERE, page
from console.session import LoginRequired, read_session
from models.staff import Directory


def create_app(
    settings: Settings | None = None,
    client: Client | None = None,
    directory: Directory | None = None,
    intake_wait_seconds: float | None = None,
) -> FastAPI:
    app = create_api(settings, client=client, directory=directory, intake_wait_seconds=intake_wait_seconds)
    for router in ROUTERS:
        app.include_router(router, prefix="/console", include_in_schema=False)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")

    async def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return RedirectResponse(f"/console/login?next={quote(exc.next_path)}", status_code=303)

    api_http_error = app.exception_handlers[StarletteHTTPException]

    async def http_error(request: Request, exc: Exception) -> Any:
        """A console page's refusal is a page (the API's stays JSON)."""
        if not request.url.path.startswith("/console") or not isinstance(exc, StarletteHTTPException):
            answer = api_http_error(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        session = read_session(request)
        staff = request.app.state.resources.directory.get(session.staff_id) if session.staff_id else None
        return page(request, "error.html", session, staff, status_code=exc.status_code, detail=exc.detail)

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(StarletteHTTPException, http_error)
    return app
