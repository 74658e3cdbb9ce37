"""Pages: Jinja2 templates (``console/templates``) in Chinese or English, with the words of
``console/messages.json``; every page gets the signed-in staff member, the session's CSRF
token and language, and the helpers its template needs."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from console.session import LANGUAGES, Session, write_session
from infra.mail import subject
from models.staff import Staff

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
TEMPLATES.env.filters["todt"] = lambda v: datetime.fromisoformat(v) if isinstance(v, str) else v
#: "Due soon": within this of its due time (the board's "due within the hour").
DUE_SOON = timedelta(hours=1)
#: Rows on one page of every list (its pager moves by as many).
PAGE_SIZE = 50


@cache
def messages() -> dict[str, dict[str, str]]:
    return dict(json.loads((HERE / "messages.json").read_text(encoding="utf-8")))


def translate(language: str, key: str, **kw: Any) -> str:
    """The words for ``key`` in ``language`` (the key itself when there are none)."""
    entry = messages().get(key)
    if entry is None:  # a value with no words of its own: its name, readable
        return key.split(".", 1)[-1].replace("_", " ")
    text = entry.get(language) or entry.get("en") or key
    return text.format(**kw) if kw else text


#: Where the console shows a case, by the prefix of its workflow id.
CONSOLE_PATHS = (
    ("complaint-", "/console/complaints/"),
    ("client-project-", "/console/projects/"),
    ("customer-", "/console/customers/"),
    ("report-complaints-", "/console/reports?period="),
)


def console_path(case_ref: str) -> str | None:
    """The console page of a case (None: a case the console has no page for yet)."""
    for prefix, path in CONSOLE_PATHS:
        if case_ref.startswith(prefix):
            return path + case_ref.removeprefix(prefix)
    return None


def due_class(due: datetime | None, now: datetime, paused: bool = False, overdue: bool = False) -> str:
    """The colour of a due time: ``overdue``, ``due-soon`` (within the hour), ``paused`` or none."""
    if paused:
        return "paused"
    if overdue or (due is not None and due <= now):
        return "overdue"
    if due is not None and due - now <= DUE_SOON:
        return "due-soon"
    return ""


def _with_query(request: Request, **changes: Any) -> str:
    params = {k: v for k, v in request.query_params.items() if k != "lang"}
    params.update({k: str(v) for k, v in changes.items()})
    return "?" + urlencode(params)


def page(
    request: Request,
    template: str,
    session: Session,
    staff: Staff | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page; ``?lang=zh|en`` switches the session's language for this and later pages."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES and asked != session.language:
        session = replace(session, language="en" if asked == "en" else "zh")
    lang = session.language
    settings = request.app.state.resources.settings
    tz = ZoneInfo(request.app.state.resources.complaint_policy().timezone)

    def local(value: datetime | str | None) -> str:
        if value is None or value == "":
            return "—"
        when = datetime.fromisoformat(value) if isinstance(value, str) else value
        return when.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "t": lambda key, **kw: translate(lang, key, **kw),
            "staff": staff,
            "csrf": session.csrf,
            "now": datetime.now(UTC),
            "local": local,
            "due_class": due_class,
            "page_size": PAGE_SIZE,
            "kind": lambda k: subject(k, lang),
            "temporal_ui": settings.temporal_ui_url.rstrip("/"),
            "namespace": settings.temporal_namespace,
            "path": request.url.path,
            # a link to this page with some of its query changed (a pager keeps the filters)
            "with_query": lambda **kw: _with_query(request, **kw),
            **context,
        },
        status_code=status_code,
    )
    write_session(request, response, session)
    return response
