"""Which mails and webhook calls a step gives, and what a mail says (issue 17), without
Temporal: models/delivery.py's decisions and infra/mail.py's templates."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from config import ROOT
from infra.mail import Letter, compose, render, subjects
from models.case import Notification
from models.delivery import (
    DeliveryMode,
    WebhookSubscription,
    case_path,
    complainant_channel,
    event_type,
    mode_for,
    plan_deliveries,
)

SECRET = "whsec_" + "A" * 43 + "="


def sub(id_: str, *kinds: str) -> WebhookSubscription:
    return WebhookSubscription.model_validate(
        {"id": id_, "url": "http://127.0.0.1:9/", "kinds": list(kinds), "secret": SECRET}
    )


def staff_note(to: str, kind: str = "new_complaint") -> Notification:
    return Notification(recipient_kind="staff", recipient_id=to, kind=kind, message="m")


def complainant_note(kind: str, channel: str | None) -> Notification:
    return Notification(recipient_kind="complainant", recipient_id=None, kind=kind, message="m", channel=channel)


def plan(notes: list[Notification], **kw: object) -> list[tuple[str, str, str | None, bool]]:
    args: dict[str, object] = {
        "mail": True,
        "staff_with_address": {"a", "b"},
        "chosen": {},
        "default": DeliveryMode.both,
        "complainant_has_address": True,
        "subscriptions": [],
    }
    args.update(kw)
    return [
        (p.channel.value, p.recipient_kind, p.recipient_id, p.mark_read)
        for p in plan_deliveries("complaint.registered", notes, **args)  # type: ignore[arg-type]
    ]


def test_a_staff_member_s_choice_for_the_kind_wins_then_every_kind_then_the_default() -> None:
    """Issue 17: per kind, then ``*``, then NOTIFY_DEFAULT_MODE."""
    chosen = {("a", "plan_overdue"): DeliveryMode.email, ("a", "*"): DeliveryMode.inbox}
    assert mode_for("a", "plan_overdue", chosen, DeliveryMode.both) is DeliveryMode.email
    assert mode_for("a", "new_complaint", chosen, DeliveryMode.both) is DeliveryMode.inbox
    assert mode_for("b", "new_complaint", chosen, DeliveryMode.both) is DeliveryMode.both


def test_inbox_mails_nothing_email_files_the_record_read_both_leaves_it_unread() -> None:
    """Issue 17: the three modes, and no mail to one without an address or when no SMTP
    server is configured."""
    notes = [staff_note("a"), staff_note("b"), staff_note("c")]
    chosen = {("a", "new_complaint"): DeliveryMode.email, ("b", "*"): DeliveryMode.inbox}
    assert plan(notes, chosen=chosen) == [("email", "staff", "a", True)]
    assert plan(notes) == [("email", "staff", "a", False), ("email", "staff", "b", False)]
    assert plan(notes, mail=False) == []


def test_cp21_cp14_the_complainant_is_mailed_what_goes_in_writing_when_they_gave_an_address() -> None:
    """CP-21 and CP-14: a note by e-mail or with no channel of its own is mailed; a result sent
    by letter or a text message is not; without an address nothing is."""
    notes = [complainant_note("acknowledged", "email"), complainant_note("escalated", None)]
    notes += [complainant_note("result", "letter"), complainant_note("acknowledged", "sms")]
    assert plan(notes) == [("email", "complainant", None, False)] * 2
    assert plan(notes, complainant_has_address=False) == []
    assert complainant_channel(True, True) == "email"
    assert complainant_channel(False, True) == "sms" and complainant_channel(False, False) is None


def test_webhooks_go_to_the_subscribers_of_the_event_s_type_once_per_step() -> None:
    """Issue 17: exact type, the family's ``*`` or ``*``; one call per subscriber whatever
    the notifications; webhooks do not need SMTP."""
    subs = [sub("exact", "complaint.registered"), sub("family", "complaint.*"), sub("all", "*")]
    subs += [sub("other", "project.*", "complaint.resolved")]
    got = plan([staff_note("a"), staff_note("b")], mail=False, subscriptions=subs)
    assert got == [("webhook", "webhook", s, False) for s in ("exact", "family", "all")]


@pytest.mark.parametrize(
    ("ref", "etype", "path"),
    [
        ("complaint-20261130-AB12CD", "complaint.registered", "/complaints/20261130-AB12CD"),
        ("client-project-P-1", "project.registered", "/client-projects/P-1"),
        ("customer-C-9", "customer.registered", "/customers/C-9"),
        ("inquiry-Q-1", "inquiry.registered", "/inquiries/Q-1"),
        ("tier-review-2026H2-sales", "tier_review.registered", "/tier-reviews/2026H2-sales"),
        ("rewards-2026", "rewards.registered", "/rewards/2026"),
    ],
)
def test_a_case_s_event_type_and_link_come_from_its_workflow_id(ref: str, etype: str, path: str) -> None:
    """Issue 17: ``<family>.<event>`` names a webhook's event; a mail links to the case."""
    assert event_type(ref, "registered") == etype
    assert case_path(ref) == path


