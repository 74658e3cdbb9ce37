"""Load the demo customer registry (CP-03 looks complainants up in it). Idempotent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from storage.engine import sync_url
from storage.tables import Customer


def seed_customers(url: str, path: Path) -> int:
    rows = json.loads(path.read_text(encoding="utf-8"))
    engine = create_engine(sync_url(url))
    added = 0
    with Session(engine) as db, db.begin():
        known = set(db.scalars(select(Customer.id)))
        for r in rows:
            if r["id"] not in known:
                db.add(Customer(id=r["id"], name=r["name"], phone=r.get("phone"), created_at=datetime.now(UTC)))
                added += 1
    engine.dispose()
    return added
