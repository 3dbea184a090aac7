"""Tables and files from ladder-model forecasts: the `run` table with the ladder beside
the current trend, stage counts over time, scenario comparisons, explain's sweep.

Differences between scenarios or settings are paired per run
(`forecast.ladder.pipeline.paired_difference`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr

from forecast.inputs.stages import STAGE_INDICATORS
from forecast.inputs.tables import best_points, select_series
from forecast.inputs.targets import Target
from forecast.ladder.explain import ExplainReport, SearchResult
from forecast.ladder.gap import Gap
from forecast.ladder.pipeline import LadderPlan, LadderRun, LadderTargetResult, paired_difference
from forecast.probability import band_quantiles
from forecast.report.files import provenance, staged_output, write_manifest
from forecast.report.labels import ENGLISH, Labels
from forecast.report.ladder_charts import plot_fans_side_by_side, plot_ladder_fan, plot_stages, plot_tornado
from forecast.report.run import display_frame, figure_text, target_names, text_table
from models.ladder import LEVERS
from models.ladder.model import INDICATOR_COLUMNS, STOCK_COLUMNS

QUANTILES = (0.1, 0.5, 0.9)
OBSERVED_COLUMNS = {INDICATOR_COLUMNS[indicator]: indicator for indicator in STAGE_INDICATORS.values()}
"""Stage column -> the indicator whose figures are drawn beside it."""


def interval_text(median: float, low: float, high: float) -> str:
    return "-" if pd.isna(median) else f"{figure_text(median)} ({figure_text(low)}-{figure_text(high)})"


def probability_text(p: float, se: float) -> str:
    return "-" if pd.isna(p) else f"{p:.2f} ± {se:.2f}"


def ladder_columns(table: pd.DataFrame, results: Sequence[LadderTargetResult]) -> pd.DataFrame:
    """The trend results table with the ladder's median, 80% interval, P(met) and MC error added."""
    by_id = {r.target.target_id: r for r in results}
    out = table.copy()
    for column, get in {
        "ladder_median": "median",
        "ladder_low_80": "low",
        "ladder_high_80": "high",
        "ladder_p_met": "probability",
        "ladder_p_met_mc_error": "mc_error",
    }.items():
        out[column] = [getattr(by_id[t].result, get) if by_id[t].result else np.nan for t in table["target_id"]]
    out["ladder_note"] = [by_id[t].reason for t in table["target_id"]]
    return out


def format_ladder_table(
    table: pd.DataFrame, label: str, *, labels: Labels = ENGLISH, targets: Sequence[Target] = ()
) -> str:
    """Terminal table: the current trend and the ladder scenario side by side."""
    shown = display_frame(table, labels, targets)
    column = labels.text
    return text_table(
        pd.DataFrame(
            {
                **{column(c): shown[column(c)] for c in ("col_target", "col_deadline", "col_latest")},
                column("col_trend_interval"): [
                    interval_text(m, lo, hi)
                    for m, lo, hi in zip(table["median"], table["low_80"], table["high_80"], strict=True)
                ],
                column("col_trend_p"): shown[column("col_p_met")],
                column("col_ladder_interval"): [
                    interval_text(m, lo, hi)
                    for m, lo, hi in zip(
                        table["ladder_median"], table["ladder_low_80"], table["ladder_high_80"], strict=True
                    )
                ],
                column("col_ladder_p", label=label): [
                    probability_text(p, e)
                    for p, e in zip(table["ladder_p_met"], table["ladder_p_met_mc_error"], strict=True)
                ],
                **{column(c): shown[column(c)] for c in ("col_outcome", "col_diagnostics")},
            }
        )
    )


