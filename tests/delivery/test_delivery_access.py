"""Who sees which delivery and which inbox row (issue 17, with CP-19: the API adds no way to
see more): a staff member sees the mails to them and marks their own notifications read; a
manager or the general manager sees every delivery and alone sends a failed one again."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.delivery.conftest import SmtpServer, eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")


def key(staff_id: str) -> dict[str, str]:
    return {"X-API-Key": f"demo-{staff_id}"}


async def test_cp19_deliveries_and_inbox_rows_are_their_recipient_s_and_the_operators_only(
    api: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    """Issue 17: cs-sup's mail about a new complaint is listed and read by cs-sup, a manager
    and the general manager, by nobody else (404: not even its existence); cs-sup's inbox row
    is marked read by cs-sup alone; a supervisor may not send a delivery again (403)."""
    body = {"channel": "hotline", "target": {"kind": "service"}, "summary": "access", "complainant": {}}
    r = await api.post("/complaints", json=body, headers=key("cs-1"))
    assert r.status_code == 201, r.text
    ref = f"complaint-{r.json()['id']}"

    async def mail_to_sup() -> dict[str, Any] | None:
        rows = (await api.get(f"/deliveries?case_ref={ref}&channel=email", headers=key("gm"))).json()
        return next((d for d in rows if d["recipient_id"] == "cs-sup"), None)

    mail = await eventually(mail_to_sup, what="cs-sup's mail")
    for who, code in (("cs-sup", 200), ("gm", 200), ("cs-mgr", 200), ("cs-1", 404), ("ops-sup", 404)):
        got = await api.get(f"/deliveries/{mail['id']}", headers=key(who))
        assert got.status_code == code, (who, got.text)
    for who in ("cs-1", "cs-2", "ops-2"):
        listed = (await api.get("/deliveries", headers=key(who))).json()
        assert all(d["recipient_kind"] == "staff" and d["recipient_id"] == who for d in listed)
    assert (await api.post(f"/deliveries/{mail['id']}/retry", headers=key("cs-sup"))).status_code == 403
    assert (await api.get("/deliveries?status=nonsense", headers=key("gm"))).status_code == 422

    inbox = (await api.get("/notifications", headers=key("cs-sup"))).json()
    note = next(n for n in inbox if n["case_ref"] == ref and n["kind"] == "new_complaint")
    assert (await api.post(f"/notifications/{note['id']}/read", headers=key("cs-1"))).status_code == 404
    read = await api.post(f"/notifications/{note['id']}/read", headers=key("cs-sup"))
    assert read.status_code == 200 and read.json()["read_at"] is not None
    again = await api.post(f"/notifications/{note['id']}/read", headers=key("cs-sup"))
    assert again.json()["read_at"] == read.json()["read_at"]  # read once: the first time stays
