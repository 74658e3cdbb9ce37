"""E-mail (issue 17): a notification made into a mail from its templates (plain text and HTML,
Chinese or English by the recipient's language) and sent over SMTP with aiosmtplib.

Templates live in ``infra/templates/mail``: ``<kind>.txt.j2`` / ``<kind>.html.j2`` when a kind
has its own (the complainant's acknowledgement and result), else ``staff.*`` or
``complainant.*``; ``subjects.json`` names every kind in both languages and ``phrases.json``
holds the words the templates share. A mail's Message-ID is its delivery's workflow id: the
same on every attempt, so a receiving server or client that sees it twice (a reply lost after
the server took the mail) can tell it is one mail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from functools import cache
from pathlib import Path
from typing import Any

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parent / "templates" / "mail"
LANGUAGES = ("zh", "en")

_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


@cache
def subjects() -> dict[str, dict[str, str]]:
    """Every notification kind's subject, in each language."""
    return dict(json.loads((TEMPLATES / "subjects.json").read_text(encoding="utf-8")))


@cache
def _phrases() -> dict[str, dict[str, str]]:
    return dict(json.loads((TEMPLATES / "phrases.json").read_text(encoding="utf-8")))


def subject(kind: str, language: str) -> str:
    """A kind's subject (an unknown kind is named as it is)."""
    return subjects().get(kind, {}).get(language) or kind.replace("_", " ")


@dataclass(frozen=True)
class Letter:
    """What a mail says: the notification's ``kind`` and ``message``, its case, to whom
    (``recipient_kind`` staff | complainant, and the staff member's ``name``), in which
    ``language``, and the ``link`` to the case."""

    kind: str
    message: str
    case_ref: str
    recipient_kind: str
    language: str
    link: str
    name: str = ""

    @property
    def reference(self) -> str:
        """The reference a complainant knows: the case id without its workflow prefix."""
        return self.case_ref.split("-", 1)[1] if self.case_ref.startswith("complaint-") else self.case_ref


def _render(letter: Letter, ext: str, context: dict[str, Any]) -> str:
    """The kind's own template (only the complainant's kinds have one), else the recipient's."""
    names = [f"{letter.kind}.{ext}.j2"] if letter.recipient_kind == "complainant" else []
    return _ENV.select_template([*names, f"{letter.recipient_kind}.{ext}.j2"]).render(context)


def render(letter: Letter) -> tuple[str, str, str]:
    """The mail's subject, plain text and HTML."""
    lang = letter.language if letter.language in LANGUAGES else LANGUAGES[0]
    subj = subject(letter.kind, lang)
    context = {
        "lang": lang,
        "t": _phrases()[lang],
        "subject": subj,
        "message": letter.message,
        "case_ref": letter.case_ref,
        "reference": letter.reference,
        "link": letter.link,
        "name": letter.name,
    }
    return subj, _render(letter, "txt", context), _render(letter, "html", context)


def compose(letter: Letter, *, sender: str, to: str, message_id: str) -> EmailMessage:
    """The mail, plain text with an HTML alternative."""
    subj, text, html = render(letter)
    msg = EmailMessage()
    msg["Subject"] = subj
    msg["From"] = sender
    msg["To"] = formataddr((letter.name, to)) if letter.name else to
    msg["Date"] = format_datetime(datetime.now(UTC))
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    msg["Message-ID"] = f"<{message_id}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    msg["Content-Language"] = letter.language  # after the content, which resets Content-* headers
    return msg


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int = 25
    username: str = ""
    password: str = ""
    starttls: bool = False
    tls: bool = False
    timeout: float = 20.0


async def send(msg: EmailMessage, smtp: Smtp) -> None:
    """Send one mail; raises on any refusal or connection failure (the activity retries)."""
    await aiosmtplib.send(
        msg,
        hostname=smtp.host,
        port=smtp.port,
        username=smtp.username or None,
        password=smtp.password or None,
        start_tls=smtp.starttls,
        use_tls=smtp.tls,
        timeout=smtp.timeout,
    )
