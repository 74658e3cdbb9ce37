"""The Temporal remote codec endpoint (POST /codec/encode, /codec/decode) and the API's request
body limit.

Payloads on the Temporal server are AES-GCM ciphertext (infra.codec.EncryptionCodec, PAYLOAD_KEY).
The Temporal Web UI (``temporal server start-dev --ui-codec-endpoint http://<api>/codec``) posts
them here to show a case in plaintext: only to an authenticated supervisor, manager or general
manager, or a member of the development group, and only from the origins in CODEC_CORS_ORIGINS.

A browser cannot add an API key to the UI's requests, so a supervisor signs in once at
``GET /codec/login``: the key is exchanged for a signed, HttpOnly session cookie scoped to
``/codec`` (8 hours), which the UI sends once its Codec Server setting "Include cross-origin
credentials" is on (the pattern of Temporal's codec-cors-credentials sample). Scripts and the
CLI send ``X-API-Key`` or ``Authorization: Bearer <key>`` instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Depends, Header, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from google.protobuf import json_format
from pydantic import BaseModel, ConfigDict, Field
from starlette.middleware.cors import CORSMiddleware
from temporalio.api.common.v1 import Payloads
from temporalio.converter import PayloadCodec

from config import Settings
from infra.codec import payload_codec
from models.staff import LADDER_RANK, Role, Staff

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CODEC_PREFIX = "/codec"
#: Roles that may decode payloads (they watch cases in the Temporal UI).
CODEC_ROLES = {r for r, rank in LADDER_RANK.items() if rank >= 1} | {
    Role.review_group,
    Role.deputy_leader,
    Role.group_leader,
}

router = APIRouter(prefix=CODEC_PREFIX, tags=["codec"])


class CodecPayload(BaseModel):
    """A Temporal ``Payload`` in protobuf JSON: metadata values and data are base64."""

    model_config = ConfigDict(extra="forbid")

    metadata: dict[Annotated[str, Field(max_length=256)], Annotated[str, Field(max_length=4096)]] = Field(
        default_factory=dict, max_length=32
    )
    data: Annotated[str, Field(max_length=4 * 1024 * 1024)] = ""


class CodecBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payloads: list[CodecPayload] = Field(max_length=1000)


class CodecProblem(BaseModel):
    detail: str


def _codec(request: Request) -> PayloadCodec | None:
    st = request.app.state.app
    cached = getattr(st, "payload_codec", False)
    if cached is False:
        cached = payload_codec(st.settings)
        if cached is None and st.client is not None:  # the API's own client may carry the key
            cached = st.client.data_converter.payload_codec
        if cached is not None or st.client is not None:
            st.payload_codec = cached
    return cached


SESSION_COOKIE = "codec_session"
#: the default length of a sign-in (Settings.codec_session_seconds)
SESSION_SECONDS = Settings.model_fields["codec_session_seconds"].default


def _session_secret(request: Request) -> bytes:
    """The key that signs session cookies: derived from PAYLOAD_KEY (sessions survive an API
    restart), or random per process when payloads are not encrypted."""
    st = request.app.state.app
    secret = getattr(st, "codec_session_secret", None)
    if secret is None:
        spec = st.settings.payload_key.strip()
        secret = hashlib.sha256(b"codec-session\x1f" + spec.encode()).digest() if spec else os.urandom(32)
        st.codec_session_secret = secret
    return secret


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


def _allowed(staff: Staff | None, how: str) -> Staff:
    if staff is None:
        raise HTTPException(401, f"{how} (X-API-Key, Authorization: Bearer, or sign in at {CODEC_PREFIX}/login)",
                            headers={"WWW-Authenticate": "Bearer"})
    if staff.role not in CODEC_ROLES:
        raise HTTPException(403, "CP-19/ND-13: only supervisors, managers and the development group read payloads")
    return staff


def _key_of(x_api_key: str | None, authorization: str | None) -> str | None:
    if x_api_key:
        return x_api_key
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer":
            return token.strip()
    return None


def codec_staff(
    request: Request,
    x_api_key: Annotated[str | None, Header(description="the caller's API key")] = None,
    authorization: Annotated[str | None, Header(description="Bearer <API key>")] = None,
    codec_session: Annotated[str | None, Cookie(description="the session of GET /codec/login")] = None,
) -> Staff:
    directory = request.app.state.app.directory
    key = _key_of(x_api_key, authorization)
    if key is not None or codec_session is None:
        return _allowed(directory.authenticate(key), "missing or unknown API key")
    sid = session_staff_id(_session_secret(request), codec_session)
    return _allowed(directory.get(sid) if sid else None, "session expired or not valid: sign in again")


CODEC_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": CodecProblem, "description": "a payload is not valid protobuf JSON, or cannot be decrypted"},
    401: {"model": CodecProblem, "description": "no or unknown API key"},
    403: {"model": CodecProblem, "description": "the caller may not read payloads"},
    413: {"model": CodecProblem, "description": "request body too large"},
}


def _parse(body: CodecBody) -> Payloads:
    try:
        return json_format.ParseDict(body.model_dump(), Payloads())
    except json_format.ParseError as e:
        raise HTTPException(400, f"payloads: {e}") from None


async def _run(request: Request, body: CodecBody, encode: bool) -> dict[str, Any]:
    payloads = _parse(body)
    codec = _codec(request)
    items: Sequence[Any] = payloads.payloads
    if codec is not None:
        try:
            items = await (codec.encode(items) if encode else codec.decode(items))
        except Exception as e:  # noqa: BLE001 - wrong key, tampered data: the caller's input
            raise HTTPException(400, f"payloads: cannot {'encode' if encode else 'decode'}: {type(e).__name__}: {e}") from None
    return json_format.MessageToDict(Payloads(payloads=items))


@router.post(
    "/session",
    status_code=204,
    responses={401: CODEC_ERRORS[401], 403: CODEC_ERRORS[403]},
    summary="Sign in for the Temporal UI: the API key becomes a session cookie for /codec (CODEC_SESSION_SECONDS, 8 hours by default)",
)
def codec_session_start(
    request: Request,
    response: Response,
    x_api_key: Annotated[str | None, Header(description="the caller's API key")] = None,
    authorization: Annotated[str | None, Header(description="Bearer <API key>")] = None,
) -> None:
    staff = _allowed(request.app.state.app.directory.authenticate(_key_of(x_api_key, authorization)),
                     "missing or unknown API key")
    seconds = request.app.state.app.settings.codec_session_seconds
    response.set_cookie(
        SESSION_COOKIE,
        session_cookie(_session_secret(request), staff.id, seconds=seconds),
        max_age=seconds,
        path=CODEC_PREFIX,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


@router.delete("/session", status_code=204, summary="Sign out of the codec")
def codec_session_end(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path=CODEC_PREFIX)


_LOGIN_PAGE = """<!doctype html><meta charset="utf-8"><title>Codec sign-in</title>
<style>body{font:15px system-ui;max-width:36em;margin:3em auto}input,button{font:inherit;padding:.3em}</style>
<h1>Read cases in the Temporal UI</h1>
<p>Payloads are encrypted on the Temporal server. Sign in with your API key (supervisors,
managers and the development group): this browser then decodes them for 8 hours.</p>
<form id="f"><input id="k" type="password" placeholder="API key" autocomplete="off" required>
<button>Sign in</button></form><p id="r"></p>
<p>In the Temporal UI, open the Codec Server settings (the endpoint is already set by
<code>make run</code>) and tick <b>Include cross-origin credentials</b>.</p>
<script>
document.getElementById("f").onsubmit = async (e) => {
  e.preventDefault();
  const r = await fetch("session", {method: "POST", headers: {"X-API-Key": document.getElementById("k").value}});
  document.getElementById("r").textContent = r.ok ? "Signed in: reload the Temporal UI."
    : "Refused: " + (await r.json()).detail;
};
</script>"""


@router.get("/login", response_class=HTMLResponse, summary="The sign-in page of the codec (for a browser)")
def codec_login_page() -> HTMLResponse:
    return HTMLResponse(_LOGIN_PAGE)


@router.post("/encode", responses=CODEC_ERRORS, summary="Temporal remote codec: encrypt payloads")
async def codec_encode(body: CodecBody, request: Request, _: Annotated[Staff, Depends(codec_staff)]) -> CodecBody:
    return CodecBody.model_validate(await _run(request, body, encode=True) or {"payloads": []})


@router.post("/decode", responses=CODEC_ERRORS, summary="Temporal remote codec: decrypt payloads (the Web UI)")
async def codec_decode(body: CodecBody, request: Request, _: Annotated[Staff, Depends(codec_staff)]) -> CodecBody:
    return CodecBody.model_validate(await _run(request, body, encode=False) or {"payloads": []})


class CodecCORS:
    """CORS for the codec paths only (the Web UI's origin calls them from the browser)."""

    def __init__(self, app: ASGIApp, origins: Sequence[str]):
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=list(origins),
            allow_methods=["POST", "OPTIONS"],
            allow_headers=["content-type", "x-namespace", "authorization", "x-api-key"],
            allow_credentials=True,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(CODEC_PREFIX + "/"):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class BodyLimit:
    """413 for a request body above ``limit`` bytes (``codec_limit`` on /codec/), whether
    announced by Content-Length or streamed: the body is read up to the limit before the app
    sees it."""

    def __init__(self, app: ASGIApp, limit: int, codec_limit: int):
        self.app, self.limit, self.codec_limit = app, limit, codec_limit

    async def _refuse(self, send: Send, limit: int) -> None:
        body = json.dumps({"detail": f"request body too large: the limit is {limit} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.codec_limit if scope["path"].startswith(CODEC_PREFIX + "/") else self.limit
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    if int(value) > limit:
                        await self._refuse(send, limit)
                        return
                except ValueError:
                    pass
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
