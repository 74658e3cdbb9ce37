"""The demo customers' accounts (issue 16): every customer of ``data/customers.json`` that names
an owner gets its account, a ``CustomerAccountWorkflow`` with its clocks armed, opened by the
owner's leader as the API would (with its start's proof). Times in the file are days before
now, so the demo is as fresh on any day: a customer not served for 95 days is flagged at once
(CC-05), a class-A customer's credit report is due within six months (CC-03), and so on.

``make run`` calls ``open_demo_accounts`` once the worker runs; a customer whose account is open
already is left as it is. ``python -m starter.customers`` does it by hand."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from temporalio.client import Client

from config import Settings, get_settings
from infra.temporal import connect
from models.customer.messages import CustomerCreate
from models.policy import load_customer_policy
from models.staff import Directory
from starter.intake import CUSTOMER, customer_input, register
from storage import tables as t
from storage.engine import make_engine, sessions

#: How long ``make run`` waits for an account's registration before going on (it registers
#: as soon as the worker runs: the start is durable).
REGISTER_WAIT = 20.0


@dataclass(frozen=True)
class Opened:
    id: str
    owner_id: str
    tier: str
    credit_class: str
    state: str  # "opened", "accepted" (registers as soon as a worker runs) or "open already"


def demo_create(entry: dict[str, Any], now: datetime) -> CustomerCreate:
    """A file entry as the body of POST /customers, its days-ago made times."""

    def ago(days: float) -> str:
        return (now - timedelta(days=days)).isoformat()

    body = {
        k: v for k, v in entry.items() if k in ("name", "phone", "owner_id", "tier", "credit_class", "product_line")
    }
    body["delivered"] = [
        {"project_id": f"DEMO-{entry['id']}-{n + 1}", "delivered_at": ago(days)}
        for n, days in enumerate(entry.get("delivered_days_ago", []))
    ]
    for field in ("last_service", "last_survey"):
        if f"{field}_days_ago" in entry:
            body[f"{field}_at"] = ago(entry[f"{field}_days_ago"])
    return CustomerCreate.model_validate(body)


async def open_demo_accounts(settings: Settings, client: Client | None = None) -> list[Opened]:
    """Open the account of every demo customer that names an owner and has none yet."""
    entries = [e for e in json.loads(Path(settings.customers_file).read_text(encoding="utf-8")) if e.get("owner_id")]
    engine = make_engine(settings.database_url)
    try:
        async with sessions(engine)() as db:
            open_already = set(await db.scalars(select(t.Customer.id).where(t.Customer.workflow_id.is_not(None))))
    finally:
        await engine.dispose()
    client = client or await connect(settings)
    directory = Directory.from_file(settings.staff_file)
    policy = load_customer_policy()
    now = datetime.now(UTC)
    out: list[Opened] = []
    for e in entries:
        create = demo_create(e, now)
        if e["id"] in open_already:
            out.append(Opened(e["id"], create.owner_id, create.tier.value, create.credit_class.value, "open already"))
            continue
        owner = directory.get(create.owner_id)
        assert owner is not None, f"demo customer {e['id']}: unknown owner {create.owner_id}"
        opener = directory.get(owner.leader_id) or owner
        inp = customer_input(e["id"], create, opener, directory, policy, now=now)
        view = await register(client, settings.task_queue, CUSTOMER, inp, REGISTER_WAIT)
        state = "opened" if view is not None else "accepted"
        out.append(Opened(e["id"], create.owner_id, create.tier.value, create.credit_class.value, state))
    return out


def main() -> None:
    """Open the demo customers' accounts, then list them."""
    opened = asyncio.run(open_demo_accounts(get_settings()))
    table = Table(title="Demo customer accounts")
    for col in ("customer", "owner", "tier", "credit class", "account"):
        table.add_column(col)
    for o in opened:
        table.add_row(o.id, o.owner_id, o.tier, o.credit_class, o.state)
    Console().print(table)


if __name__ == "__main__":
    typer.run(main)
