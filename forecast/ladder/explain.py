"""Which levers and uncertainties move P(target), and how much of a lever a chosen
probability needs: a designed one-at-a-time sweep and an inverse search, both on
ensembles with common random numbers (every setting reuses the plan's run seeds and
parameter draws, so a difference between settings is the setting's, not noise).

Sweep. For each lever L set in the scenario, with status quo q and scenario size s::

    off      L at its status quo (the scenario's settings of L removed)
    scenario as written
    larger   q + 2 (s - q), clipped to L's allowed range (skipped when that is s)

and for each uncertain parameter p with range [low, high]: p fixed at low, then at
high, in every run (the other parameters keep their draws). A rate the calibration
estimated (``calibration: posterior``) is swept over its posterior's 10% and 90%
quantiles instead of a range (`sweep_ranges`): how much the probability rests on what
the data leave uncertain. Each setting's effect is
``P(setting) - P(scenario)`` with the paired Monte Carlo error (`forecast.ladder.pipeline.paired_difference`).

Inverse. The smallest change of a lever from its status quo q towards the bound b
that helps (the larger of P at the allowed bounds) that gives P(target) >= goal::

    P(q) >= goal          -> reached without the lever
    P(b) <  goal          -> no size in [q, b] reaches the goal
    otherwise bisection on [q, b], `steps` halvings: the answer is within |b - q| / 2^steps

P(s) from an ensemble with common random numbers is a step function, close to
monotone in s; the answer is stated with P and its MC error at that size.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from forecast.inputs.targets import Target
from forecast.ladder.pipeline import LadderPlan, ladder_probabilities, paired_difference, simulate, with_lever
from forecast.progress import LADDER_RUNS, SILENT, Message, Reporter, message
from models.ladder import LEVERS, LeverSetting
from models.ladder.calibration import SAMPLED

SEARCH_STEPS = 6
UNBOUNDED_SEARCH_FACTOR = 10
"""For a lever with no upper bound, search up to this multiple of the scenario's size (or --max-size)."""


@dataclass(frozen=True)
class Setting:
    """One point of the sweep."""

    factor: str
    kind: str
    setting: str
    value: float | None
    levers: tuple[LeverSetting, ...]
    fixed: dict[str, float] = field(default_factory=dict)


@dataclass
class SearchResult:
    """The inverse search's answer, with its trace of (size, P, MC error)."""

    lever: str
    goal: float
    status: str
    size: float | None
    probability: float
    mc_error: float
    low: float
    high: float
    resolution: float
    trace: list[tuple[float, float, float]]
    message: str


def lever_window(plan: LadderPlan, name: str) -> tuple[int | None, int | None]:
    """The years a lever acts: its first setting's window in the scenario, else the whole projection."""
    setting = next((s for s in plan.levers if s.name == name), None)
    return (setting.start_year, setting.end_year) if setting else (plan.start.year + 1, plan.end_year)


def status_quo_size(plan: LadderPlan, name: str) -> float:
    start, _ = lever_window(plan, name)
    return LEVERS[name].status_quo_at(start or plan.start.year + 1)


POSTERIOR_QUANTILES = (0.1, 0.9)


