"""Rewards activities (ND-12): the year's totals from the client_project projection, and one
transaction per step of a year's rewards round."""

from __future__ import annotations

import functools
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session
from temporalio import activity

from models.case import StepWritten
from models.rewards.messages import YearFacts, YearQuery
from models.rewards.records import RewardsRecord
from models.rewards.state import totals_of, year_bounds
from models.staff import Directory, Role
from storage import tables as t
from storage.engine import sessions
from storage.writer import BatchWriter, record_event, write_step

#: who the rewards chain tells (ND-12)
OFFICER_ROLES = (Role.review_group, Role.deputy_leader, Role.group_leader, Role.finance, Role.chairman)


class RewardsActivities:
    """Holds the database engine, the batch writer and the staff file (given by the process's
    composition root); every method is an activity."""

    def __init__(self, engine: AsyncEngine, writer: BatchWriter, staff_file: Path) -> None:
        self.engine = engine
        self.sessions = sessions(engine)
        self.writer = writer
        self.staff_file = staff_file

    @activity.defn(name="rewards_year_totals")
    async def year_totals(self, q: YearQuery) -> YearFacts:
        """ND-12: the projects completed and handed to sales within the company's calendar
        year, with their totals (reads only), and the officers the chain tells."""
        start, end = year_bounds(q.year, q.timezone)
        async with self.sessions() as db:
            rows = await db.execute(
                select(t.ClientProject.closed_at, t.ClientProject.view).where(
                    t.ClientProject.stage == "completed",
                    t.ClientProject.closed_at >= start,
                    t.ClientProject.closed_at < end,
                )
            )
            found = [(r.closed_at, r.view) for r in rows]
        officers = Directory.from_file(self.staff_file).with_role(*OFFICER_ROLES)
        return YearFacts(totals=totals_of(q.year, q.timezone, found), officers=officers)

    @activity.defn(name="record_rewards_step")
    async def record_rewards_step(self, rec: RewardsRecord) -> StepWritten:
        """Write one step, all or nothing: its event, the reward_round projection and the
        notifications. Keyed by (workflow id, seq): a retry writes nothing."""
        job = functools.partial(_write_rewards_step, rec=rec)
        return await write_step(self.writer, rec.round.workflow_id, rec.event, rec.notifications, job)


def _write_rewards_step(db: Session, rec: RewardsRecord) -> bool:
    r, ev = rec.round, rec.event
    if not record_event(db, r.workflow_id, ev, rec.notifications):
        return False
    row = db.get(t.RewardRound, r.year)
    if row is None:
        row = t.RewardRound(year=r.year, workflow_id=r.workflow_id)
        db.add(row)
    if row.seq is None or row.seq < ev.seq:
        row.stage = r.stage.value
        row.approved_at = r.approved_at
        row.seq = ev.seq
        row.view = rec.view.model_dump(mode="json")
    db.flush()
    return True
