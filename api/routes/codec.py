"""The Temporal remote codec endpoint (POST /codec/encode, /codec/decode) and its sign-in.

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

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from google.protobuf import json_format
from pydantic import BaseModel, ConfigDict, Field
from temporalio.api.common.v1 import Payloads
from temporalio.converter import PayloadCodec

from api.deps import CodecSecretDep, CodecStaff, PayloadCodecDep, ResourcesDep
from api.security import CODEC_PREFIX, SESSION_COOKIE, codec_reader, key_of, session_cookie

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


async def _run(codec: PayloadCodec | None, body: CodecBody, encode: bool) -> dict[str, Any]:
    payloads = _parse(body)
    items: Sequence[Any] = payloads.payloads
    if codec is not None:
        try:
            items = await (codec.encode(items) if encode else codec.decode(items))
        except Exception as e:  # noqa: BLE001 - wrong key, tampered data: the caller's input
            raise HTTPException(
                400, f"payloads: cannot {'encode' if encode else 'decode'}: {type(e).__name__}: {e}"
            ) from None
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
    res: ResourcesDep,
    secret: CodecSecretDep,
    x_api_key: Annotated[str | None, Header(description="the caller's API key")] = None,
    authorization: Annotated[str | None, Header(description="Bearer <API key>")] = None,
) -> None:
    staff = codec_reader(res.directory.authenticate(key_of(x_api_key, authorization)), "missing or unknown API key")
    seconds = res.settings.codec_session_seconds
    response.set_cookie(
        SESSION_COOKIE,
        session_cookie(secret, staff.id, seconds=seconds),
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
async def codec_encode(body: CodecBody, _: CodecStaff, codec: PayloadCodecDep) -> CodecBody:
    return CodecBody.model_validate(await _run(codec, body, encode=True) or {"payloads": []})


@router.post("/decode", responses=CODEC_ERRORS, summary="Temporal remote codec: decrypt payloads (the Web UI)")
async def codec_decode(body: CodecBody, _: CodecStaff, codec: PayloadCodecDep) -> CodecBody:
    return CodecBody.model_validate(await _run(codec, body, encode=False) or {"payloads": []})
