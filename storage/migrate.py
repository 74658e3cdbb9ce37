"""Apply the Alembic migrations programmatically (``make run``, tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from config import ROOT


def upgrade(url: str | None = None) -> None:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["skip_logging"] = True
    if url:
        cfg.attributes["url"] = url
    command.upgrade(cfg, "head")


if __name__ == "__main__":
    upgrade()
