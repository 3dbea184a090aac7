"""The audit of past plans on SYNTHETIC targets and figures: which targets are scored, P(met), Brier, the CLI."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecast.cli import app
from forecast.evaluation.audit import audit_cases, audit_reliability, audit_scores, run_audit
from forecast.inputs.catalogue import TARGET_COLUMNS
from forecast.report.evaluation import format_audit, write_audit
from forecast.trend.pipeline import PanelForecast
from tests.conftest import HEADER, SYNTHETIC, write
from tests.forecast.evaluation.test_backtest import INDICATORS, OK, history_frame

HTE = "high_tech_enterprises"


def catalogue(*targets) -> pd.DataFrame:
    """A SYNTHETIC catalogue in `load_targets`' layout from (id, region, comparator, base_year, base_value,
    target_year, target_value)."""
    rows = [
        {
            "target_id": i,
            "region": r,
            "indicator": HTE,
            "unit": "firms",
            "comparator": c,
            "base_year": by,
            "base_value": bv,
            "target_year": ty,
            "target_value": tv,
            "milestone": "final",
            "plan": SYNTHETIC,
            "seed_file": "",
            "phrase_zh": "",
            "note": "",
        }
        for i, r, c, by, bv, ty, tv in targets
    ]
    table = pd.DataFrame(rows, columns=TARGET_COLUMNS)
    for column in ("base_year", "base_value", "target_year", "target_value"):
        table[column] = pd.to_numeric(table[column])
    return table.set_index("target_id", drop=False)


def figures(region, values: dict, flags: dict | None = None):
    return [(region, HTE, year, float(v), (flags or {}).get(year, "")) for year, v in values.items()]


def share_forecaster(shares: dict, calls: list, high: float = 2000.0, low: float = 500.0):
    """At every year, a share `shares[region]` of 1000 draws is `high` and the rest `low`."""

    def forecaster(history, indicator, regions, *, cutoff, horizon):
        assert history["year"].max() <= cutoff
        calls.append((indicator, cutoff, tuple(regions)))
        out = PanelForecast(indicator, cutoff, horizon, {}, {}, {}, {}, {})
        for region in regions:
            years = np.arange(2010, horizon + 1)
            above = np.arange(1000) < round(shares[region] * 1000)
            out.years[region] = years
            out.paths[region] = np.where(above[None, :, None], high, low) * np.ones((1, 1, years.size))
            out.diagnostics[region], out.model[region], out.notes[region] = OK, "synthetic", []
        return out

    return forecaster


@pytest.fixture
def three_targets():
    """Three at_least-1000 targets with base year 2017 and deadline 2020: a met, b missed, c met."""
    history = history_frame(
        figures("a", {2016: 700, 2017: 800, 2020: 1100})
        + figures("b", {2016: 700, 2017: 800, 2020: 900})
        + figures("c", {2016: 700, 2017: 800, 2020: 1000})
    )
    cat = catalogue(*[(f"{r}-2020", r, "at_least", 2017, None, 2020, 1000) for r in "abc"])
    return history, cat


def test_brier_of_three_targets_by_hand(three_targets):
    history, cat = three_targets
    cases, skipped = audit_cases(cat, history, INDICATORS)
    calls = []
    rows = run_audit(
        cases, history, INDICATORS, forecaster=share_forecaster({"a": 0.8, "b": 0.3, "c": 0.5}, calls), seed=1
    )
    assert skipped.empty
    assert list(rows["met"]) == [True, False, True]
    np.testing.assert_allclose(rows["p_model"], [0.8, 0.3, 0.5])
    scores = audit_scores(rows).set_index("method")
    assert scores.loc["model", "brier"] == pytest.approx(((0.8 - 1) ** 2 + 0.3**2 + (0.5 - 1) ** 2) / 3)
    assert scores.loc["model", "targets"] == 3
    assert calls == [(HTE, 2017, ("a", "b", "c"))]  # one fit serves the three targets
    table = audit_reliability(rows).query("method == 'model' and count > 0")
    assert list(table["count"]) == [1, 1, 1] and list(table["observed_frequency"]) == [0, 1, 1]


def test_baselines_on_a_flat_series_give_zero_for_any_rise():
    # Constant figures: every baseline's fitted spread and drift are 0, so every draw is 100.
    history = history_frame(figures("a", {2015: 100, 2016: 100, 2017: 100, 2020: 100}))
    cat = catalogue(
        ("a-2020", "a", "at_least", 2017, None, 2020, 101), ("a-2020-flat", "a", "at_least", 2017, None, 2020, 99)
    )
    cases, _ = audit_cases(cat, history, INDICATORS)
    rows = run_audit(cases, history, INDICATORS, forecaster=share_forecaster({"a": 0.5}, []), seed=1).set_index(
        "target_id"
    )
    for method in ("last_value", "random_walk_drift", "linear_trend"):
        assert rows.loc["a-2020", f"p_{method}"] == 0 and rows.loc["a-2020-flat", f"p_{method}"] == 1


def test_which_targets_are_audited_and_why_others_are_skipped():
    history = history_frame(
        figures("a", {2016: 700, 2017: 800, 2020: 1100})
        + figures("b", {2017: 800, 2020: 400}, {2020: "lower_bound"})
        + figures("c", {2018: 800, 2020: 1000})
    )
    cat = catalogue(
        ("no-base-year", "a", "at_least", None, None, 2020, 1000),
        ("bound-decides", "b", "at_least", 2017, None, 2020, 300),
        ("bound-undecided", "b", "at_least", 2017, None, 2020, 500),
        ("no-outcome", "a", "at_least", 2017, None, 2019, 900),
        ("no-figure-up-to-base", "c", "at_least", 2017, None, 2020, 900),
        ("increment", "a", "increment", 2017, None, 2020, 250),
        ("not-yet-due", "a", "at_least", 2017, None, 2025, 2000),
        ("template", "county_template", "at_least", 2017, None, 2020, 10),
    )
    cases, skipped = audit_cases(cat, history, INDICATORS)
    assert [c.target.target_id for c in cases] == ["bound-decides", "increment"]
    bound, increment = cases
    assert bound.met and bound.outcome_flag == "lower_bound"
    # Base value from the 2017 figure: 1100 - 800 = 300 >= 250.
    assert increment.target.base_value == 800 and increment.met
    reasons = skipped.set_index("target_id")["reason"]
    assert reasons["no-base-year"].startswith("no base year")
    assert reasons["bound-undecided"] == "only a lower bound ('over 400') for 2020, which does not decide the target"
    assert reasons["no-outcome"] == "no figure for 2019 in the data"
    assert reasons["no-figure-up-to-base"] == "no figure up to the base year 2017"
    assert set(reasons.index) == {"no-base-year", "bound-undecided", "no-outcome", "no-figure-up-to-base"}


def test_printed_table_shows_probabilities_outcomes_and_skips(three_targets):
    history, cat = three_targets
    cases, _ = audit_cases(cat, history, INDICATORS)
    rows = run_audit(
        cases, history, INDICATORS, forecaster=share_forecaster({"a": 0.8, "b": 0.3, "c": 0.5}, []), seed=1
    )
    skipped = pd.DataFrame(
        [
            {
                "target_id": "x",
                "region": "a",
                "indicator": HTE,
                "deadline": 2020,
                "reason": "no figure for 2020 in the data",
            }
        ]
    )
    text = format_audit(rows, skipped)
    assert "0.80 ± " in text and "1100 (met)" in text and "900 (missed)" in text
    assert "Brier score over 3 targets" in text and "model 0.127" in text
    assert "Skipped 1 target whose deadline has passed" in text


def test_write_audit_is_all_or_nothing(three_targets, tmp_path, monkeypatch):
    history, cat = three_targets
    cases, skipped = audit_cases(cat, history, INDICATORS)
    rows = run_audit(
        cases, history, INDICATORS, forecaster=share_forecaster({"a": 0.8, "b": 0.3, "c": 0.5}, []), seed=1
    )
    assert {p.name for p in write_audit(tmp_path / "out", rows, skipped, {"seed": 1})} == {
        "audit.csv",
        "reliability.csv",
        "manifest.json",
    }
    monkeypatch.setattr("forecast.report.evaluation.audit_reliability", lambda rows: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        write_audit(tmp_path / "out", rows, skipped, {"seed": 2})
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["seed"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def run_cli_audit(tmp_path, *extra) -> pd.DataFrame:
    # SYNTHETIC Handan R&D intensity: the bundled catalogue has handan-2023-rd_intensity (>= 2.76 by 2023, base 2020).
    rows = [(2018, 1.5), (2019, 1.7), (2020, 1.89), (2023, 2.52)]
    data = write(
        tmp_path / "h.csv",
        HEADER + "".join(f"handan,rd_intensity,{y},{v},percent,{SYNTHETIC},,main,\n" for y, v in rows),
    )
    out = tmp_path / "audit"
    result = runner.invoke(
        app, ["audit", "--data", str(data), "--out", str(out), "--seed", "9", "--lang", "en", *extra]
    )
    assert result.exit_code == 0, result.output
    assert (
        "Handan: R&D expenditure / GDP ≥ 2.76% by 2023" in result.output
        and "2.52 (missed)" in result.output
        and "Brier score over 1 target " in result.output
    )
    table = pd.read_csv(out / "audit.csv", keep_default_na=False)
    scored = table[table["reason"] == ""]
    assert list(scored["target_id"]) == ["handan-2023-rd_intensity"] and scored["diagnostics"].iloc[0] != ""
    assert (table["reason"] != "").sum() > 0
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["seed"] == 9 and len(meta["input_sha256"]["targets"]) == 64
    return scored


def test_cli_audit_on_synthetic_figures(tmp_path, monkeypatch):
    # The trend model replaced by one that puts 40% of its draws above the 2.76% target.
    forecaster = share_forecaster({"handan": 0.4}, [], high=3.0, low=2.0)
    monkeypatch.setattr(
        "forecast.evaluation.backtest.forecast_indicator",
        lambda history, indicator, wanted, *, cutoff, horizon, **settings: forecaster(
            history, indicator, wanted, cutoff=cutoff, horizon=horizon
        ),
    )
    assert float(run_cli_audit(tmp_path)["p_model"].iloc[0]) == 0.4


@pytest.mark.slow
def test_cli_audit_with_the_trend_model(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAN_FORECAST_CACHE", str(tmp_path / "cache"))
    assert 0 <= float(run_cli_audit(tmp_path, "--draws", "50", "--tune", "50")["p_model"].iloc[0]) <= 1


def test_cli_audit_missing_data_file_exits_2(tmp_path):
    result = runner.invoke(app, ["audit", "--data", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "audit")])
    assert result.exit_code == 2 and "nope.csv, file: not found" in result.output
    assert not (tmp_path / "audit").exists()


runner = CliRunner()
