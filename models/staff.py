"""Staff, roles and the leadership chain (who a staff member's escalation goes to)."""

from __future__ import annotations

import hashlib
import hmac
import json
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Role(StrEnum):
    staff = "staff"
    supervisor = "supervisor"
    manager = "manager"
    general_manager = "general_manager"
    # client-development project roles
    review_group = "review_group"
    deputy_leader = "deputy_leader"
    group_leader = "group_leader"
    finance = "finance"
    chairman = "chairman"


#: Rank on the complaint escalation ladder (CP-09): who counts as a leader, a manager, the top.
LADDER_RANK: dict[Role, int] = {
    Role.staff: 0,
    Role.supervisor: 1,
    Role.manager: 2,
    Role.general_manager: 3,
}


class StaffRef(BaseModel):
    """What a workflow keeps of a staff member: no name, no key."""

    model_config = ConfigDict(frozen=True)

    id: str
    role: Role
    leader_id: str | None = None
    department: str = ""

    @property
    def rank(self) -> int:
        return LADDER_RANK.get(self.role, 0)


class Staff(BaseModel):
    """A row of the staff file (``STAFF_FILE``)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    name: str
    role: Role
    leader_id: str | None = None
    department: str = ""
    api_key: str | None = Field(default=None, repr=False)
    #: issue 17: where e-mail notifications go (none: the inbox only), and in which language
    email: str | None = Field(default=None, repr=False, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    language: Literal["zh", "en"] = "zh"
    api_key_sha256: str | None = Field(default=None, repr=False, pattern=r"^[0-9a-fA-F]{64}$")

    @model_validator(mode="after")
    def _one_key(self) -> Staff:
        if not self.api_key and not self.api_key_sha256:
            raise ValueError(f"staff {self.id} needs api_key or api_key_sha256")
        return self

    @property
    def ref(self) -> StaffRef:
        return StaffRef(id=self.id, role=self.role, leader_id=self.leader_id, department=self.department)

    def key_digest(self) -> str:
        if self.api_key_sha256:
            return self.api_key_sha256.lower()
        assert self.api_key is not None
        return hashlib.sha256(self.api_key.encode()).hexdigest()


class Directory(BaseModel):
    """The whole staff file, with the look-ups the rules need."""

    staff: list[Staff]

    @model_validator(mode="after")
    def _consistent(self) -> Directory:
        ids = [s.id for s in self.staff]
        if len(ids) != len(set(ids)):
            raise ValueError("staff ids must be unique")
        known = set(ids)
        for s in self.staff:
            if s.leader_id is not None and s.leader_id not in known:
                raise ValueError(f"staff {s.id}: unknown leader_id {s.leader_id}")
        for s in self.staff:  # no cycles in the leadership chain
            self.chain(s.id)
        return self

    @classmethod
    def from_file(cls, path: str | Path) -> Directory:
        return cls(staff=json.loads(Path(path).read_text(encoding="utf-8")))

    def get(self, staff_id: str | None) -> Staff | None:
        if staff_id is None:
            return None
        for s in self.staff:
            if s.id == staff_id:
                return s
        return None

    def chain(self, staff_id: str) -> list[StaffRef]:
        """The leaders above ``staff_id``, nearest first (CP-09: escalation goes up this chain)."""
        out: list[StaffRef] = []
        seen = {staff_id}
        current = self.get(staff_id)
        while current is not None and current.leader_id is not None:
            if current.leader_id in seen:
                raise ValueError(f"leadership cycle at {current.leader_id}")
            seen.add(current.leader_id)
            current = self.get(current.leader_id)
            if current is not None:
                out.append(current.ref)
        return out

    def with_role(self, *roles: Role) -> list[StaffRef]:
        return [s.ref for s in self.staff if s.role in roles]

    def crisis_team(self) -> list[StaffRef]:
        """CP-10: the people named for level 3, in order: the general manager, then the
        department managers (in the staff file's order). The first not complained about is
        who level 3 reaches, so it reaches someone even when the general manager is the one
        complained about."""
        return self.with_role(Role.general_manager) + self.with_role(Role.manager)

    def authenticate(self, api_key: str | None) -> Staff | None:
        """The staff member holding ``api_key``, compared in constant time."""
        if not api_key:
            return None
        digest = hashlib.sha256(api_key.encode()).hexdigest()
        found: Staff | None = None
        for s in self.staff:
            if hmac.compare_digest(digest, s.key_digest()):
                found = s
        return found
