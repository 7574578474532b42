"""Bar charts as inline SVG, drawn on the server: no script, no external library, prints well."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, BAR_HEIGHT, GAP, LABEL_WIDTH = 640, 22, 6, 200


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


def bar_chart(title: str, bars: list[Bar]) -> Markup:
    """Horizontal bars scaled to the largest value, each labelled with its count."""
    height = max(1, len(bars)) * (BAR_HEIGHT + GAP) + GAP
    largest = max((bar.value for bar in bars), default=0) or 1
    span = WIDTH - LABEL_WIDTH - 60
    rows = []
    for index, bar in enumerate(bars):
        y = GAP + index * (BAR_HEIGHT + GAP)
        length = round(bar.value / largest * span, 1)
        rows.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">{escape(bar.label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" rx="3"/>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 15}">{bar.value}</text>'
        )
    # Every interpolated string passed through escape() above; numbers are formatted by us.
    return Markup(  # noqa: S704
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%"'
        f' aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(rows)}</svg>'
    )
