"""Signing in to the console (issue 18): the staff member's API key once, then a signed,
HttpOnly, SameSite=Strict session cookie; every form carries the session's CSRF token.

The cookie holds the staff id, the CSRF token, the language and when it was signed, signed
with ``CONSOLE_KEY`` (itsdangerous; the first key signs, every key verifies). A cookie whose
signature fails, that is older than ``CONSOLE_SESSION_HOURS``, or whose staff member has left
the staff file, signs nobody in.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, replace
from typing import Annotated, Literal

from fastapi import Depends, Form, HTTPException, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from api.deps import ResourcesDep
from infra.codec import parse_payload_keys
from models.staff import Staff

COOKIE = "console_session"
LANGUAGES = ("zh", "en")
Language = Literal["zh", "en"]


@dataclass(frozen=True)
class Session:
    staff_id: str | None
    csrf: str
    language: Language = "zh"
    #: when the staff member signed in (seconds since the epoch): a sign-in lasts
    #: CONSOLE_SESSION_HOURS from then, however often the cookie is written again
    signed_at: int = 0


class LoginRequired(Exception):
    """No valid session: the page answers with the sign-in page (303)."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def _serializer(request: Request) -> URLSafeTimedSerializer:
    app = request.app
    if not hasattr(app.state, "console_serializer"):
        spec = app.state.resources.settings.console_key
        keys = [k for _, k in parse_payload_keys(spec)] if spec.strip() else [secrets.token_bytes(32)]
        # itsdangerous signs with the last key and verifies with all of them
        app.state.console_serializer = URLSafeTimedSerializer(list(reversed(keys)), salt="console-session")
    serializer: URLSafeTimedSerializer = app.state.console_serializer
    return serializer


def read_session(request: Request) -> Session:
    """The request's session, or a new anonymous one (its own CSRF token, the language asked
    for by ``?lang=`` or the browser)."""
    raw = request.cookies.get(COOKIE)
    hours = request.app.state.resources.settings.console_session_hours
    if raw:
        try:
            data = _serializer(request).loads(raw, max_age=int(hours * 3600))
            signed_at = int(data.get("at", 0))
            staff_id = data.get("sid") if time.time() - signed_at <= hours * 3600 else None
            lang: Language = "en" if data.get("lang") == "en" else "zh"
            return Session(staff_id, str(data["csrf"]), lang, signed_at)
        except (BadSignature, KeyError, TypeError, AttributeError):
            pass
    accept = request.headers.get("accept-language", "")
    return Session(None, secrets.token_urlsafe(24), "en" if accept.lower().startswith("en") else "zh")


def write_session(request: Request, response: Response, session: Session) -> None:
    token = _serializer(request).dumps(
        {"sid": session.staff_id, "csrf": session.csrf, "lang": session.language, "at": session.signed_at}
    )
    hours = request.app.state.resources.settings.console_session_hours
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(hours * 3600),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/console",
    )


def signed_in(session: Session, staff: Staff) -> Session:
    """A new session for ``staff``: a fresh CSRF token (never the anonymous one)."""
    return replace(session, staff_id=staff.id, csrf=secrets.token_urlsafe(24), signed_at=int(time.time()))


def current_session(request: Request) -> Session:
    return read_session(request)


SessionCookie = Annotated[Session, Depends(current_session)]


def console_staff(request: Request, res: ResourcesDep, session: SessionCookie) -> Staff:
    """The signed-in staff member; none: LoginRequired (the sign-in page)."""
    staff = res.directory.get(session.staff_id) if session.staff_id else None
    if staff is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return staff


ConsoleStaff = Annotated[Staff, Depends(console_staff)]


def check_csrf(session: SessionCookie, csrf_token: Annotated[str, Form()] = "") -> None:
    """Every form's POST carries the session's token (403 otherwise)."""
    if not session.csrf or not hmac.compare_digest(csrf_token.encode(), session.csrf.encode()):
        raise HTTPException(403, "the form's CSRF token does not match this session: reload the page and send it again")


CsrfChecked = Annotated[None, Depends(check_csrf)]
