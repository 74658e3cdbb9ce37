"""End to end, in headless Chromium: a supervisor opens the Temporal Web UI of the system as
`make run` starts it, with no sign-in and no codec, on a complaint: the UI shows the case's
summary, what it is waiting for (its current details) and its named timers in plain text, its
input with ids and enums in plain and every confidential field sealed, and no error banner
(issue 12).

``UPDATE_SCREENSHOTS=1`` also writes the screenshots of the README (docs/).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright

from config import ROOT
from tests.e2e.test_make_run import System, running_system

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SECRETS = {
    "name": "Ouyang Mingyue",
    "phone": "13600006789",
    "summary": "Invoice shows a discount that was never applied",
    "description": "Ms Ouyang says the sales rep promised eight percent",
}


@pytest.fixture(scope="module")
def ui_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with running_system(tmp_path_factory.mktemp("var-ui")) as s:
        yield s


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        await b.close()


async def _rendered(page: Page, text: str, timeout: float = 15.0) -> str:
    """The UI renders a summary and details (markdown) each in a frame of its own: the text of
    every frame, once one shows ``text``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        shown = [await f.inner_text("body") for f in page.frames if f != page.main_frame]
        if any(text in t for t in shown) or asyncio.get_running_loop().time() > deadline:
            assert any(text in t for t in shown), (text, shown)
            return "\n".join(shown)
        await asyncio.sleep(0.25)


async def _shot(page: Page, name: str, tmp: Path) -> None:
    await page.screenshot(path=tmp / name)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        await page.screenshot(path=ROOT / "docs" / name)


async def test_the_web_ui_shows_a_case_its_summary_details_and_named_timers_without_sign_in(
    ui_system: System, browser: Browser, tmp_path: Path
) -> None:
    s = ui_system
    r = s.call(
        "POST",
        "/complaints",
        "demo-cs-1",
        json={
            "channel": "hotline",
            "complainant": {"name": SECRETS["name"], "phone": SECRETS["phone"]},
            "target": {"kind": "service"},
            "summary": SECRETS["summary"],
            "description": SECRETS["description"],
        },
    )
    assert r.status_code == 201, r.text
    case = r.json()
    assert s.call("POST", f"/complaints/{case['id']}/assign", "demo-cs-1", json={"handler_id": "ops-2"}).is_success

    page = await browser.new_page(viewport={"width": 1400, "height": 1000})
    await page.goto(f"http://127.0.0.1:{s.env['TEMPORAL_UI_PORT']}/namespaces/default/workflows/{case['workflow_id']}")
    await page.get_by_text("plan deadline").first.wait_for(timeout=30_000)  # a named timer (Clock.plan)
    assert await page.get_by_text('"channel": "hotline"').count() >= 1  # the input, plain
    assert await page.get_by_text('"$sealed"').count() >= 1  # its confidential fields, sealed
    await _shot(page, "temporal-ui-timeline.png", tmp_path)
    shown = await page.inner_text("body")

    await page.get_by_role("tab", name="User Metadata").click()
    shown += await _rendered(page, f"Complaint {case['id']} · hotline · about a service")
    shown += await _rendered(page, "Waiting for a handling plan from ops-2")
    await _shot(page, "temporal-ui-details.png", tmp_path)
    shown += await page.inner_text("body")

    assert "Codec Server" not in shown and "could not connect" not in shown.lower()
    for what, secret in SECRETS.items():
        assert secret not in shown, f"the UI shows the {what}"
    await page.close()
