"""Bar charts as inline SVG, drawn on the server: no script, no external library, prints well."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, BAR_HEIGHT, GAP, LABEL_WIDTH = 640, 22, 6, 200
# Characters of a label that fit its column at the workspace's 12 px chart text; a longer one
# (an 80-character site slug) is cut there, and whole in its tooltip.
LABEL_CHARS = 28


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
        shown = bar.label if len(bar.label) <= LABEL_CHARS else bar.label[: LABEL_CHARS - 1] + "…"
        rows.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">'
            f"<title>{escape(bar.label)}</title>{escape(shown)}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" rx="3"/>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 15}">{bar.value}</text>'
        )
    # Every interpolated string passed through escape() above; numbers are formatted by us.
    return Markup(  # noqa: S704
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%"'
        f' aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(rows)}</svg>'
    )
