"""CC-04 tier reviews and CC-07 survey campaigns through the API (real app, real worker, the dev
server, SQLite): a department's review is listed and read by its supervisors and managers and
the general manager only; only the department's supervisors and managers confirm it, once; the
year's campaign is read by supervisors, managers and the general manager (another department's
supervisor sees its own customers to survey), 404 when there is none."""

from __future__ import annotations

import httpx
from temporalio.testing import WorkflowEnvironment

from models.policy import CustomerPolicy
from models.survey import SurveyCampaignInput, survey_campaign_id
from models.tier_review.messages import TierReviewInput
from models.tier_review.periods import tier_review_id, tier_review_workflow_id
from workflows.care import SurveyCampaignWorkflow, TierReviewWorkflow

PERIOD = "2040-H1"
YEAR = 2018
TZ = "Asia/Shanghai"


def key(staff_id: str) -> dict[str, str]:
    return {"X-API-Key": f"demo-{staff_id}"}


async def open_review(env: WorkflowEnvironment, task_queue: str, department: str) -> str:
    rid = tier_review_id(PERIOD, department)
    inp = TierReviewInput(id=rid, period=PERIOD, department=department, policy=CustomerPolicy())
    handle = await env.client.start_workflow(
        TierReviewWorkflow.run, inp, id=tier_review_workflow_id(PERIOD, department), task_queue=task_queue
    )
    await handle.execute_update(TierReviewWorkflow.registration())
    return rid


async def test_cc04_tier_reviews_through_the_api_readers_and_one_confirmation(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment, task_queue: str
) -> None:
    r = await api.post("/customers", headers=key("cs-sup"), json={"name": "Review Walk Co.", "owner_id": "cs-1"})
    assert r.status_code == 201, r.text
    customer = r.json()["id"]
    cs = await open_review(dev_env, task_queue, "customer_service")
    ops = await open_review(dev_env, task_queue, "operations")

    # lists: a department's own for its supervisors and managers, all for the general manager
    listed = (await api.get("/tier-reviews", headers=key("cs-sup"), params={"period": PERIOD})).json()
    assert [x["id"] for x in listed] == [cs]
    assert customer in [c["id"] for c in listed[0]["customers"]]
    assert listed[0]["reviewers"] == ["cs-mgr", "cs-sup"] and listed[0]["stage"] == "open"
    everyone = (await api.get("/tier-reviews", headers=key("gm"), params={"period": PERIOD})).json()
    assert sorted(x["id"] for x in everyone) == sorted([cs, ops])
    assert [
        x["id"] for x in (await api.get("/tier-reviews", headers=key("ops-mgr"))).json() if x["period"] == PERIOD
    ] == [ops]
    for who in ("cs-1", "finance-1", "chairman"):
        r = await api.get("/tier-reviews", headers=key(who))
        assert r.status_code == 403 and "CC-04" in r.json()["detail"], (who, r.text)

    # one review: its department's supervisors and managers and the general manager
    for who in ("cs-sup", "cs-mgr", "gm"):
        assert (await api.get(f"/tier-reviews/{cs}", headers=key(who))).status_code == 200, who
    for who in ("ops-sup", "q-mgr", "cs-1"):
        r = await api.get(f"/tier-reviews/{cs}", headers=key(who))
        assert r.status_code == 403 and "CC-04" in r.json()["detail"], (who, r.text)
    assert (await api.get("/tier-reviews/1999-H1-nowhere", headers=key("gm"))).status_code == 404

    # the confirmation: not another department's supervisor, a staff member or the general manager
    for who in ("ops-sup", "cs-1", "gm"):
        r = await api.post(f"/tier-reviews/{cs}/confirm", headers=key(who), json={"note": "fine"})
        assert r.status_code == 403 and "CC-04" in r.json()["detail"], (who, r.text)
    assert (await api.post(f"/tier-reviews/{cs}/confirm", headers=key("cs-sup"), json={"extra": 1})).status_code == 422
    r = await api.post(f"/tier-reviews/{cs}/confirm", headers=key("cs-sup"), json={"note": "tiers checked"})
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "confirmed" and r.json()["confirmed_by"] == "cs-sup"
    r = await api.post(f"/tier-reviews/{cs}/confirm", headers=key("cs-mgr"))
    assert r.status_code == 409 and "confirmed already" in r.json()["detail"], r.text
    assert (await api.post("/tier-reviews/1999-H1-nowhere/confirm", headers=key("gm"))).status_code == 404
    await dev_env.client.get_workflow_handle(tier_review_workflow_id(PERIOD, "operations")).terminate("test over")


async def test_cc07_the_survey_campaign_through_the_api(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment, task_queue: str
) -> None:
    assert (await api.get(f"/survey-campaigns/{YEAR}", headers=key("gm"))).status_code == 404
    r = await api.post("/customers", headers=key("ops-sup"), json={"name": "Campaign Walk Co.", "owner_id": "ops-1"})
    assert r.status_code == 201, r.text
    customer = r.json()["id"]
    await dev_env.client.execute_workflow(
        SurveyCampaignWorkflow.run,
        SurveyCampaignInput(year=YEAR, timezone=TZ),
        id=survey_campaign_id(YEAR),
        task_queue=task_queue,
    )
    everything = (await api.get(f"/survey-campaigns/{YEAR}", headers=key("gm"))).json()
    assert everything["year"] == YEAR and customer in [c["customer_id"] for c in everything["customers"]]
    f = everything["figures"]
    assert f["to_survey"] == len(everything["customers"]) and f["active"] >= f["to_survey"] >= 1
    assert (await api.get(f"/survey-campaigns/{YEAR}", headers=key("cs-sup"))).json() == everything
    own = (await api.get(f"/survey-campaigns/{YEAR}", headers=key("ops-sup"))).json()
    assert customer in [c["customer_id"] for c in own["customers"]]
    assert {c["department"] for c in own["customers"]} == {"operations"} and own["figures"] == f
    for who in ("cs-1", "ops-1", "finance-1"):
        r = await api.get(f"/survey-campaigns/{YEAR}", headers=key(who))
        assert r.status_code == 403 and "CC-07" in r.json()["detail"], (who, r.text)
    assert (await api.get("/survey-campaigns/1999", headers=key("gm"))).status_code == 422
