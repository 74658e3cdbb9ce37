"""Unit tests of the staff directory: leadership chains (CP-09), the staff file's integrity, and
API keys (who a caller is; CP-19 itself, who may read what, is proved in tests/access/)."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from pydantic import ValidationError

from config import ROOT
from models.staff import LADDER_RANK, Directory, Role, Staff, StaffRef


def test_cp09_chain_is_nearest_leader_first(directory):
    """CP-09: escalation goes up the chain: direct leader, manager, general manager."""
    assert [s.id for s in directory.chain("ops-1")] == ["ops-sup", "ops-mgr", "gm"]
    assert [s.id for s in directory.chain("cs-2")] == ["cs-sup", "cs-mgr", "gm"]
    assert [s.id for s in directory.chain("ops-sup")] == ["ops-mgr", "gm"]
    assert [s.id for s in directory.chain("sales-1")] == ["dev-deputy", "dev-lead", "gm"]


def test_cp09_top_of_chain_and_unknown_staff_have_no_leaders(directory):
    """CP-09: the general manager is the top; nobody unknown is invented."""
    assert directory.chain("gm") == []
    assert directory.chain("chairman") == []
    assert directory.chain("nobody") == []


def test_cp09_chain_roles_match_the_ladder(directory):
    """CP-09: on the demo chain each rung has the rank of its level."""
    assert [s.rank for s in directory.chain("ops-1")] == [1, 2, 3]
    assert directory.get("ops-1").ref.rank == 0
    assert LADDER_RANK == {Role.staff: 0, Role.supervisor: 1, Role.manager: 2, Role.general_manager: 3}
    assert StaffRef(id="x", role=Role.finance).rank == 0  # off the complaint ladder


def test_chain_refs_carry_no_name_and_no_key(directory):
    """What a workflow keeps of a staff member has neither name nor key."""
    for r in directory.chain("ops-1"):
        assert set(r.model_dump()) == {"id", "role", "leader_id", "department"}


def test_with_role_finds_the_general_managers(directory):
    """The directory finds staff by role (the general managers, whom CP-10's crisis team is made of)."""
    assert [s.id for s in directory.with_role(Role.general_manager)] == ["gm"]
    assert {s.id for s in directory.with_role(Role.manager)} == {"cs-mgr", "ops-mgr", "q-mgr"}


def test_cp10_crisis_team_names_the_general_manager_then_the_next_for_level_3(directory):
    """CP-10: the crisis team names the general manager first, then the department managers, so
    level 3 still reaches someone when the general manager is the one complained about."""
    assert [s.id for s in directory.crisis_team()] == ["gm", "cs-mgr", "ops-mgr", "q-mgr"]


def _cycle(a_leader: str, b_leader: str | None) -> list[dict]:
    return [
        {"id": "a", "name": "A", "role": "staff", "leader_id": a_leader, "api_key": "ka"},
        {"id": "b", "name": "B", "role": "supervisor", "leader_id": b_leader, "api_key": "kb"},
    ]


def test_staff_file_with_a_leadership_cycle_is_rejected():
    """A chain that loops would escalate forever: the directory refuses it."""
    with pytest.raises(ValueError, match="cycle"):
        Directory.model_validate({"staff": _cycle("b", "a")})
    with pytest.raises(ValueError, match="cycle"):
        Directory.model_validate({"staff": _cycle("a", None)})  # a leads itself


def test_chain_detects_a_cycle_at_lookup():
    """chain() itself raises on a loop (a directory built without validation)."""
    staff = [Staff.model_validate(s) for s in _cycle("b", "a")]
    d = Directory.model_construct(staff=staff)
    with pytest.raises(ValueError, match="cycle"):
        d.chain("a")


def test_staff_file_with_an_unknown_leader_or_duplicate_ids_is_rejected():
    """Every leader exists and every id is unique, so escalation has a target."""
    with pytest.raises(ValidationError, match="unknown leader_id"):
        Directory.model_validate({"staff": _cycle("zz", None)})
    dup = _cycle("b", None)
    dup[1]["id"] = "a"
    with pytest.raises(ValidationError, match="unique"):
        Directory.model_validate({"staff": dup})


def test_auth_staff_needs_a_key():
    """Every staff member is identified by a key (plain or its SHA-256)."""
    with pytest.raises(ValidationError, match="api_key"):
        Staff(id="x", name="X", role="staff")


def test_auth_with_plain_api_key(directory):
    """The key identifies the staff member (who then sees only their cases)."""
    found = directory.authenticate("demo-ops-1")
    assert found is not None and found.id == "ops-1"
    assert directory.authenticate("demo-cs-mgr").id == "cs-mgr"


def test_auth_with_sha256_of_key():
    """A staff file may hold only the SHA-256 of a key (any hex case)."""
    digest = hashlib.sha256(b"s3cret-key").hexdigest()
    d = Directory(
        staff=[
            Staff(id="h", name="Hashed", role="staff", api_key_sha256=digest),
            Staff(id="u", name="Upper", role="staff", api_key_sha256=hashlib.sha256(b"other").hexdigest().upper()),
            Staff(id="p", name="Plain", role="staff", api_key="plain-key"),
        ]
    )
    assert d.authenticate("s3cret-key").id == "h"
    assert d.authenticate("other").id == "u"
    assert d.authenticate("plain-key").id == "p"
    assert d.authenticate(digest) is None  # the digest itself is not a key


@pytest.mark.parametrize("key", [None, "", "demo-nobody", "DEMO-OPS-1", "demo-ops-1 "])
def test_auth_unknown_key_authenticates_nobody(directory, key):
    """An unknown (or missing) key identifies nobody."""
    assert directory.authenticate(key) is None


def test_auth_staff_repr_hides_the_key(directory):
    """Keys never show in a staff member's repr (logs)."""
    assert "demo-ops-1" not in repr(directory.get("ops-1"))


def test_auth_demo_staff_file_holds_only_key_digests():
    """The shipped staff file stores no key in plain: only ``api_key_sha256``."""
    raw = json.loads((ROOT / "data" / "staff.json").read_text())
    assert raw and all("api_key" not in s and len(s["api_key_sha256"]) == 64 for s in raw)


def test_auth_keys_are_compared_in_constant_time(directory, monkeypatch):
    """Every staff member's digest is compared with ``hmac.compare_digest`` (no early exit on
    the first match, no ``==`` on secrets): the comparison count does not depend on the key."""
    import models.staff as staff_module

    calls: list[int] = []
    real = hmac.compare_digest

    def counting(a, b):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr(staff_module.hmac, "compare_digest", counting)
    counts = []
    for key in ("demo-cs-1", "demo-gm", "wrong"):
        calls.clear()
        directory.authenticate(key)
        counts.append(len(calls))
    assert counts[0] == counts[1] == counts[2] == len(directory.staff)
