"""The workspace's server-drawn bar charts: labels that fit their column, values escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ar_service.admin.charts import LABEL_CHARS, Bar, bar_chart


def test_a_long_label_is_cut_to_its_column_and_whole_in_its_tooltip() -> None:
    slug = "lang-tu-duc-khiem-lang-quan-the-di-tich-co-do-hue-di-san-the-gioi"  # 65 characters
    # Inline in HTML, the chart carries no xmlns: its elements parse without a namespace.
    chart = ET.fromstring(str(bar_chart("Scans per site", [Bar(slug, 7), Bar("thien-mu", 3)])))  # noqa: S314
    long_label, short_label = (t for t in chart.iter("text") if t.get("text-anchor") == "end")
    assert long_label.findtext("title") == slug
    shown = "".join(long_label.itertext()).removeprefix(slug)
    assert len(shown) == LABEL_CHARS and shown.endswith("…") and slug.startswith(shown[:-1])
    assert "".join(short_label.itertext()) == "thien-mu" * 2  # its tooltip and its text


def test_labels_are_escaped() -> None:
    chart = str(bar_chart("<t>", [Bar("<script>", 1)]))
    assert "<script>" not in chart and "&lt;script&gt;" in chart
