"""Determinism: every stored history (tests/histories/*.json, one per path of each workflow
type) replays against the workflow code as it is now. A change that alters the command
sequence of running workflows without ``workflow.patched()`` fails here."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from config import ROOT
from infra.codec import data_converter
from infra.sandbox import workflow_runner
from tests.replay.record_histories import REPLAY_PAYLOAD_KEY
from worker import WORKFLOWS

HISTORIES = sorted((ROOT / "tests" / "histories").glob("*.json"))


def test_histories_cover_every_path_of_every_workflow_type() -> None:
    names = {p.stem for p in HISTORIES}
    assert {
        "complaint_happy_path",
        # recorded once the write reported when it ended (clocks armed from then); the older
        # histories, whose writes answered a bare bool, must replay too
        "complaint_happy_path_write_end",
        "complaint_escalations_reopen_write_end",
        "complaint_escalations_reopen",  # CP-08, CP-09, CP-13, CP-16 reopen and unanswered
        "complaint_major",  # CP-10, CP-12 general manager
        "complaint_invalid",  # CP-05
        "project_year_run1",  # ND-02..ND-06, ND-09 suspension, ND-10 termination
        "project_continue_as_new_run1",  # ND-09 continue-as-new: the run that hands over...
        "project_continue_as_new_run2",  # ...and the run that carries the state on (ND-11)
        "project_rejected_run1",  # ND-02 rejection
        # recorded once projects moved onto the kernel's clock (patch clock-rearms-on-change:
        # the timer re-armed only when the earliest due time changes); the older project
        # histories above replay through the unpatched branch
        "project_year_kernel_run1",
        "project_continue_as_new_kernel_run1",
        "project_continue_as_new_kernel_run2",
        "project_rejected_kernel_run1",
        # recorded once the corrected ND-03 / ND-08 / ND-11 rules came (patch nd-corrected-rules:
        # supply at the batch amount asks the deputy, whose confirm_completion completes the
        # project); the project histories above replay with the rules they were recorded with
        "project_year_corrected_run1",
        "project_continue_as_new_corrected_run1",
        "project_continue_as_new_corrected_run2",
        "project_continue_as_new_corrected_run3",
        # recorded with the production converter: each confidential field sealed (issue 12)
        "complaint_happy_path_sealed",
        "project_year_sealed_run1",
        # recorded under the corrected rulebook (patches complaint-rules-2: CP-05, CP-11, CP-16
        # both surveys and the reset escalation level; closed-event: a ``closed`` event before
        # the archive); every complaint history above replays through the unpatched branches
        "complaint_happy_path_rules2",  # CP-16 the staff member complained about accepts
        "complaint_escalations_reopen_rules2",  # CP-16 reopen at level 0, unanswered closes
        "complaint_major_rules2",  # CP-06/CP-10 department head, general manager
        "complaint_invalid_rules2",  # CP-05 with its motive, then closed and archived
        "complaint_happy_path_rules2_sealed",
        # recorded once clocks warned before a breach (patch clock-warnings: a timer and a
        # clock_warning commit per warning point, SlaBreached / NextWarningAt upserts); every
        # history above replays without them. Issue 14: a warned case that waits on the customer
        # (the resolution clock paused, then resumed), the escalations and reopen path warned
        # then breached, and a project year (warnings, a suspension as the clocks' pause)
        "complaint_clocks",
        "complaint_clocks_sealed",
        "complaint_escalations_reopen_clocks",
        "project_year_clocks_run1",
        # issue 16: a customer account (sealed) continuing as new: its first runs, and the run
        # still going when it was recorded (an account never ends)
        "customer_account_sealed_run1",
        "customer_account_sealed_run2",
        "customer_account_sealed_run7",
    } <= names


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_stored_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    # The production converter with the key of the sealed histories: it opens their sealed
    # fields, and the plain histories pass through it unchanged. The worker's own sandbox
    # runner, so that replay runs the workflows exactly as the worker does.
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=data_converter(key=REPLAY_PAYLOAD_KEY),
        workflow_runner=workflow_runner(),
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
