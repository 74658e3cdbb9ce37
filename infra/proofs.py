"""Proof that a person's step came through the API (or another client holding the step key).

A human step is a Temporal update, and anyone who reaches the Temporal frontend (the ``temporal``
CLI, the Web UI's "Send an Update", any client) can send one with any actor written in it. So
every step a person takes carries a proof: an HMAC-SHA256, under ``STEP_KEY``, over the
workflow id, the update id, the step, the actor and the step's body (its canonical JSON), with
an expiry. The API's Temporal client adds it (``StepSigner``, a client interceptor: every client
made by ``infra.temporal.connect`` has one when ``STEP_KEY`` is set); the workflow's validator
checks it (``verify``, through the kernel) and refuses a step without a valid one before
anything is written. Only the API and the workers hold the key.

- Bound to the workflow and the update id: a proof copied from a history does not work on
  another case or as another update, and Temporal runs an update id once.
- Key rotation: ``STEP_KEY`` is ``"k2:<base64>,k1:<base64>"``; the first key signs, every key
  verifies. Validators do not run on replay, so an old history never needs an old key.
- Timers and the workflow's own work need no proof: only the steps' validators ask for one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from temporalio import activity
from temporalio.client import (
    Interceptor,
    OutboundInterceptor,
    StartWorkflowInput,
    StartWorkflowUpdateInput,
    StartWorkflowUpdateWithStartInput,
    WorkflowHandle,
    WorkflowUpdateHandle,
)

from infra.codec import parse_payload_keys
from models.case import CaseInput, StepInput, StepProof


def statement(workflow_id: str, update_id: str, step: str, actor_id: str, body: Any, expires_at: datetime) -> bytes:
    """What a proof signs: the step's identity and content, in canonical JSON."""
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json", by_alias=True)
    return json.dumps(
        {
            "workflow_id": workflow_id,
            "update_id": update_id,
            "step": step,
            "actor": actor_id,
            "body": body,
            "expires_at": expires_at.astimezone(UTC).isoformat(),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def start_statement(workflow_id: str, inp: CaseInput, expires_at: datetime) -> bytes:
    """What a start's proof signs: the whole workflow input (who starts it, the case, its
    terms), in canonical JSON."""
    body = inp.model_dump(mode="json", exclude={"proof"})
    return statement(workflow_id, "start", "start", inp.acting_staff_id(), body, expires_at)


def _mac(key: bytes, message: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


class StepKeys:
    """The step keys of a process (``STEP_KEY``): the first signs, every one verifies."""

    def __init__(self, spec: str) -> None:
        self.keys = parse_payload_keys(spec) if spec.strip() else []

    def sign(self, workflow_id: str, update_id: str, step: str, inp: StepInput[Any], expires_at: datetime) -> StepProof:
        key_id, key = self.keys[0]
        message = statement(workflow_id, update_id, step, inp.actor.id, inp.body, expires_at)
        return StepProof(key_id=key_id, expires_at=expires_at, mac=_mac(key, message))

    def sign_start(self, workflow_id: str, inp: CaseInput, expires_at: datetime) -> StepProof:
        key_id, key = self.keys[0]
        message = start_statement(workflow_id, inp, expires_at)
        return StepProof(key_id=key_id, expires_at=expires_at, mac=_mac(key, message))

    def refusal(self, workflow_id: str, update_id: str, step: str, inp: StepInput[Any], now: datetime) -> str | None:
        """Why ``inp`` is not proven to come through the API (None when it is). The reason
        names no secret."""
        message = (
            statement(workflow_id, update_id, step, inp.actor.id, inp.body, inp.proof.expires_at) if inp.proof else b""
        )
        return self._refusal("steps", inp.proof, message, now)

    def start_refusal(self, workflow_id: str, inp: CaseInput, started_at: datetime) -> str | None:
        """Why the start ``inp`` is not proven to come through the API (None when it is): its
        proof must have been valid when the workflow started (a start that waited for a worker
        stays valid)."""
        message = start_statement(workflow_id, inp, inp.proof.expires_at) if inp.proof else b""
        return self._refusal("cases are started", inp.proof, message, started_at)

    def _refusal(self, what: str, proof: StepProof | None, message: bytes, now: datetime) -> str | None:
        if proof is None:
            return f"{what} through the API: this one carries no proof of it"
        key = dict(self.keys).get(proof.key_id)
        if key is None:
            return f"{what} through the API: the proof's key is not known here"
        if proof.expires_at <= now:
            return f"{what} through the API: the proof has expired; send it again"
        if not hmac.compare_digest(_mac(key, message), proof.mac):
            return f"{what} through the API: the proof does not match"
        return None


#: The keys the workers' validators verify with: set once when the worker is built
#: (worker.build_worker). Workflow code reads them only in validators, which never run on
#: replay, so a rotated key never changes what a history replays to.
VERIFYING = StepKeys("")


def start_refusal(inp: CaseInput | None, started_at: datetime | None) -> str | None:
    """For the first activity of a case workflow: why its start is not proven (None when it
    is). ``inp`` None: a history recorded before starts were proven, replaying."""
    if inp is None or started_at is None:
        return None
    return VERIFYING.start_refusal(activity.info().workflow_id or "", inp, started_at)


def configure(spec: str) -> None:
    """The worker's step keys (``STEP_KEY``)."""
    global VERIFYING
    VERIFYING = StepKeys(spec)


class StepSigner(Interceptor):
    """A client interceptor that proves the steps its client sends: every update whose input
    is a step (a ``StepInput`` with a typed body) gets an update id if it has none, and a proof
    valid for ``ttl``."""

    def __init__(self, keys: StepKeys, ttl: timedelta) -> None:
        self.keys, self.ttl = keys, ttl

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _Signing(next, self)

    def prove_start(self, workflow_id: str, args: Sequence[Any]) -> Sequence[Any]:
        """``args`` with its case input proven (unchanged when it holds none)."""
        if len(args) != 1 or not isinstance(args[0], CaseInput) or args[0].proof is not None:
            return args
        expires_at = datetime.now(UTC) + self.ttl
        return [args[0].model_copy(update={"proof": self.keys.sign_start(workflow_id, args[0], expires_at)})]

    def prove(self, workflow_id: str, update_id: str, step: str, args: Sequence[Any]) -> Sequence[Any]:
        """``args`` with its step input proven (unchanged when it holds none)."""
        if len(args) != 1 or not isinstance(args[0], StepInput) or not isinstance(args[0].body, BaseModel):
            return args
        inp: StepInput[Any] = args[0]
        expires_at = datetime.now(UTC) + self.ttl
        return [inp.model_copy(update={"proof": self.keys.sign(workflow_id, update_id, step, inp, expires_at)})]


class _Signing(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, signer: StepSigner) -> None:
        super().__init__(next)
        self.signer = signer

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        if self.signer.keys.keys:
            input.args = self.signer.prove_start(input.id, input.args)
        return await super().start_workflow(input)

    async def start_update_with_start_workflow(
        self, input: StartWorkflowUpdateWithStartInput
    ) -> WorkflowUpdateHandle[Any]:
        if self.signer.keys.keys:
            start = input.start_workflow_input
            start.args = self.signer.prove_start(start.id, start.args)
        return await super().start_update_with_start_workflow(input)

    async def start_workflow_update(self, input: StartWorkflowUpdateInput) -> WorkflowUpdateHandle[Any]:
        if self.signer.keys.keys:
            input.update_id = input.update_id or f"step-{uuid.uuid4()}"
            input.args = self.signer.prove(input.id, input.update_id, input.update, input.args)
        return await super().start_workflow_update(input)
