"""The fixed words around the names (axis titles, legends, column headers, sentences), one entry per phrase with
both languages, kept by subject: charts, printed tables, updates, scores (county index, backtest), the HTML report,
notes and progress bars;
units, statistical series and comparators in `forecast.report.phrases.units`.

`TEXT` joins them for `forecast.report.labels.Labels.text`; a key may live in one module only.
"""

from __future__ import annotations

from forecast.report.phrases.charts import CHART_TEXT
from forecast.report.phrases.progress import PROGRESS_TEXT
from forecast.report.phrases.report import REPORT_TEXT
from forecast.report.phrases.scores import COUNTY_GROUPS, SCORE_TEXT
from forecast.report.phrases.tables import TABLE_TEXT
from forecast.report.phrases.units import COMPARATOR, SERIES, UNITS
from forecast.report.phrases.update import UPDATE_TEXT

PARTS = (CHART_TEXT, TABLE_TEXT, UPDATE_TEXT, SCORE_TEXT, REPORT_TEXT, PROGRESS_TEXT)


def _joined(parts: tuple[dict[str, tuple[str, str]], ...]) -> dict[str, tuple[str, str]]:
    joined: dict[str, tuple[str, str]] = {}
    for part in parts:
        twice = joined.keys() & part.keys()
        if twice:
            raise RuntimeError(f"phrase keys defined twice: {sorted(twice)}")
        joined.update(part)
    return joined


TEXT = _joined(PARTS)
"""Phrase key -> (Chinese, English), with ``{placeholders}`` filled by `Labels.text`."""

__all__ = ["COMPARATOR", "COUNTY_GROUPS", "SERIES", "TEXT", "UNITS"]