def stage_quantiles(ensembles: Mapping[str, xr.Dataset]) -> pd.DataFrame:
    """Per scenario, stage and year: mean and quantiles of the firm count over runs."""
    frames = []
    for label, ds in ensembles.items():
        for stage in STOCK_COLUMNS:
            values = ds[stage].values
            frame = pd.DataFrame(
                {"scenario": label, "stage": stage, "year": ds["year"].values, "mean": values.mean(axis=0)}
            )
            for q in QUANTILES:
                frame[f"q{q:g}"] = np.quantile(values, q, axis=0)
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def observed_stages(history: pd.DataFrame, region: str, series: Mapping[str, str], since: int) -> pd.DataFrame:
    """Published figures from `since` on of the stages the data hold (for the stage chart)."""
    frames = []
    for stage, indicator in OBSERVED_COLUMNS.items():
        rows = best_points(select_series(history, region, indicator, series.get(indicator, "main"))[0])
        rows = rows[rows["year"] >= since]
        frames.append(pd.DataFrame({"stage": stage, "year": rows["year"], "value": rows["value"]}))
    return pd.concat(frames, ignore_index=True)


def ladder_quantiles(run: LadderRun) -> pd.DataFrame:
    """Per indicator and year, the ladder's predictive quantiles."""
    frames = []
    for indicator, paths in run.paths.items():
        frame = pd.DataFrame({"region": run.plan.region, "indicator": indicator, "year": run.years})
        for level, values in band_quantiles(paths).items():
            frame[f"q{level:g}"] = values
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def plan_manifest(plan: LadderPlan) -> dict:
    """What a ladder plan uses: start state and its sources, settings, seeds, levers, parameter draws."""
    return {
        "scenario": plan.name,
        "start_year": plan.start.year,
        "stage_counts": plan.start.counts,
        "stage_count_sources": plan.start.sources,
        "start_rd_expenditure": plan.start.rd_total,
        "start_gdp": plan.start.gdp,
        "runs": plan.runs,
        "firm_scale": plan.firm_scale,
        "calibration": plan.calibration,
        "seed": plan.seed,
        "seed_streams": "runs: SeedSequence(seed, spawn_key=(1,)).spawn(runs); "
        "parameter p: SeedSequence(seed, spawn_key=(2, crc32(p)))",
        "levers": [{"lever": s.name, "size": s.size, "start": s.start_year, "end": s.end_year} for s in plan.levers],
        "uncertain_parameters": {
            c: [float(plan.params[c].min()), float(plan.params[c].max())] for c in plan.params.columns
        },
        "notes": list(plan.notes),
    }


def ladder_manifest(run: LadderRun, results: Sequence[LadderTargetResult] = ()) -> dict:
    """`plan_manifest` with the run's levers, notes and probabilities."""
    return {
        **plan_manifest(run.plan),
        "levers": [{"lever": s.name, "size": s.size, "start": s.start_year, "end": s.end_year} for s in run.levers],
        "notes": [*run.plan.notes, *run.notes],
        "probabilities": {
            r.target.target_id: (
                {"p_met": r.result.probability, "mc_error": r.result.mc_error} if r.result else r.reason
            )
            for r in results
        },
    }