def test_a_subscriber_needs_a_url_and_a_secret() -> None:
    """Issue 17: a subscriber without a secret, or with a made-up URL, stops the process at
    start (WEBHOOKS is checked by Resources)."""
    with pytest.raises(ValueError):
        WebhookSubscription.model_validate({"id": "x", "url": "not a url", "secret": SECRET})
    with pytest.raises(ValueError):
        WebhookSubscription.model_validate({"id": "x", "url": "http://example.com/"})


def _kinds_the_rules_send() -> set[str]:
    """Every notification kind written as a literal in models/ and activities/ (the kind
    argument of staff_notes, complainant_note and Notification), constants resolved."""
    consts: dict[str, str] = {}
    files = [*Path(ROOT, "models").rglob("*.py"), *Path(ROOT, "activities").rglob("*.py")]
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in files]
    for tree in trees:
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                consts[node.targets[0].id] = node.value.value
    kinds: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            arg: ast.expr | None = None
            if name == "staff_notes" and len(node.args) >= 2:
                arg = node.args[1]
            elif name == "complainant_note" and node.args:
                arg = node.args[0]
            elif name == "Notification":
                arg = next((k.value for k in node.keywords if k.arg == "kind"), None)
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                kinds.add(arg.value)
            elif isinstance(arg, ast.Name) and arg.id in consts:
                kinds.add(consts[arg.id])
    return kinds


def test_every_kind_the_rules_send_has_a_subject_in_chinese_and_english() -> None:
    """Issue 17: templates per notification kind, in both languages: no kind is mailed under
    its bare name."""
    kinds = _kinds_the_rules_send()
    assert len(kinds) > 60  # the scan finds the rules' kinds (78 when written)
    catalog = subjects()
    missing = sorted(k for k in kinds if not (catalog.get(k, {}).get("zh") and catalog.get(k, {}).get("en")))
    assert missing == []


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("kind", ["acknowledged", "result", "escalated"])
def test_the_complainant_s_mail_is_in_their_language_with_its_reference(kind: str, language: str) -> None:
    """CP-21, CP-14: each complainant mail renders, in text and HTML, in the language asked,
    with the reference the complainant knows (the case id)."""
    letter = Letter(kind, "Your text <b>", "complaint-20261130-AB12CD", "complainant", language, "")
    subj, text, html = render(letter)
    assert subj == subjects()[kind][language]
    assert "20261130-AB12CD" in text and "20261130-AB12CD" in html
    assert "Your text <b>" in text and "Your text &lt;b&gt;" in html  # HTML escapes what people wrote
    assert ("客户服务部" in text) is (language == "zh")


def test_a_staff_mail_greets_by_name_links_to_the_case_and_keeps_one_message_id() -> None:
    """Issue 17: a staff mail says whom it is for, links to the case, names why it came, and
    its Message-ID is the delivery's (the same on every attempt)."""
    letter = Letter("plan_overdue", "Plan overdue on X", "complaint-X", "staff", "en", "http://c/complaints/X", "Wu")
    msg = compose(letter, sender="Service <service@example.com>", to="wu@example.com", message_id="delivery-abc")
    assert msg["Message-ID"] == "<delivery-abc@example.com>"
    assert msg["To"] == "Wu <wu@example.com>" and msg["Subject"] == "Handling plan overdue"
    text = msg.get_body(preferencelist=("plain",))
    assert text is not None and "Hello Wu" in text.get_content() and "http://c/complaints/X" in text.get_content()
    assert {p.get_content_type() for p in msg.iter_parts()} == {"text/plain", "text/html"}
