"""Shared fixtures. Every table here is SYNTHETIC test data, made up for the tests and
labelled so in its source column; the bundled real data lives in data/."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

HEADER = "region,indicator,year,value,unit,source,note,series,flag\n"
SYNTHETIC = "synthetic test data"


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


@pytest.fixture
def history_file(tmp_path: Path) -> Path:
    """A small valid history: a city with three figures and its province with six."""
    rows = [
        ("langfang", "high_tech_enterprises", 2018, 600, ""),
        ("langfang", "high_tech_enterprises", 2019, 700, ""),
        ("langfang", "high_tech_enterprises", 2020, 800, "non_year_end"),
        ("hebei", "high_tech_enterprises", 2015, 1500, ""),
        ("hebei", "high_tech_enterprises", 2016, 1700, ""),
        ("hebei", "high_tech_enterprises", 2017, 1950, ""),
        ("hebei", "high_tech_enterprises", 2018, 2200, ""),
        ("hebei", "high_tech_enterprises", 2019, 2500, ""),
        ("hebei", "high_tech_enterprises", 2020, 2800, "lower_bound"),
        ("langfang", "rd_intensity", 2020, 1.8, ""),
        ("langfang", "rd_intensity", 2020, 1.9, ""),
    ]
    units = {"high_tech_enterprises": "firms", "rd_intensity": "percent"}
    body = "".join(f"{r},{i},{y},{v},{units[i]},{SYNTHETIC},,{'main'},{f}\n" for r, i, y, v, f in rows)
    return write(tmp_path / "history.csv", HEADER + body)


# Property tests explore the same examples on every run, so CI cannot flake on a new draw;
# run `pytest --hypothesis-profile=explore` locally to search afresh.
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("ci")


@pytest.fixture(autouse=True)
def private_fit_cache(tmp_path_factory, monkeypatch):
    """Each test saves fitted posteriors in its own folder, never in the working tree."""
    monkeypatch.setenv("PLAN_FORECAST_CACHE", str(tmp_path_factory.mktemp("fit-cache")))