def sweep_ranges(plan: LadderPlan, ranges: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """The (low, high) each uncertain parameter is swept over: calibrated rates at their
    posterior's `POSTERIOR_QUANTILES`, the others at the scenario's range."""
    if plan.calibration != "posterior":
        return dict(ranges)
    calibrated = [c for c in plan.params.columns if c in SAMPLED]
    quantiles = {c: tuple(float(q) for q in plan.params[c].quantile(list(POSTERIOR_QUANTILES))) for c in calibrated}
    return {**quantiles, **{name: r for name, r in ranges.items() if name not in quantiles}}


def sweep_settings(plan: LadderPlan, ranges: dict[str, tuple[float, float]], only: str | None = None) -> list[Setting]:
    """The sweep's settings (module docstring); `only` restricts it to one lever."""
    settings = [Setting("scenario", "scenario", "as written", None, plan.levers)]
    for name in dict.fromkeys(s.name for s in plan.levers):
        if only is not None and name != only:
            continue
        size = next(s.size for s in plan.levers if s.name == name)
        quo, (low, high) = status_quo_size(plan, name), LEVERS[name].bounds
        settings.append(Setting(name, "lever", "off", quo, with_lever(plan.levers, name, None, (None, None))))
        larger = min(max(quo + 2 * (size - quo), low), high)
        if larger != size:
            settings.append(
                Setting(
                    name, "lever", "larger", larger, with_lever(plan.levers, name, larger, lever_window(plan, name))
                )
            )
    if only is None:
        for name, (low, high) in ranges.items():
            settings += [
                Setting(name, "uncertainty", label, value, plan.levers, {name: value})
                for label, value in (("low", low), ("high", high))
            ]
    return settings


def evaluate(
    plan: LadderPlan, target: Target, levers, fixed=None, *, reporter: Reporter = SILENT, desc: Message = LADDER_RUNS
) -> tuple[float, float, np.ndarray]:
    """P(target met), its MC error and the per-run outcomes of one ensemble."""
    run = simulate(plan, levers=levers, fixed=fixed, reporter=reporter, desc=desc)
    result = ladder_probabilities(run, [target])[0]
    if result.result is None:
        raise ValueError(f"the ladder cannot judge {target.target_id}: {result.reason}")
    return result.result.probability, result.result.mc_error, result.met


def run_sweep(
    plan: LadderPlan, target: Target, settings: list[Setting], *, reporter: Reporter = SILENT
) -> pd.DataFrame:
    """One row per setting: P(met), MC error, change from the scenario and its paired MC error."""
    rows, base = [], None
    for s in settings:
        p, se, met = evaluate(
            plan,
            target,
            s.levers,
            s.fixed,
            reporter=reporter,
            desc=message("progress_setting", factor=s.factor, setting=s.setting),
        )
        base = met if base is None else base
        change, change_se = paired_difference(base, met)
        rows.append(
            {
                "factor": s.factor,
                "kind": s.kind,
                "setting": s.setting,
                "value": s.value,
                "p_met": p,
                "p_met_mc_error": se,
                "change": change,
                "change_mc_error": change_se,
            }
        )
    return pd.DataFrame(rows)


def tornado_effects(sweep: pd.DataFrame) -> pd.DataFrame:
    """Per factor, P(met) at its low end (off / low) and high end (larger or scenario / high), with the names of
    those settings (``low_setting``, ``high_setting``)."""
    base = sweep[sweep["kind"] == "scenario"].iloc[0]
    rows = []
    for factor, part in sweep[sweep["kind"] != "scenario"].groupby("factor", sort=False):
        by = part.set_index("setting")
        if part["kind"].iloc[0] == "lever":
            low, low_setting = by.at["off", "p_met"], "off"
            high, high_setting = (
                (by.at["larger", "p_met"], "larger") if "larger" in by.index else (base["p_met"], "as written")
            )
        else:
            low, low_setting, high, high_setting = by.at["low", "p_met"], "low", by.at["high", "p_met"], "high"
        rows.append(
            {"factor": factor, "low": low, "high": high, "low_setting": low_setting, "high_setting": high_setting}
        )
    return pd.DataFrame(rows, columns=["factor", "low", "high", "low_setting", "high_setting"])


def search_size(
    evaluate_at: Callable[[float], tuple[float, float]],
    quo: float,
    bound: float,
    goal: float,
    steps: int = SEARCH_STEPS,
) -> tuple[str, float | None, float, float, list[tuple[float, float, float]]]:
    """Bisection from the status quo `quo` towards `bound` for the smallest change with P >= goal.

    Returns (status, size, P, MC error, trace); status is "already", "reached" or "unreachable".
    """
    trace = []

    def at(size: float) -> tuple[float, float]:
        p, se = evaluate_at(size)
        trace.append((size, p, se))
        return p, se

    p, se = at(quo)
    if p >= goal:
        return "already", quo, p, se, trace
    p_far, se_far = at(bound)
    if p_far < goal:
        return "unreachable", None, p_far, se_far, trace
    near, far, best = quo, bound, (p_far, se_far)
    for _ in range(steps):
        mid = (near + far) / 2
        p, se = at(mid)
        if p >= goal:
            far, best = mid, (p, se)
        else:
            near = mid
    return "reached", far, best[0], best[1], trace


def inverse_search(
    plan: LadderPlan,
    target: Target,
    lever: str,
    goal: float,
    *,
    max_size: float | None = None,
    steps: int = SEARCH_STEPS,
    reporter: Reporter = SILENT,
    known: dict[float, tuple[float, float]] | None = None,
) -> SearchResult:
    """The smallest size of `lever` with P(target) >= goal (module docstring).

    `known` holds (P, MC error) already simulated at some sizes (from the sweep), with
    the same seeds and window, so the search does not run them again.
    """
    spec, window = LEVERS[lever], lever_window(plan, lever)
    quo = status_quo_size(plan, lever)
    size_in_scenario = next((s.size for s in plan.levers if s.name == lever), None)
    low, high = spec.bounds
    if math.isinf(high):
        if max_size is None and not size_in_scenario:
            raise ValueError(f"{lever} has no upper bound and no size in the scenario: give --max-size")
        high = max_size if max_size is not None else UNBOUNDED_SEARCH_FACTOR * size_in_scenario
    elif max_size is not None:
        high = min(high, max_size)
    cache: dict[float, tuple[float, float]] = dict(known or {})

    def evaluate_at(size: float) -> tuple[float, float]:
        if size not in cache:
            cache[size] = evaluate(
                plan,
                target,
                with_lever(plan.levers, lever, size, window),
                reporter=reporter,
                desc=message("progress_lever_size", factor=lever, size=f"{size:g}"),
            )[:2]
        return cache[size]

    bound = high
    if quo > low and evaluate_at(low)[0] > evaluate_at(high)[0]:
        bound = low  # the lever helps when lowered (e.g. the income-tax rate)
    status, size, p, se, trace = search_size(evaluate_at, quo, bound, goal, steps)
    resolution = abs(bound - quo) / 2**steps
    searched = f"[{min(quo, bound):g}, {max(quo, bound):g}] {spec.unit}" + (
        " (the lever has no upper bound; searched up to here)" if math.isinf(spec.bounds[1]) and bound == high else ""
    )
    if status == "already":
        summary = (
            f"P(met) is {p:.2f} ± {se:.2f} with {lever} at its status quo {quo:g} "
            f"(other levers as in the scenario): the goal {goal:.2f} is reached without it"
        )
    elif status == "reached":
        summary = (
            f"smallest {lever} with P(met) >= {goal:.2f}: {size:g} {spec.unit} (within {resolution:.3g}); "
            f"there P(met) = {p:.2f} ± {se:.2f} (Monte Carlo error)"
        )
    else:  # only the status's own message is formatted: `size` is None unless the goal was reached
        summary = (
            f"no size of {lever} within {searched} reaches P(met) >= {goal:.2f}: "
            f"at {bound:g} P(met) = {p:.2f} ± {se:.2f}"
        )
    return SearchResult(lever, goal, status, size, p, se, min(quo, bound), max(quo, bound), resolution, trace, summary)


def sweep_sizes(sweep: pd.DataFrame, plan: LadderPlan, lever: str) -> dict[float, tuple[float, float]]:
    """P(met) at the sizes the sweep ran for a lever set once in the scenario ("off" is its
    status quo: a lever at its status quo changes nothing and draws no random numbers)."""
    settings = [s for s in plan.levers if s.name == lever]
    if len(settings) != 1:
        return {}
    base = sweep[sweep["kind"] == "scenario"].iloc[0]
    known = {settings[0].size: (base["p_met"], base["p_met_mc_error"])}
    for row in sweep[sweep["factor"] == lever].itertuples():
        if row.setting == "off" and isinstance(LEVERS[lever].status_quo, tuple):
            continue  # a dated status quo is not one constant size
        known[float(row.value)] = (row.p_met, row.p_met_mc_error)
    return known


def strongest_lever(sweep: pd.DataFrame) -> str | None:
    """The lever whose settings span the widest range of P(met) (None if the sweep has no lever)."""
    effects = tornado_effects(sweep)
    levers = effects[effects["factor"].isin(set(sweep.loc[sweep["kind"] == "lever", "factor"]))]
    if levers.empty:
        return None
    return str(levers.assign(width=(levers["high"] - levers["low"]).abs()).sort_values("width").iloc[-1]["factor"])


@dataclass
class ExplainReport:
    """explain's answer: the sweep, the tornado's effects and the inverse search (if any)."""

    plan: LadderPlan
    target: Target
    sweep: pd.DataFrame
    effects: pd.DataFrame
    search: SearchResult | None
    note: str = ""

    @property
    def baseline(self) -> float:
        return float(self.sweep.loc[self.sweep["kind"] == "scenario", "p_met"].iloc[0])


def search_problem(sizes: dict[str, float], lever: str, max_size: float | None) -> str:
    """Why an inverse search on `lever` cannot start ('' if it can); `sizes`: the scenario's lever sizes."""
    if lever not in LEVERS:
        return f"unknown lever '{lever}'"
    if math.isinf(LEVERS[lever].bounds[1]) and max_size is None and not sizes.get(lever):
        return f"{lever} has no upper bound and no size in the scenario"
    return ""


def through_target(plan: LadderPlan, target: Target) -> LadderPlan:
    """The plan with its ensembles stopped at the target's year: later years cannot change whether it is met,
    and every year up to it keeps its numbers (`LadderPlan.stop_year`)."""
    if plan.start.year < target.target_year < plan.last_year:
        return replace(plan, stop_year=target.target_year)
    return plan


def explain_plan(
    plan: LadderPlan,
    target: Target,
    ranges: dict[str, tuple[float, float]],
    *,
    goal: float,
    lever: str | None = None,
    max_size: float | None = None,
    steps: int = SEARCH_STEPS,
    reporter: Reporter = SILENT,
) -> ExplainReport:
    """Sweep every lever and uncertainty, then search the size of `lever` (default: the strongest lever in the
    sweep); every ensemble stops at the target's year (`through_target`) and takes the start populations the
    first drew (`LadderPlan.keep_starts`)."""
    simulated = replace(through_target(plan, target), keep_starts=True)  # every ensemble runs the same runs
    sweep = run_sweep(simulated, target, sweep_settings(plan, sweep_ranges(plan, ranges)), reporter=reporter)
    chosen = lever or strongest_lever(sweep)
    if chosen is None:
        return ExplainReport(
            plan,
            target,
            sweep,
            tornado_effects(sweep),
            None,
            "the scenario sets no lever: give --lever NAME for the inverse search",
        )
    search = inverse_search(
        simulated,
        target,
        chosen,
        goal,
        max_size=max_size,
        steps=steps,
        reporter=reporter,
        known=sweep_sizes(sweep, plan, chosen),
    )
    note = (
        ""
        if lever
        else f"inverse search on {chosen}, the lever that moves P(met) most in the sweep (choose another with --lever)"
    )
    return ExplainReport(plan, target, sweep, tornado_effects(sweep), search, note)
