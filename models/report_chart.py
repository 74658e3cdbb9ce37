"""CP-18: the complaint analysis's charts as one SVG page, drawn by hand (no plotting library
in the API's dependencies): volume by category over the last periods (stacked bars), plan and
resolution SLA achievement over the same periods (lines), and the time-to-resolution
distribution of the report's period (bars)."""

from __future__ import annotations

from html import escape

from models.report import ComplaintReport

W, PANEL_H, PAD = 720, 230, 50
COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948"]


def _text(x: float, y: float, s: str, size: int = 11, anchor: str = "middle", weight: str = "normal") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-weight="{weight}" font-family="sans-serif">{escape(s)}</text>'
    )


def _axes(top: float, title: str) -> list[str]:
    x0, y0 = PAD, top + PANEL_H - 40
    return [
        _text(W / 2, top + 18, title, 14, weight="bold"),
        f'<line x1="{x0}" y1="{y0}" x2="{W - 20}" y2="{y0}" stroke="#333"/>',
        f'<line x1="{x0}" y1="{top + 30}" x2="{x0}" y2="{y0}" stroke="#333"/>',
    ]


def _bars(top: float, labels: list[str], stacks: list[list[tuple[str, int]]], title: str) -> list[str]:
    out = _axes(top, title)
    y0, height = top + PANEL_H - 40, PANEL_H - 80
    biggest = max([sum(v for _, v in s) for s in stacks] + [1])
    slot = (W - 20 - PAD) / max(len(labels), 1)
    names = sorted({k for s in stacks for k, _ in s})
    out.append(_text(PAD - 6, top + 40, str(biggest), 10, "end"))
    for i, (label, stack) in enumerate(zip(labels, stacks, strict=True)):
        x, y = PAD + i * slot + slot * 0.2, y0
        for name, v in sorted(stack):
            h = height * v / biggest
            colour = COLOURS[names.index(name) % len(COLOURS)]
            out.append(f'<rect x="{x:.1f}" y="{y - h:.1f}" width="{slot * 0.6:.1f}" height="{h:.1f}" fill="{colour}"/>')
            y -= h
        total = sum(v for _, v in stack)
        out.append(_text(x + slot * 0.3, y - 4, str(total), 10))
        out.append(_text(x + slot * 0.3, y0 + 14, label, 10))
    for j, name in enumerate(names):
        colour = COLOURS[j % len(COLOURS)]
        out.append(f'<rect x="{W - 150}" y="{top + 30 + j * 14}" width="10" height="10" fill="{colour}"/>')
        out.append(_text(W - 135, top + 39 + j * 14, name, 10, "start"))
    return out


def _lines(top: float, labels: list[str], series: dict[str, list[float | None]], title: str) -> list[str]:
    out = _axes(top, title)
    y0, height = top + PANEL_H - 40, PANEL_H - 80
    slot = (W - 20 - PAD) / max(len(labels), 1)
    out.append(_text(PAD - 6, y0 - height + 4, "100%", 10, "end"))
    out.append(_text(PAD - 6, y0 + 4, "0%", 10, "end"))
    for i, label in enumerate(labels):
        out.append(_text(PAD + i * slot + slot / 2, y0 + 14, label, 10))
    for j, (name, values) in enumerate(series.items()):
        colour = COLOURS[j % len(COLOURS)]
        points = [(PAD + i * slot + slot / 2, y0 - height * v) for i, v in enumerate(values) if v is not None]
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
            out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in points]
        out.append(f'<rect x="{W - 150}" y="{top + 30 + j * 14}" width="10" height="10" fill="{colour}"/>')
        out.append(_text(W - 135, top + 39 + j * 14, name, 10, "start"))
    return out


def report_svg(report: ComplaintReport) -> str:
    """CP-18: the report's page of charts, as an SVG document."""
    trend = report.trend
    labels = [p.period for p in trend]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{3 * PANEL_H + 40}" '
        f'viewBox="0 0 {W} {3 * PANEL_H + 40}">',
        '<rect width="100%" height="100%" fill="white"/>',
        _text(W / 2, 24, f"Complaint analysis {report.period} (version {report.version})", 16, weight="bold"),
    ]
    parts += _bars(40, labels, [sorted(p.by_category.items()) for p in trend], "Complaints received by category")
    parts += _lines(
        40 + PANEL_H,
        labels,
        {
            "plan within deadline": [p.plan_share for p in trend],
            "resolved within deadline": [p.resolution_share for p in trend],
        },
        "SLA achievement",
    )
    hist = report.figures.resolution_histogram
    parts += _bars(
        40 + 2 * PANEL_H,
        list(hist),
        [[("resolved", v)] for v in hist.values()],
        f"Time to resolution, {report.period}",
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
