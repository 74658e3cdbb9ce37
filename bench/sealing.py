"""What sealing confidential fields costs (issue 12), beside a bare reference in the same run.

``python -m bench.sealing``: the largest payload of a complaint case (the input of its
``record_complaint_step`` activity once the case is resolved: the case state, the event, the
view and the notifications) and the smallest one that carries a text (a plan step's update
input), each converted to a Temporal payload and back, ``--n`` times per round, rounds
interleaved so that the machine's drift hits every converter alike:

- bare: the plain pydantic data converter, no codec (the reference);
- whole: the earlier design, the whole payload AES-256-GCM encrypted;
- sealed: ours, each confidential field sealed (infra/codec.py).

Reported: the median microseconds per payload and the ratio to bare.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import statistics
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated

import typer
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, PayloadCodec

from bench.run import BODY, DIRECTORY, _steps
from infra.codec import ENCODING_ENCRYPTED, data_converter, new_payload_key, parse_payload_keys
from models.case import CaseEvent
from models.complaint.messages import ComplaintInput, CustomerLookup, PlanBody, PlanInput
from models.complaint.records import ComplaintRecord
from models.complaint.steps import apply_intake, apply_step, new_case
from models.complaint.views import view_of
from models.policy import ComplaintPolicy

console = Console()


class WholePayloadCodec(PayloadCodec):
    """The earlier design, for comparison: every payload AES-256-GCM encrypted whole."""

    def __init__(self, spec: str) -> None:
        [(self.key_id, key)] = parse_payload_keys(spec)[:1]
        self.cipher = AESGCM(key)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for p in payloads:
            nonce = os.urandom(12)
            sealed = self.cipher.encrypt(nonce, p.SerializeToString(), self.key_id.encode())
            meta = {"encoding": ENCODING_ENCRYPTED, "encryption-key-id": self.key_id.encode()}
            out.append(Payload(metadata=meta, data=nonce + sealed))
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for p in payloads:
            inner = Payload()
            inner.ParseFromString(self.cipher.decrypt(p.data[:12], p.data[12:], self.key_id.encode()))
            out.append(inner)
        return out


def resolved_record() -> ComplaintRecord:
    """The record_complaint_step input of a case just resolved (the bench's lifecycle steps)."""
    cs1 = DIRECTORY.get("cs-1")
    assert cs1 is not None
    policy = ComplaintPolicy()
    now = datetime.now(UTC)
    intake = ComplaintInput(
        id="20261130-BENCH1",
        complaint=BODY,
        receiver=cs1.ref,
        receiver_chain=DIRECTORY.chain("cs-1"),
        crisis_team=[],
        policy=policy,
    )
    state = apply_intake(
        new_case(intake.id, "complaint-20261130-BENCH1", intake, now),
        CustomerLookup(customer_verified=False, customer_id=None),
        now,
    ).state
    out = None
    for step, inp in _steps()[:-1]:  # up to the resolution
        out = apply_step(step, inp, state, now)
        state = out.state
    assert out is not None
    event = CaseEvent(seq=state.seq, kind=out.kind, actor_id=out.actor_id, at=now, data=out.data, texts=out.texts)
    return ComplaintRecord(case=state, event=event, view=view_of(state), notifications=out.notifications)


def plan_step() -> PlanInput:
    ops2 = DIRECTORY.get("ops-2")
    assert ops2 is not None
    return PlanInput(actor=ops2.ref, body=PlanBody(plan="Re-deliver on Monday and call the customer first"))


async def _round_trip(converter: DataConverter, value: BaseModel, n: int) -> float:
    """Microseconds per payload: to a payload and back, ``n`` times."""
    kind = type(value)
    t0 = time.perf_counter()
    for _ in range(n):
        payloads = await converter.encode([value])
        await converter.decode(payloads, [kind])
    return (time.perf_counter() - t0) / n * 1e6


def converters() -> dict[str, DataConverter]:
    key = new_payload_key("bench")
    return {
        "bare": pydantic_data_converter,
        "whole": dataclasses.replace(pydantic_data_converter, payload_codec=WholePayloadCodec(key)),
        "sealed": data_converter(key=key),
    }


async def measure(n: int = 2000, rounds: int = 7) -> dict[str, dict[str, float]]:
    """Median µs per payload, per payload kind and converter."""
    values: dict[str, BaseModel] = {"record (resolved case)": resolved_record(), "plan step": plan_step()}
    convs = converters()
    samples: dict[str, dict[str, list[float]]] = {v: {c: [] for c in convs} for v in values}
    for _ in range(rounds):
        for vname, value in values.items():
            for cname, conv in convs.items():
                samples[vname][cname].append(await _round_trip(conv, value, n))
    return {v: {c: statistics.median(xs) for c, xs in by.items()} for v, by in samples.items()}


def main(
    n: Annotated[int, typer.Option(help="round trips per round")] = 2000,
    rounds: Annotated[int, typer.Option(help="interleaved rounds")] = 7,
) -> None:
    with console.status("measuring …"):
        res = asyncio.run(measure(n, rounds))
    table = Table(title=f"a payload to Temporal and back (median of {rounds} rounds of {n})")
    for col in ("payload", "bare µs", "whole µs", "sealed µs", "whole / bare", "sealed / bare"):
        table.add_column(col, justify="right" if col != "payload" else "left")
    for vname, by in res.items():
        table.add_row(
            vname,
            f"{by['bare']:.1f}",
            f"{by['whole']:.1f}",
            f"{by['sealed']:.1f}",
            f"{by['whole'] / by['bare']:.2f}",
            f"{by['sealed'] / by['bare']:.2f}",
        )
    console.print(table)


if __name__ == "__main__":
    typer.run(main)
