"""Payload encryption: workflow inputs, results and update payloads are AES-256-GCM
ciphertext on the Temporal server (``PAYLOAD_KEY``), and ``data_converter`` is the one data
converter of every Client, worker, WorkflowEnvironment and Replayer."""

from __future__ import annotations

import base64
import dataclasses
import os
from collections.abc import Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, PayloadCodec

from config import Settings, get_settings

ENCODING_ENCRYPTED = b"binary/encrypted"
_META_ENCODING = "encoding"
_META_KEY_ID = "encryption-key-id"
_NONCE_BYTES = 12


def parse_payload_keys(spec: str) -> list[tuple[str, bytes]]:
    """``"k1:<base64 32 bytes>,k0:<base64>"`` → [(key id, key)], the encrypting key first."""
    keys: list[tuple[str, bytes]] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        key_id, sep, b64 = part.partition(":")
        if not sep or not key_id.strip():
            raise ValueError("PAYLOAD_KEY: each key is <id>:<base64 of 32 bytes>")
        try:
            key = base64.b64decode(b64.strip(), validate=True)
        except ValueError:
            raise ValueError(f"PAYLOAD_KEY: key {key_id.strip()} is not valid base64") from None
        if len(key) != 32:
            raise ValueError(f"PAYLOAD_KEY: key {key_id.strip()} must be 32 bytes (AES-256), got {len(key)}")
        keys.append((key_id.strip(), key))
    if not keys:
        raise ValueError("PAYLOAD_KEY holds no key")
    if len({k for k, _ in keys}) != len(keys):
        raise ValueError("PAYLOAD_KEY: key ids must be unique")
    return keys


def new_payload_key(key_id: str = "k1") -> str:
    """A fresh key spec: ``k1:<base64 of 32 random bytes>``."""
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over each whole payload. The first key encrypts; any known key decrypts,
    chosen by the key id kept in the (plaintext) metadata, so keys can rotate. Payloads not
    marked ``binary/encrypted`` pass through unchanged: histories recorded before encryption
    still replay and old cases still read."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]):
        if not keys:
            raise ValueError("EncryptionCodec needs at least one key")
        self._key_id, _ = keys[0]
        self._ciphers = {kid: AESGCM(key) for kid, key in keys}

    @classmethod
    def from_spec(cls, spec: str) -> EncryptionCodec:
        return cls(parse_payload_keys(spec))

    @property
    def key_id(self) -> str:
        return self._key_id

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(_NONCE_BYTES)
        key_id = self._key_id
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), key_id.encode())
        return Payload(
            metadata={_META_ENCODING: ENCODING_ENCRYPTED, _META_KEY_ID: key_id.encode()},
            data=nonce + sealed,
        )

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get(_META_ENCODING) != ENCODING_ENCRYPTED:
            return payload  # written before encryption (or by a client without it)
        key_id = payload.metadata.get(_META_KEY_ID, b"").decode()
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise ValueError(f"payload encrypted with unknown key id {key_id!r}: add it to PAYLOAD_KEY")
        data = payload.data
        out = Payload()
        out.ParseFromString(cipher.decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], key_id.encode()))
        return out

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]


def payload_codec(settings: Settings | None = None, key: str | None = None) -> EncryptionCodec | None:
    spec = key if key is not None else (settings or get_settings()).payload_key
    return EncryptionCodec.from_spec(spec) if spec.strip() else None


def data_converter(settings: Settings | None = None, key: str | None = None) -> DataConverter:
    """THE data converter of every Client, worker, WorkflowEnvironment and Replayer: pydantic
    payloads, encrypted with ``PAYLOAD_KEY`` when one is set (``key`` overrides it)."""
    return dataclasses.replace(pydantic_data_converter, payload_codec=payload_codec(settings, key))
