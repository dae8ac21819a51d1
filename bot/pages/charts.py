"""Geometry for the dashboard's small SVG charts (drawn by the ``charts.html`` macros).

Only numbers are computed here; labels go through Jinja's autoescaping in the
template, so a flow named ``<script>`` is drawn as text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Bar:
    x: float
    w: float
    segments: list[dict[str, Any]]  # {"y", "h", "cls", "value"}
    label: str
    title: str
    show_label: bool


def compact(value: float) -> str:
    """A short axis label in Indian units: 950, 2.5k, 50k, 1L, 2.5Cr."""
    for size, suffix in ((1e7, "Cr"), (1e5, "L"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{value:.1f}".rstrip("0").rstrip(".")


def nice_max(value: float) -> float:
    """A round number at or above ``value`` for the axis (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    power = 1.0
    while power * 10 <= value:
        power *= 10
    while power > value:
        power /= 10
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def stacked_bars(
    rows: list[dict[str, Any]],
    keys: list[tuple[str, str]],
    *,
    label_key: str,
    width: int = 640,
    height: int = 180,
    every: int = 1,
    fmt: Callable[[float], str] = compact,
) -> dict[str, Any]:
    """Bars of ``rows`` stacking ``keys`` ((key, css class), bottom first); the chart's geometry."""
    top_pad, bottom_pad, left_pad = 10, 22, 40
    plot_h = height - top_pad - bottom_pad
    plot_w = width - left_pad - 4
    totals = [sum(float(r.get(k) or 0) for k, _ in keys) for r in rows]
    peak = nice_max(max(totals, default=0))
    n = max(1, len(rows))
    slot = plot_w / n
    bar_w = max(1.0, slot * 0.7)
    bars = []
    for i, row in enumerate(rows):
        x = left_pad + i * slot + (slot - bar_w) / 2
        y = float(top_pad + plot_h)
        segments = []
        for key, cls in keys:
            value = float(row.get(key) or 0)
            h = plot_h * value / peak if peak else 0.0
            y -= h
            if h > 0:
                segments.append({"y": round(y, 1), "h": round(h, 1), "cls": cls, "value": value})
        label = str(row.get(label_key, ""))
        title = f"{label}: " + ", ".join(f"{k} {fmt(float(row.get(k) or 0))}" for k, _ in keys)
        bars.append(Bar(round(x, 1), round(bar_w, 1), segments, label, title, i % every == 0))
    ticks = [{"y": round(top_pad + plot_h - plot_h * f, 1), "value": fmt(peak * f)} for f in (0, 0.5, 1)]
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "ticks": ticks,
        "left": left_pad,
        "baseline": top_pad + plot_h,
        "label_y": height - 6,
        "total": sum(totals),
    }


def hbars(
    rows: list[dict[str, Any]],
    *,
    value_key: str,
    label_key: str,
    maximum: float | None = None,
    width: int = 640,
    row_h: int = 26,
) -> dict[str, Any]:
    """Horizontal bars (e.g. success rate per flow)."""
    peak = maximum if maximum is not None else nice_max(max((float(r.get(value_key) or 0) for r in rows), default=0))
    label_w = 220
    plot_w = width - label_w - 60
    items = []
    for i, row in enumerate(rows):
        value = float(row.get(value_key) or 0)
        items.append(
            {
                "y": i * row_h + 4,
                "w": round(plot_w * value / peak, 1) if peak else 0,
                "label": str(row.get(label_key, "")),
                "value": value,
                "row": row,
            }
        )
    return {
        "width": width,
        "height": max(row_h, len(rows) * row_h + 8),
        "bars_h": items,
        "label_w": label_w,
        "row_h": row_h,
    }
