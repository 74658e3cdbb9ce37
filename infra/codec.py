"""The data converter of every Client, worker, WorkflowEnvironment and Replayer (issue 12).

Temporal payloads are plain JSON: ids, enums, amounts, dates and clocks read as they are in
the Web UI, with no codec server and no sign-in. Each confidential field (models.confidential)
is sealed inside them, one by one, with ``PAYLOAD_KEY`` (AES-256-GCM):

- ``PayloadConverter`` serializes with the ``TEMPORAL`` context, in which a confidential field
  becomes ``{"$confidential": "..."}`` (deterministic: this runs inside the workflow sandbox);
- ``SealingCodec`` (outside the sandbox) turns each such object into
  ``{"$sealed": "<key id>.<base64url of nonce + ciphertext>"}`` before the payload leaves the
  process, and back when a payload comes in. Payloads of the earlier design, sealed whole
  (``binary/encrypted``), are still opened, so every recorded history replays.

The Temporal server, the Web UI and anything else without the key hold ciphertext where a
confidential field was, and everything else in plain. The first key seals; every key opens (by
the id written in each sealed field), so keys rotate.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import TypeAdapter
from pydantic_core import to_json
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter, pydantic_data_converter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
    PayloadCodec,
)

from config import Settings, get_settings
from models.confidential import MARK, SEALED, TEMPORAL

#: The encoding of a payload sealed whole (the earlier design): opened, never written.
ENCODING_ENCRYPTED = b"binary/encrypted"
_JSON = b"json/plain"
_META_ENCODING = "encoding"
_META_KEY_ID = "encryption-key-id"
_NONCE_BYTES = 12
_MARK_BYTES = json.dumps(MARK).encode()
_SEALED_BYTES = json.dumps(SEALED).encode()


def parse_payload_keys(spec: str) -> list[tuple[str, bytes]]:
    """``"k1:<base64 32 bytes>,k0:<base64>"`` → [(key id, key)], the sealing key first."""
    keys: list[tuple[str, bytes]] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        key_id, sep, b64 = part.partition(":")
        key_id = key_id.strip()
        if not sep or not key_id:
            raise ValueError("PAYLOAD_KEY: each key is <id>:<base64 of 32 bytes>")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", key_id):
            raise ValueError(f"PAYLOAD_KEY: key id {key_id!r}: letters, digits, '_' and '-' only (at most 32)")
        try:
            key = base64.b64decode(b64.strip(), validate=True)
        except ValueError:
            raise ValueError(f"PAYLOAD_KEY: key {key_id} is not valid base64") from None
        if len(key) != 32:
            raise ValueError(f"PAYLOAD_KEY: key {key_id} must be 32 bytes (AES-256), got {len(key)}")
        keys.append((key_id, key))
    if not keys:
        raise ValueError("PAYLOAD_KEY holds no key")
    if len({k for k, _ in keys}) != len(keys):
        raise ValueError("PAYLOAD_KEY: key ids must be unique")
    return keys


def new_payload_key(key_id: str = "k1") -> str:
    """A fresh key spec: ``k1:<base64 of 32 random bytes>``."""
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


class SealingCodec(PayloadCodec):
    """Seals each confidential field of a JSON payload (AES-256-GCM, a fresh nonce each, the key
    id as associated data) and opens it again; everything else passes unchanged. Without a
    key it refuses to let a confidential field out, and to open a sealed one."""

    def __init__(self, keys: Sequence[tuple[str, bytes]] = ()):
        self._key_id = keys[0][0] if keys else None
        self._ciphers = {kid: AESGCM(key) for kid, key in keys}

    @classmethod
    def from_spec(cls, spec: str) -> SealingCodec:
        return cls(parse_payload_keys(spec) if spec.strip() else [])

    @property
    def key_id(self) -> str | None:
        return self._key_id

    # --- one field ------------------------------------------------------------------------

    def seal(self, text: str) -> str:
        """``text`` sealed: ``<key id>.<base64url of nonce + ciphertext>``."""
        if self._key_id is None:
            raise ValueError("PAYLOAD_KEY is not set: a confidential field cannot be sent to Temporal")
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._ciphers[self._key_id].encrypt(nonce, text.encode(), self._key_id.encode())
        return f"{self._key_id}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, sealed: str) -> str:
        """The text of a sealed field (any key of PAYLOAD_KEY, by the id it names)."""
        key_id, _, b64 = sealed.partition(".")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise ValueError(f"a field sealed with key id {key_id!r}, which PAYLOAD_KEY does not hold")
        data = base64.urlsafe_b64decode(b64)
        return cipher.decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], key_id.encode()).decode()

    # --- whole payloads ---------------------------------------------------------------------

    def _open_whole(self, payload: Payload) -> Payload:
        """A payload of the earlier design, encrypted whole."""
        key_id = payload.metadata.get(_META_KEY_ID, b"").decode()
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise ValueError(f"payload encrypted with unknown key id {key_id!r}: add it to PAYLOAD_KEY")
        data = payload.data
        out = Payload()
        out.ParseFromString(cipher.decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], key_id.encode()))
        return out

    # A marked field is the object ``{"$confidential": "<JSON string>"}`` and a sealed one
    # ``{"$sealed": "<key id>.<base64url>"}``. Outside a JSON string that text can only be such
    # an object (inside one, every quote is escaped), so each is found and replaced in place: no
    # parse and no re-serialization of the rest of the payload.
    _MARKED = re.compile(rb'\{\s*"' + re.escape(MARK.encode()) + rb'"\s*:\s*("(?:[^"\\]|\\.)*")\s*\}')
    _SEALED = re.compile(rb'\{\s*"' + re.escape(SEALED.encode()) + rb'"\s*:\s*"([A-Za-z0-9_.=-]*)"\s*\}')

    def _seal_match(self, m: re.Match[bytes]) -> bytes:
        text = json.loads(m.group(1))
        if not isinstance(text, str):
            raise ValueError("a confidential field must be a string")
        return b'{"' + SEALED.encode() + b'":"' + self.seal(text).encode() + b'"}'

    def _open_match(self, m: re.Match[bytes]) -> bytes:
        text = json.dumps(self.open(m.group(1).decode()), ensure_ascii=False)
        return b'{"' + MARK.encode() + b'":' + text.encode() + b"}"

    def encode_one(self, payload: Payload) -> Payload:
        if payload.metadata.get(_META_ENCODING) == _JSON and _MARK_BYTES in payload.data:
            return Payload(metadata=dict(payload.metadata), data=self._MARKED.sub(self._seal_match, payload.data))
        return payload

    def decode_one(self, payload: Payload) -> Payload:
        encoding = payload.metadata.get(_META_ENCODING)
        if encoding == ENCODING_ENCRYPTED:
            return self._open_whole(payload)
        if encoding == _JSON and _SEALED_BYTES in payload.data:
            return Payload(metadata=dict(payload.metadata), data=self._SEALED.sub(self._open_match, payload.data))
        return payload

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encode_one(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decode_one(p) for p in payloads]


class _TemporalJSON(PydanticJSONPlainPayloadConverter):
    """Pydantic JSON in the ``TEMPORAL`` context: confidential fields marked on the way out,
    their marks taken off on the way in."""

    def to_payload(self, value: Any) -> Payload | None:
        return Payload(metadata={_META_ENCODING: _JSON}, data=to_json(value, context=TEMPORAL))

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        hint: Any = type_hint if type_hint is not None else Any
        try:
            adapter = self._type_adapter(hint)
        except TypeError:  # an unhashable hint: not cached
            adapter = TypeAdapter(hint)
        return adapter.validate_json(payload.data, context=TEMPORAL)


class PayloadConverter(CompositePayloadConverter):
    """The default converters, with pydantic JSON in the ``TEMPORAL`` context for JSON."""

    def __init__(self) -> None:
        json_converter = _TemporalJSON()
        super().__init__(
            *(
                json_converter if isinstance(c, JSONPlainPayloadConverter) else c
                for c in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


def payload_codec(settings: Settings | None = None, key: str | None = None) -> SealingCodec:
    spec = key if key is not None else (settings or get_settings()).payload_key
    return SealingCodec.from_spec(spec)


def data_converter(settings: Settings | None = None, key: str | None = None) -> DataConverter:
    """THE data converter: pydantic payloads whose confidential fields are sealed with
    ``PAYLOAD_KEY`` (``key`` overrides it; without any, a confidential field cannot leave)."""
    return dataclasses.replace(
        pydantic_data_converter, payload_converter_class=PayloadConverter, payload_codec=payload_codec(settings, key)
    )
