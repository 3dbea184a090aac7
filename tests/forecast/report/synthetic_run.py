"""A run folder made of SYNTHETIC draws, for the report's tests: no MCMC, no simulation.

The main folder is written by the real writer (`forecast.report.run.write_run`) from
trend results whose trajectories are made-up draws (a fixed `default_rng`); its
``backtest``, ``compare`` and ``explain`` sub-folders hold tables with the columns those
commands write and synthetic numbers. Text fields carry ``<script>`` to test escaping.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from forecast.inputs.bundle import load_inputs
from forecast.inputs.catalogue import catalogue_target
from forecast.inputs.targets import Target
from forecast.probability import probability_met
from forecast.report.files import provenance
from forecast.report.labels import ENGLISH
from forecast.report.ladder_charts import plot_tornado
from forecast.report.run import joint_summary, manifest, results_table, scenario_question, write_run
from forecast.scenario import Scenario
from forecast.trend.pipeline import TargetResult, TrendFit
from models.diagnostics import Diagnostics

SCRIPT = "<script>alert('x')</script>"
YEARS = np.arange(2018, 2026)
SOURCE = f"synthetic test data {SCRIPT}"
CATALOGUE_ID = "langfang-2025-high_tech_enterprises"
INLINE_ID = "langfang-2025-high_tech_enterprises-inline0"


def synthetic_paths(seed: int = 3) -> np.ndarray:
    """(chain, draw, year) trajectories growing about 15% a year from 800 in 2020 (SYNTHETIC)."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.15, 0.06, (2, 200, len(YEARS)))
    steps[..., :3] = 0.0
    base = np.array([600.0, 700.0, 800.0] + [800.0] * (len(YEARS) - 3))
    return base * np.exp(np.cumsum(steps, axis=-1) * (YEARS >= 2021))


def observations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region": "langfang",
            "indicator": "high_tech_enterprises",
            "year": [2018, 2019, 2020],
            "value": [600.0, 700.0, 800.0],
            "unit": "firms",
            "source": SOURCE,
            "note": "",
            "series": "main",
            "flag": "",
        }
    )


def targets(inputs) -> list[Target]:
    row = inputs.catalogue.set_index("target_id", drop=False).loc[CATALOGUE_ID]
    inline = Target(
        target_id=INLINE_ID,
        region="langfang",
        indicator="high_tech_enterprises",
        comparator="at_least",
        target_year=2025,
        target_value=2600,
        unit="firms",
        label=SCRIPT,
    )
    return [catalogue_target(row), inline]


def results(found: list[Target]) -> list[TargetResult]:
    paths = synthetic_paths()
    diagnostics = Diagnostics(r_hat_max=1.02, ess_bulk_min=300, ess_tail_min=500, divergences=2, draws=200, chains=2)
    fit = TrendFit(
        key=("langfang", "high_tech_enterprises", "main", None, 2025),
        years=YEARS,
        paths=paths,
        diagnostics=diagnostics,
        observations=observations(),
        notes=[f"a note {SCRIPT}"],
        model="drift 1.00",
    )
    return [TargetResult(t, fit, None, probability_met(paths, YEARS, t), None, None, 2020, 800.0) for t in found]


def write_synthetic_run(folder: Path, *, with_parts: bool = True) -> Path:
    """The run folder (and, with `with_parts`, backtest, compare and explain sub-folders); returns `folder`."""
    inputs = load_inputs()
    found = targets(inputs)
    spec = Scenario.model_validate(
        {
            "name": f"Synthetic {SCRIPT}",
            "name_zh": f"合成情景 {SCRIPT}",
            "description": f"SYNTHETIC draws for tests {SCRIPT}",
            "region": "langfang",
            "horizon": 2025,
            "targets": [{"ref": CATALOGUE_ID}],
            "seed": 11,
            "levers": [{"lever": "certification_reward", "size": 20, "start": 2021, "end": 2025}],
        }
    )
    found_results = results(found)
    meta = manifest(scenario_name=spec.name, seed=spec.seed, inputs={}, results=found_results, command="forecast run")
    meta = {**meta, "joint": joint_summary(found_results), "question": scenario_question(spec, found, inputs)}
    write_run(folder, found_results, results_table(found_results), meta, labels=ENGLISH)
    if with_parts:
        write_backtest_part(folder / "backtest")
        write_compare_part(folder / "compare")
        write_explain_part(folder / "explain")
    return folder


def _png(path: Path) -> None:
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, 1])
    fig.savefig(path, dpi=50)
    plt.close(fig)


def _manifest(folder: Path, **extra) -> None:
    meta = {**provenance(command="forecast test", seed=11, inputs={}), **extra}
    (folder / "manifest.json").write_text(json.dumps(meta, default=str), encoding="utf-8")


def write_backtest_part(folder: Path) -> None:
    folder.mkdir(parents=True)
    pd.DataFrame(
        {
            "origin": ["2018", "all"],
            "method": ["model", "model"],
            "coverage_50": [0.5, 0.45],
            "coverage_80": [0.75, 0.8],
            "coverage_95": [1.0, 0.9],
            "crps": [0.1, 0.12],
            "brier": [0.2, 0.21],
            "points": [4, 8],
            "fits": [1, 2],
            "fits_with_warnings": [0, 1],
        }
    ).to_csv(folder / "scores.csv", index=False)
    _png(folder / "reliability.png")
    _manifest(folder)


def write_compare_part(folder: Path) -> None:
    folder.mkdir(parents=True)
    rows = [("baseline", 0.55, 0.03, 0.0, 0.0), (f"package {SCRIPT}", 0.85, 0.02, 0.3, 0.02)]
    pd.DataFrame(
        {
            "target_id": CATALOGUE_ID,
            "target": "high_tech_enterprises >= 1500 by 2025",
            "scenario": [r[0] for r in rows],
            "p_met": [r[1] for r in rows],
            "p_met_mc_error": [r[2] for r in rows],
            "diff_vs_baseline": [r[3] for r in rows],
            "diff_mc_error": [r[4] for r in rows],
            "note": "",
        }
    ).to_csv(folder / "compare.csv", index=False)
    titles = {"baseline": {"en": "Baseline", "zh": "基准情景"}, f"package {SCRIPT}": {"en": "Package", "zh": "政策包"}}
    _manifest(folder, scenarios={k: {"title": v} for k, v in titles.items()})


def write_explain_part(folder: Path) -> None:
    folder.mkdir(parents=True)
    pd.DataFrame(
        {
            "factor": ["scenario", "certification_reward", "certification_reward"],
            "kind": ["scenario", "lever", "lever"],
            "setting": ["as written", "off", "larger"],
            "value": [np.nan, 0.0, 40.0],
            "p_met": [0.7, 0.4, 0.9],
            "p_met_mc_error": [0.03, 0.03, 0.02],
            "change": [0.0, -0.3, 0.2],
            "change_mc_error": [0.0, 0.02, 0.02],
        }
    ).to_csv(folder / "explain.csv", index=False)
    effects = pd.DataFrame(
        {
            "factor": ["certification_reward"],
            "low": [0.4],
            "high": [0.9],
            "low_setting": ["off"],
            "high_setting": ["larger"],
        }
    )
    fig = plot_tornado(effects, 0.7, "synthetic", labels=ENGLISH)
    fig.savefig(folder / "tornado.png", dpi=50)
    plt.close(fig)
    _manifest(folder, target=CATALOGUE_ID, ladder={"scenario": "synthetic"}, note=f"explain note {SCRIPT}")
