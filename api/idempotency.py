"""``Idempotency-Key``: a POST retried with the same key gets the first answer, nothing twice.

Every POST accepts the header. Per caller (staff id), the first *final* answer (2xx but 202,
and 4xx) is stored in the ``idempotency_key`` table together with the method, the path and the
SHA-256 of the body: the same key with the same request answers it again (same status, same
JSON) and starts nothing; the same key with another request is refused with 422. 503 and 202
are not stored: the client retries and the retry does the work.

Crash safety does not depend on that row. The API may die after Temporal took the request and
before the answer is stored, so the key also goes to Temporal:

- a new complaint or project gets an id derived from (caller, path, key) (:meth:`Idempotent.new_id`),
  and update-with-start attaches to the running workflow of that id (``USE_EXISTING``);
- a step is sent as a Temporal update whose id is derived from (caller, path, key)
  (:attr:`Idempotent.update_id`): Temporal answers a repeated update id with the first outcome.

Concurrent requests with one key therefore meet in the same workflow / update; the second to
store its answer finds the first one's row and leaves it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import Header, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from storage import tables as t

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32, as the random ids


def _sha256(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode()).digest()


def body_sha256(raw: bytes) -> str:
    """The body's fingerprint: JSON compared by value (key order and spacing do not matter)."""
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = raw
    return hashlib.sha256(canonical).hexdigest()


class Idempotent:
    """The ``Idempotency-Key`` of one POST (``key`` is None when the caller sent none)."""

    def __init__(
        self, sessions: async_sessionmaker, staff_id: str, key: str | None, method: str, path: str, body: str
    ) -> None:
        self.sessions = sessions
        self.staff_id, self.key = staff_id, key
        self.method, self.path, self.body_sha256 = method, path, body

    @classmethod
    async def of(cls, request: Request, sessions: async_sessionmaker, staff_id: str, key: str | None) -> Idempotent:
        body = body_sha256(await request.body())
        return cls(sessions, staff_id, key, request.method, request.url.path, body)

    def new_id(self, random_id: Callable[[], str]) -> str:
        """A new case id: the same for every retry of one key (``K-`` and 12 base32 characters),
        random without a key."""
        if self.key is None:
            return random_id()
        digest = int.from_bytes(_sha256("id", self.staff_id, self.method, self.path, self.key)[:8])
        return "K-" + "".join(_ALPHABET[(digest >> (5 * i)) & 31] for i in range(12))

    @property
    def update_id(self) -> str | None:
        """The Temporal update id of a step: Temporal deduplicates a repeated one."""
        if self.key is None:
            return None
        return "idem-" + _sha256("update", self.staff_id, self.method, self.path, self.key).hex()[:32]

    async def answer(
        self,
        status_code: int,
        work: Callable[[], Awaitable[Any]],
        location: Callable[[Any], str] | None = None,
    ) -> Any:
        """The stored answer of this key, or ``work()``'s, stored when final. ``location``: the
        ``Location`` of what a 201 created, from its JSON (a stored answer gets it again)."""
        if self.key is None:
            result = await work()
            if location is None or isinstance(result, Response):
                return result
            content = jsonable_encoder(result)
            return JSONResponse(status_code=status_code, content=content, headers=_location(location, content))
        async with self.sessions() as db:
            first = await db.get(t.IdempotencyKey, (self.staff_id, self.key))
        if first is not None:
            if (first.method, first.path, first.body_sha256) != (self.method, self.path, self.body_sha256):
                raise HTTPException(
                    422,
                    f"Idempotency-Key {self.key!r} was already used for another request "
                    f"({first.method} {first.path} with a different body): use a new key",
                )
            headers = _location(location, first.response) if first.status_code == status_code else None
            return JSONResponse(status_code=first.status_code, content=first.response, headers=headers)
        try:
            result = await work()
        except HTTPException as e:
            if 400 <= e.status_code < 500:
                await self._store(e.status_code, {"detail": e.detail})
            raise
        if isinstance(result, Response):  # 202: accepted, not final; the retry finishes it
            return result
        content = jsonable_encoder(result)
        await self._store(status_code, content)
        return JSONResponse(status_code=status_code, content=content, headers=_location(location, content))

    async def _store(self, status_code: int, content: Any) -> None:
        row = t.IdempotencyKey(
            staff_id=self.staff_id,
            key=self.key,
            method=self.method,
            path=self.path,
            body_sha256=self.body_sha256,
            status_code=status_code,
            response=content,
            created_at=datetime.now(UTC),
        )
        try:
            async with self.sessions() as db, db.begin():
                db.add(row)
        except IntegrityError:
            pass  # a concurrent retry of the same key stored the (same) answer first


def _location(location: Callable[[Any], str] | None, content: Any) -> dict[str, str] | None:
    return None if location is None else {"Location": location(content)}


KEY_HEADER = Header(
    alias="Idempotency-Key",
    min_length=1,
    max_length=255,
    description=(
        "Optional. Retrying a POST with the same key (per caller) and the same body answers the "
        "first response again and starts nothing new; the same key with another body is 422."
    ),
)