def _value(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def gap_line(gap: Gap, labels: Labels) -> str:
    """One line saying where the ladder and the trend disagree and which assumption drives it."""
    words = {
        "target": labels.target(gap.target),
        "ladder": f"{_value(gap.ladder.median)} ({_value(gap.ladder.low)}-{_value(gap.ladder.high)})",
        "trend": f"{_value(gap.trend.median)} ({_value(gap.trend.low)}-{_value(gap.trend.high)})",
    }
    if gap.driver == "register":
        return labels.text("gap_register", switched=_value(gap.register_median), **words)
    if not gap.driver:
        return labels.text("gap_unexplained", **words)
    return labels.text(
        "gap_parameter",
        factor=labels.factor(gap.driver),
        rho=f"{gap.rho:+.2f}",
        favourable=_value(gap.favourable_median),
        **words,
    )


def save(fig: plt.Figure, path: Path) -> None:
    fig.savefig(path, dpi=110)
    plt.close(fig)


@dataclass
class LadderOutput:
    """A scenario's ladder forecast (`forecast.ladder.pipeline.forecast_ladder`) as `forecast run` shows and
    writes it."""

    run: LadderRun
    results: list[LadderTargetResult]
    history: pd.DataFrame
    series: Mapping[str, str]
    label: str
    labels: Labels = ENGLISH
    gaps: Sequence[Gap] = ()
    """Targets on which the ladder and the trend disagree, with their drivers (`forecast.ladder.gap`)."""

    def table(self, trend_table: pd.DataFrame) -> pd.DataFrame:
        return ladder_columns(trend_table, self.results)

    def format(self, table: pd.DataFrame) -> str:
        """The table, the start's stage counts, and the technical notes (in Chinese only their count: they are in
        English, and the CLI writes them to run.log)."""
        start = self.run.plan.start
        lines = [self.labels.start_line(s, c, start.sources[s]) for s, c in start.counts.items()]
        lines += [gap_line(g, self.labels) for g in self.gaps]
        notes = self.technical_notes()
        if self.labels.zh:
            lines += [self.labels.text("ladder_notes_in_log", n=len(notes))] if notes else []
        else:
            lines += [f"ladder note: {n}" for n in notes]
        targets = [r.target for r in self.results]
        return "\n".join([format_ladder_table(table, self.label, labels=self.labels, targets=targets), *lines])

    def technical_notes(self) -> list[str]:
        """The plan's and the run's notes (parameters' source, GDP fit, R&D start), in English."""
        return [*self.run.plan.notes, *self.run.notes]

    def manifest(self) -> dict:
        return {**ladder_manifest(self.run, self.results), "gaps": [g.record() for g in self.gaps]}

    def write(self, folder: Path) -> None:
        """Stage counts (CSV and chart), ladder quantiles and a ladder fan chart per judged target."""
        stages = stage_quantiles({self.label: self.run.ensemble})
        stages.to_csv(folder / "ladder_stages.csv", index=False)
        observed = observed_stages(self.history, self.run.plan.region, self.series, self.run.plan.start.year)
        save(plot_stages(stages, observed, labels=self.labels), folder / "ladder_stages.png")
        ladder_quantiles(self.run).to_csv(folder / "ladder_trajectories.csv", index=False)
        for r in self.results:
            if r.result is not None:
                rows = select_series(
                    self.history, r.target.region, r.target.indicator, self.series.get(r.target.indicator, "main")
                )[0]
                title = self.labels.text(
                    "ladder_fan_title",
                    label=self.label,
                    target=self.labels.target(r.target),
                    p=self.labels.text("p_met_short", p=r.result.probability, e=r.result.mc_error),
                )
                fig = plot_ladder_fan(
                    self.run.years,
                    self.run.paths[r.target.indicator],
                    rows,
                    r.target,
                    r.result.probability,
                    r.result.mc_error,
                    title,
                    calibrated=self.run.plan.calibration == "posterior",
                    labels=self.labels,
                )
                save(fig, folder / f"fan_ladder_{r.target.target_id}.png")


def compare_table(labels: Sequence[str], results: Mapping[str, Sequence[LadderTargetResult]]) -> pd.DataFrame:
    """Long table: per target and scenario, P(met) ± MC error and the paired difference from the first scenario."""
    rows = []
    first = {r.target.target_id: r for r in results[labels[0]]}
    for label in labels:
        for r in results[label]:
            base = first.get(r.target.target_id)
            diff, diff_se = (
                paired_difference(base.met, r.met)
                if base is not None and base.met is not None and r.met is not None and base.met.size == r.met.size
                else (np.nan, np.nan)
            )
            p = r.result
            rows.append(
                {
                    "target_id": r.target.target_id,
                    "target": r.target.describe(),
                    "scenario": label,
                    "p_met": p.probability if p else np.nan,
                    "p_met_mc_error": p.mc_error if p else np.nan,
                    "median": p.median if p else np.nan,
                    "low_80": p.low if p else np.nan,
                    "high_80": p.high if p else np.nan,
                    f"diff_vs_{labels[0]}": diff,
                    "diff_mc_error": diff_se,
                    "note": r.reason,
                }
            )
    return pd.DataFrame(rows)


def format_compare_table(
    table: pd.DataFrame,
    scenarios: Sequence[str],
    *,
    labels: Labels = ENGLISH,
    targets: Sequence[Target] = (),
    titles: Mapping[str, str] | None = None,
) -> str:
    """Terminal table: one row per target, one column per scenario, headed by its title (`titles`, by the scenario's
    key in `table`; the key where none is given); what every title shares is said once, above the table."""
    shared, title = shared_title([(titles or {}).get(s, s) for s in scenarios])
    title = dict(zip(scenarios, title, strict=True))
    diff = f"diff_vs_{scenarios[0]}"
    cell = {
        (r.target, r.scenario): probability_text(r.p_met, r.p_met_mc_error)
        + (
            ""
            if r.scenario == scenarios[0] or pd.isna(getattr(r, diff))
            else f" ({getattr(r, diff):+.2f} ± {r.diff_mc_error:.2f})"
        )
        for r in table.itertuples()
    }
    rows = table.drop_duplicates("target")
    names = dict(zip(rows["target"], target_names(rows, labels, targets), strict=True))
    wide = pd.DataFrame(
        {
            labels.text("col_target"): list(names.values()),
            **{title[s]: [cell.get((t, s), "-") for t in names] for s in scenarios},
        }
    )
    lines = [text_table(wide), labels.text("compare_note", first=title[scenarios[0]])]
    return "\n".join([shared, *lines] if shared else lines)


TITLE_BREAKS = ",，:：;；"
"""Where a title may be cut into the part scenarios share and their own."""


def shared_title(titles: Sequence[str]) -> tuple[str, list[str]]:
    """The start every title shares, up to a comma, colon or semicolon, and each title's own rest ('Langfang on the
    ladder model, current policy' and '..., package' share 'Langfang on the ladder model,'); ('', titles) where they
    share none or a rest would be empty."""
    common = os.path.commonprefix(list(titles)) if len(titles) > 1 else ""
    cut = max((common.rfind(c) for c in TITLE_BREAKS), default=-1) + 1
    rests = [s[cut:].strip() for s in titles]
    if cut == 0 or not all(rests) or len(set(rests)) < len(rests):
        return "", list(titles)
    return common[:cut].strip().rstrip(TITLE_BREAKS), rests


def write_compare(
    out_dir: Path,
    runs: Mapping[str, LadderRun],
    results: Mapping[str, list[LadderTargetResult]],
    history: pd.DataFrame,
    series: Mapping[str, str],
    meta: dict,
    *,
    labels: Labels = ENGLISH,
    titles: Mapping[str, str] | None = None,
) -> list[Path]:
    """compare.csv, stage counts (CSV, chart), one side-by-side fan chart per target, manifest: all or nothing. The
    files name each scenario by its key in `runs`, the charts by its title (`titles`)."""
    names = list(runs)
    title = {label: (titles or {}).get(label, label) for label in names}
    with staged_output(out_dir) as staging:
        compare_table(names, results).to_csv(staging / "compare.csv", index=False)
        stages = stage_quantiles({label: run.ensemble for label, run in runs.items()})
        stages.to_csv(staging / "stages.csv", index=False)
        region = runs[names[0]].plan.region
        save(
            plot_stages(
                stages.assign(scenario=stages["scenario"].map(title)),
                observed_stages(history, region, series, runs[names[0]].plan.start.year),
                labels=labels,
            ),
            staging / "stages.png",
        )
        for target_id in dict.fromkeys(r.target.target_id for label in names for r in results[label]):
            judged = {
                label: r for label in names for r in results[label] if r.target.target_id == target_id and r.result
            }
            if not judged:
                continue
            target = next(iter(judged.values())).target
            rows = select_series(history, target.region, target.indicator, series.get(target.indicator, "main"))[0]
            fig = plot_fans_side_by_side(
                {title[label]: (runs[label].years, runs[label].paths[target.indicator]) for label in judged},
                rows,
                target,
                {title[label]: (r.result.probability, r.result.mc_error) for label, r in judged.items()},
                calibrated={title[label]: runs[label].plan.calibration == "posterior" for label in judged},
                labels=labels,
            )
            save(fig, staging / f"fan_{target_id}.png")
        write_manifest(staging, meta)
    return sorted(Path(out_dir).iterdir())


def compare_manifest(
    *,
    command: str,
    seed: int,
    inputs: dict[str, str],
    runs: Mapping[str, LadderRun],
    results: Mapping[str, list[LadderTargetResult]],
    titles: Mapping[str, Mapping[str, str]] | None = None,
) -> dict:
    """Provenance and each scenario's ladder manifest, with its title in both languages (`titles`, by key)."""
    return {
        **provenance(command=command, seed=seed, inputs=inputs),
        "scenarios": {
            label: {**ladder_manifest(run, results[label]), "title": dict((titles or {}).get(label, {}))}
            for label, run in runs.items()
        },
    }


def format_explain(report: ExplainReport, labels: Labels = ENGLISH, title: str | None = None) -> str:
    """The sweep as a table, then the inverse search's answer, in the words of `labels`; the scenario named by its
    `title` (default: its English name)."""
    sweep = report.sweep
    column = labels.text
    shown = pd.DataFrame(
        {
            column("col_factor"): [
                column("col_scenario") if k == "scenario" else labels.factor(f)
                for f, k in zip(sweep["factor"], sweep["kind"], strict=True)
            ],
            column("col_setting"): sweep["setting"].map(labels.setting),
            column("col_value"): ["-" if pd.isna(v) else f"{v:.3g}" for v in sweep["value"]],
            column("col_p_met"): [
                probability_text(p, e) for p, e in zip(sweep["p_met"], sweep["p_met_mc_error"], strict=True)
            ],
            column("col_change"): [
                "-" if k == "scenario" else f"{c:+.2f} ± {e:.2f}"
                for k, c, e in zip(sweep["kind"], sweep["change"], sweep["change_mc_error"], strict=True)
            ],
        }
    )
    lines = [
        column(
            "explain_heading",
            target=labels.target(report.target),
            label=title or report.plan.name,
            runs=report.plan.runs,
        ),
        text_table(shown),
        column("explain_note"),
    ]
    if report.search is not None:
        lines.append(search_text(report.search, labels))
    if report.note:
        lever = labels.factor(report.search.lever) if report.search is not None else ""
        lines.append(column("note", text=column("search_note", lever=lever) if lever else column("no_lever_note")))
    return "\n".join(lines)


def search_text(search: SearchResult, labels: Labels) -> str:
    """The inverse search's answer (`forecast.ladder.explain.inverse_search`; its ``message`` names the lever by its
    key, for the manifest) in words: the lever by its name, its size in its unit (Chinese units from
    ``data/ladder_factors.csv``)."""
    unit = labels.factor_unit(search.lever, LEVERS[search.lever].unit)
    values = {"lever": labels.factor(search.lever), "goal": search.goal, "p": search.probability, "e": search.mc_error}
    if search.status == "already":
        return labels.text("search_already", size=f"{search.size:g}", **values)
    if search.status == "reached":
        return labels.text("search_reached", size=f"{search.size:g}", unit=unit, resolution=search.resolution, **values)
    return labels.text("search_unreachable", low=f"{search.low:g}", high=f"{search.high:g}", unit=unit, **values)


def write_explain(
    out_dir: Path, report: ExplainReport, meta: dict, *, labels: Labels = ENGLISH, title: str | None = None
) -> list[Path]:
    """explain.csv (the sweep), tornado.png, inverse.csv (the search's trace), manifest.json: all or nothing."""
    with staged_output(out_dir) as staging:
        report.sweep.to_csv(staging / "explain.csv", index=False)
        save(
            plot_tornado(
                report.effects,
                report.baseline,
                labels.text("tornado_title", target=labels.target(report.target), label=title or report.plan.name),
                labels=labels,
            ),
            staging / "tornado.png",
        )
        if report.search is not None:
            pd.DataFrame(report.search.trace, columns=["size", "p_met", "p_met_mc_error"]).assign(
                lever=report.search.lever
            ).to_csv(staging / "inverse.csv", index=False)
            meta = {**meta, "inverse_search": {k: v for k, v in vars(report.search).items() if k != "trace"}}
        meta = {**meta, "ladder": plan_manifest(report.plan), "target": report.target.target_id, "note": report.note}
        write_manifest(staging, meta)
    return sorted(Path(out_dir).iterdir())
