from __future__ import annotations

from annotations.charts import bar_chart


def test_it_draws_one_bar_per_row_scaled_to_the_largest():
    svg = bar_chart([("True", 2), ("False", 4)], title="Verdicts")
    assert svg.count("<rect") == 2
    assert 'width="240.0"' in svg  # the largest bar spans the full 420 - 130 - 50
    assert 'width="120.0"' in svg
    assert ">4</text>" in svg


def test_it_escapes_labels_and_title():
    svg = bar_chart([("<script>", 1)], title='"x" & y')
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "&quot;x&quot; &amp; y" in svg


def test_an_empty_chart_is_still_valid_svg():
    assert bar_chart([], title="Nothing").endswith("</svg>")
