"""Who calls: the API key (``X-API-Key``, or ``Authorization: Bearer`` on /codec), and the
signed session cookie a supervisor gets at ``/codec/login`` for the Temporal Web UI (a browser
cannot add an API key to the UI's requests). The dependencies that use these are in
api/deps.py."""

import base64
import hashlib
import hmac
import os
import time

from fastapi import HTTPException

from config import Settings
from models.staff import LADDER_RANK, Role, Staff

CODEC_PREFIX = "/codec"
#: Roles that may decode payloads (they watch cases in the Temporal UI).
CODEC_ROLES = {r for r, rank in LADDER_RANK.items() if rank >= 1} | {
    Role.review_group,
    Role.deputy_leader,
    Role.group_leader,
}

SESSION_COOKIE = "codec_session"
#: the default length of a sign-in (Settings.codec_session_seconds)
SESSION_SECONDS = Settings.model_fields["codec_session_seconds"].default


def session_secret(settings: Settings) -> bytes:
    """The key that signs session cookies: derived from PAYLOAD_KEY (sessions survive an API
    restart), or random (the caller keeps it for the process) when payloads are not
    encrypted."""
    spec = settings.payload_key.strip()
    return hashlib.sha256(b"codec-session\x1f" + spec.encode()).digest() if spec else os.urandom(32)


def _sign(secret: bytes, message: str) -> str:
    mac = hmac.new(secret, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def session_cookie(secret: bytes, staff_id: str, now: float | None = None, seconds: int = SESSION_SECONDS) -> str:
    """``<staff id>.<expiry>.<signature>``: who signed in, until when; tamper-evident."""
    expiry = int((now if now is not None else time.time()) + seconds)
    message = f"{staff_id}.{expiry}"
    return f"{message}.{_sign(secret, message)}"


def session_staff_id(secret: bytes, cookie: str, now: float | None = None) -> str | None:
    head, signature = cookie.rpartition(".")[0], cookie.rpartition(".")[2]
    sid, _, expiry = head.rpartition(".")
    if not sid or not expiry.isdigit() or not hmac.compare_digest(_sign(secret, head), signature):
        return None
    if int(expiry) < (now if now is not None else time.time()):
        return None
    return sid


def codec_reader(staff: Staff | None, how: str) -> Staff:
    """The caller, if it may read payloads: 401 (``how`` says why) or 403 otherwise."""
    if staff is None:
        raise HTTPException(
            401,
            f"{how} (X-API-Key, Authorization: Bearer, or sign in at {CODEC_PREFIX}/login)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if staff.role not in CODEC_ROLES:
        raise HTTPException(403, "CP-19/ND-13: only supervisors, managers and the development group read payloads")
    return staff


def key_of(x_api_key: str | None, authorization: str | None) -> str | None:
    """The API key of ``X-API-Key``, else of ``Authorization: Bearer <key>``."""
    if x_api_key:
        return x_api_key
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer":
            return token.strip()
    return None
