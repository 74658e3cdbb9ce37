"""What one client-project step writes, in one transaction (the record_project_step
activity), and the refusal of an ineligible application (ND-01)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from models.case import CaseEvent, Notification
from models.confidential import Confidential
from models.project.messages import ProjectCreate
from models.project.state import ProjectState
from models.project.views import ProjectView


class ProjectRefusalRecord(BaseModel):
    """ND-01: an ineligible application, written to project_refusal."""

    project_id: str
    application: ProjectCreate
    applicant_id: str
    reason: Confidential


class ProjectRecord(BaseModel):
    """Input of the record_project_step activity: one step, written in one transaction."""

    project: ProjectState
    view: ProjectView
    event: CaseEvent
    notifications: list[Notification] = Field(default_factory=list)
    refusal: ProjectRefusalRecord | None = None
