"""Small server-side SVG charts for the dashboard: no JavaScript, readable without colour alone."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe


def bar_chart(rows: Sequence[tuple[str, float]], *, title: str, width: int = 420, bar_height: int = 22) -> SafeString:
    """A horizontal bar chart with the value written beside each bar.

    Labels and title are escaped here; the result is marked safe for templates.
    """
    label_width, gap = 130, 6
    peak = max((value for _, value in rows), default=0) or 1
    height = len(rows) * (bar_height + gap) + gap
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    span = width - label_width - 50
    for index, (label, value) in enumerate(rows):
        y = gap + index * (bar_height + gap)
        bar = round(span * value / peak, 1)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar_height * 0.7}" text-anchor="end">{escape(str(label))}</text>'
            f'<rect x="{label_width}" y="{y}" width="{bar}" height="{bar_height}" rx="3"></rect>'
            f'<text x="{label_width + bar + 6}" y="{y + bar_height * 0.7}">{escape(_number(value))}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated string is escaped above


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"
