"""Issue 18, accessibility: the console's colours meet WCAG 2.1 AA contrast (4.5:1 for text)
for every pair the stylesheet sets: text on the page, links, the overdue / due-soon / paused
rows and badges, errors, confirmations, buttons."""

from __future__ import annotations

import re

import pytest

from config import ROOT

CSS = (ROOT / "console" / "static" / "console.css").read_text()
VARS = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", CSS))
#: (text, background) as the stylesheet pairs them
PAIRS = [
    ("fg", "bg"),
    ("muted", "bg"),
    ("link", "bg"),
    ("fg", "overdue-bg"),
    ("fg", "soon-bg"),
    ("fg", "paused-bg"),
    ("overdue", "bg"),
    ("overdue", "overdue-bg"),
    ("soon", "soon-bg"),
    ("soon", "bg"),
    ("paused", "paused-bg"),
    ("ok", "ok-bg"),
    ("bg", "link"),  # button text on the button
]


def luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize(("text", "background"), PAIRS)
def test_text_and_its_background_meet_aa_contrast(text: str, background: str) -> None:
    assert contrast(VARS[text], VARS[background]) >= 4.5, (text, background, VARS[text], VARS[background])
