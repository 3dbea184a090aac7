"""Several scenarios of one region on the ladder model, side by side, as one piece of work.

Every scenario is planned with one seed and one ensemble size (common random numbers:
run i has the same seed and parameter draw in each), then the batches of all of them are
one list of tasks (scenarios x batches, `forecast.ladder.ensemble.run_batches`), so the
workers stay busy across scenarios; each batch's numbers are its own, whatever runs it. The
runs' start populations are kept (`LadderPlan.keep_starts`): every scenario after the first
takes them instead of drawing them again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pandas as pd

from forecast.inputs.targets import Target
from forecast.ladder.ensemble import run_batches
from forecast.ladder.pipeline import (
    LadderRun,
    LadderTargetResult,
    finish_run,
    ladder_probabilities,
    needs_gdp,
    plan_jobs,
    plan_ladder,
)
from forecast.progress import SILENT, Reporter, message
from forecast.scenario import Scenario


def compare_scenarios(
    scenarios: Mapping[str, tuple[Scenario, list[Target]]],
    history: pd.DataFrame,
    regions: pd.DataFrame,
    indicators: pd.DataFrame,
    *,
    seed: int,
    runs: int,
    reporter: Reporter = SILENT,
    **planning,
) -> tuple[dict[str, LadderRun], dict[str, list[LadderTargetResult]]]:
    """Every scenario's ladder forecast with one seed and one ensemble size (module docstring)."""
    gdp_cache: dict = {}
    plans = {
        label: plan_ladder(
            scenario,
            history,
            regions,
            indicators,
            need_gdp=needs_gdp(targets),
            seed=seed,
            runs=runs,
            gdp_cache=gdp_cache,
            reporter=reporter,
            **planning,
        )
        for label, (scenario, targets) in scenarios.items()
    }
    jobs = {label: plan_jobs(replace(plan, keep_starts=True), plan.levers) for label, plan in plans.items()}
    first = next(iter(plans.values()))
    flat = [job for label in plans for job in jobs[label]]
    cubes = iter(
        run_batches(
            flat,
            workers=first.workers,
            scheduler=first.scheduler,
            store=first.store,
            reporter=reporter,
            desc=message("progress_scenarios", count=len(plans)),
        )
    )
    runs_by_label, results = {}, {}
    for label, (_, targets) in scenarios.items():
        mine = [next(cubes) for _ in jobs[label]]
        runs_by_label[label] = finish_run(plans[label], plans[label].levers, jobs[label], mine)
        results[label] = ladder_probabilities(runs_by_label[label], targets)
    return runs_by_label, results
