"""Sign in with the API key once (a signed session cookie), sign out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import ResourcesDep
from console.render import page
from console.session import CsrfChecked, Session, SessionCookie, signed_in, write_session

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a console path of this site (never another host)."""
    if target and target.startswith("/console") and not target.startswith("//"):
        return target
    return "/console/work"


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, session: SessionCookie, next: str | None = None) -> Response:
    return page(request, "login.html", session, None, next=_safe_next(next), error=None)


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    res: ResourcesDep,
    session: SessionCookie,
    _csrf: CsrfChecked,
    api_key: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/console/work",
) -> Response:
    staff = res.directory.authenticate(api_key.strip())
    if staff is None:
        return page(request, "login.html", session, None, status_code=401, next=_safe_next(next), error="login.unknown")
    response = RedirectResponse(_safe_next(next), status_code=303)
    write_session(request, response, signed_in(session, staff))
    return response


@router.post("/logout")
async def logout(request: Request, session: SessionCookie, _csrf: CsrfChecked) -> Response:
    response = RedirectResponse("/console/login", status_code=303)
    write_session(request, response, Session(None, session.csrf, session.language))  # signed out
    return response


@router.get("")
@router.get("/")
async def home() -> Response:
    return RedirectResponse("/console/work", status_code=303)
