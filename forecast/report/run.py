"""Tables and files from a run: the results table, fan charts, quantiles, the manifest.

Files are written all or nothing (`forecast.report.files.staged_output`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from forecast.inputs.bundle import Inputs
from forecast.inputs.targets import Target
from forecast.probability import band_quantiles, first_met, joint_probability, met_draws
from forecast.report.charts import plot_fan
from forecast.report.files import provenance, staged_output, write_manifest
from forecast.report.labels import ENGLISH, Labels, names_used, scenario_names
from forecast.scenario import Scenario
from forecast.trend.fits import FitSummary
from forecast.trend.growth import GrowthCheck
from forecast.trend.pipeline import TargetResult

FIGURE_COLUMNS = ["region", "indicator", "year", "value", "unit", "source", "flag", "series"]


def results_table(results: list[TargetResult]) -> pd.DataFrame:
    """One row per target: deadline, latest figure, projection, P(met), outcome, diagnostics."""
    rows = []
    for r in results:
        t, p = r.target, r.result
        rows.append(
            {
                "target_id": t.target_id,
                "target": t.describe(),
                "milestone": t.milestone,
                "deadline": t.target_year,
                "data_up_to": r.cutoff if r.cutoff is not None else r.latest_year,
                "latest_year": r.latest_year,
                "latest_value": r.latest_value,
                "median": p.median if p else np.nan,
                "low_80": p.low if p else np.nan,
                "high_80": p.high if p else np.nan,
                "p_met": p.probability if p else np.nan,
                "p_met_mc_error": p.mc_error if p else np.nan,
                "level_with_p80": p.levels.get(0.8, np.nan) if p else np.nan,
                "model": r.fit.model if r.fit else "",
                "outcome": r.outcome,
                "outcome_met": r.outcome_met,
                "diagnostics": r.fit.diagnostics.status if r.fit else r.reason,
                "notes": " | ".join(r.fit.notes) if r.fit else r.reason,
                **growth_columns(r.growth),
            }
        )
    return pd.DataFrame(rows)


def growth_columns(check: GrowthCheck | None) -> dict:
    """The growth check as table cells: the median's implied yearly growth, the region's and its parent's
    recent growth (with their years), and whether the projection runs far from both."""
    cells = {"implied_growth": np.nan, "growth_far": False}
    for role in ("region", "parent"):
        cells |= {f"{role}_recent": "", f"{role}_recent_years": "", f"{role}_recent_growth": np.nan}
    if check is None:
        return cells
    cells |= {"implied_growth": check.implied, "growth_far": check.far}
    for role, g in zip(("region", "parent"), check.recent, strict=False):
        if g is None:
            continue
        years = f"{g.start}-{g.end}"
        cells |= {f"{role}_recent": g.region, f"{role}_recent_years": years, f"{role}_recent_growth": g.rate}
    return cells


def growth_text(row) -> str:
    """'+13% | +18%, +12%': the median's yearly growth, then the region's and its parent's recent growth."""
    implied = getattr(row, "implied_growth", np.nan)
    if pd.isna(implied):
        return "-"
    rates = [getattr(row, f"{role}_recent_growth", np.nan) for role in ("region", "parent")]
    return f"{implied:+.0%} | " + (", ".join(f"{r:+.0%}" for r in rates if pd.notna(r)) or "-")


def recent_text(row, labels: Labels) -> str:
    """'廊坊市 2020-2022 +18%; 河北省 2022-2024 +12%': the recent growth a projection is read against."""
    parts = []
    for role in ("region", "parent"):
        rate = getattr(row, f"{role}_recent_growth", np.nan)
        if pd.notna(rate):
            name, years = labels.region(getattr(row, f"{role}_recent")), getattr(row, f"{role}_recent_years")
            parts.append(f"{name} {years} {rate:+.0%}")
    return "; ".join(parts)


def growth_warnings(table: pd.DataFrame, labels: Labels = ENGLISH, targets: Iterable[Target] = ()) -> list[str]:
    """One line per target whose projection grows far faster or slower than the figures have lately."""
    names = target_names(table, labels, targets)
    return [
        labels.text("growth_far", target=name, implied=f"{row.implied_growth:+.0%}", recent=recent_text(row, labels))
        for name, row in zip(names, table.itertuples(), strict=True)
        if getattr(row, "growth_far", False)
    ]


def figure_text(value: float) -> str:
    """A projected level for the terminal: four significant digits, never in e-notation."""
    if pd.isna(value):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def text_table(frame: pd.DataFrame) -> str:
    """A table of text cells for the terminal, its columns aligned for Chinese characters (two columns wide)."""
    with pd.option_context("display.unicode.east_asian_width", True, "display.width", 10_000):
        return frame.to_string(index=False)


def format_table(table: pd.DataFrame, labels: Labels = ENGLISH, targets: Iterable[Target] = ()) -> str:
    """The results table as plain text for the terminal, in the words of `labels`."""
    return text_table(display_frame(table, labels, targets))


def target_names(table: pd.DataFrame, labels: Labels, targets: Iterable[Target]) -> list[str]:
    """Each row's target in words (`Labels.target`), found by the table's ``target_id``."""
    by_id = {t.target_id: labels.target(t) for t in targets}
    return [by_id.get(i, d) for i, d in zip(table["target_id"], table["target"], strict=True)]


def display_frame(table: pd.DataFrame, labels: Labels = ENGLISH, targets: Iterable[Target] = ()) -> pd.DataFrame:
    """The results table's columns as the terminal shows them (text cells, headers in the words of `labels`)."""
    return pd.DataFrame(
        {
            labels.text("col_target"): target_names(table, labels, targets),
            labels.text("col_deadline"): table["deadline"],
            labels.text("col_latest"): [
                f"{v:g} ({y})" if pd.notna(v) else "-"
                for v, y in zip(table["latest_value"], table["latest_year"], strict=True)
            ],
            labels.text("col_median"): table["median"].map(figure_text),
            labels.text("col_interval"): [
                f"{figure_text(lo)}-{figure_text(hi)}" if pd.notna(lo) else "-"
                for lo, hi in zip(table["low_80"], table["high_80"], strict=True)
            ],
            labels.text("col_p_met"): [
                f"{p:.2f} ± {e:.2f}" if pd.notna(p) else "-"
                for p, e in zip(table["p_met"], table["p_met_mc_error"], strict=True)
            ],
            labels.text("col_outcome"): [
                labels.outcome(o, bool(m)) for o, m in zip(table["outcome"], table["outcome_met"], strict=True)
            ],
            labels.text("col_growth"): [growth_text(row) for row in table.itertuples()],
            labels.text("col_diagnostics"): table["diagnostics"].map(labels.status),
        }
    )


def first_met_table(results: list[TargetResult]) -> pd.DataFrame:
    """Per target and year to its deadline: P(first met that year) and P(met by then)."""
    frames = [
        first_met(r.fit.paths, r.fit.years, r.target, after=r.latest_year).assign(target_id=r.target.target_id)
        for r in results
        if r.result is not None
    ]
    columns = ["target_id", "year", "p_first_met", "p_met_by"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def joint_summary(results: list[TargetResult]) -> dict:
    """P(all targets with a probability are met), from the same draw positions."""
    usable = [r for r in results if r.result is not None]
    if len(usable) < 2:
        return {}
    met = [met_draws(r.fit.paths, r.fit.years, r.target) for r in usable]
    if len({m.shape for m in met}) != 1:
        return {"p_all_met": None, "note": "targets come from fits with different draw counts; no joint probability"}
    p, err = joint_probability(met)
    groups = {r.fit.group or r.fit.key[1:4] for r in usable}
    joint_fits = any(
        len({r.target.indicator for r in usable if (r.fit.group or r.fit.key[1:4]) == g}) > 1 for g in groups
    )
    separate = len(groups) > 1
    kind = ("partly" if joint_fits else "separate") if separate else "shared"
    return {
        "p_all_met": p,
        "mc_error": err,
        "targets": [r.target.target_id for r in usable],
        "separate": separate,
        "kind": kind,
        "note": JOINT_NOTES[kind],
    }


JOINT_NOTES = {
    "shared": "all targets share one set of trajectories",
    "separate": "indicators fitted separately are treated as independent",
    "partly": "indicators fitted jointly are drawn together; those fitted separately are treated as independent",
}


def figures_used(results: list[TargetResult]) -> pd.DataFrame:
    """The published figures each fit used for its target's region (with their source), once each."""
    frames = [r.fit.observations for r in results if r.fit is not None]
    if not frames:
        return pd.DataFrame(columns=FIGURE_COLUMNS)
    rows = pd.concat(frames, ignore_index=True)
    rows = rows[[c for c in FIGURE_COLUMNS if c in rows.columns]].drop_duplicates()
    return rows.sort_values(["region", "indicator", "year"]).reset_index(drop=True)


def scenario_question(spec: Scenario, targets: Iterable[Target], inputs: Inputs) -> dict:
    """What the run asked, as its manifest keeps it for the report: region, description, targets, levers,
    models, and the names of what it shows in both languages (`forecast.report.labels.names_used`)."""
    targets = list(targets)
    return {
        "title": scenario_names(spec, inputs),
        "region": spec.region,
        "description": spec.description,
        "description_zh": spec.description_zh,
        "horizon": spec.horizon,
        "as_of": spec.as_of,
        "targets": [t.model_dump() for t in targets],
        "levers": [c.model_dump() for c in spec.levers],
        "uncertainties": {k: u.model_dump() for k, u in spec.uncertainties.items()},
        "models": spec.models.model_dump(),
        "names": names_used(inputs, targets),
    }


def joint_line(joint: dict, labels: Labels = ENGLISH) -> str:
    """'P(all N targets met) = p ± e (how the targets were combined)', in the words of `labels`."""
    kind = joint.get("kind") or ("separate" if joint["separate"] else "shared")
    note = labels.text(f"joint_{kind}")
    return labels.text("p_all_met", n=len(joint["targets"]), p=joint["p_all_met"], e=joint["mc_error"], note=note)


def trajectory_quantiles(results: list[TargetResult]) -> pd.DataFrame:
    """Per target and year, the predictive quantiles (so anyone can redraw the fans)."""
    frames = []
    seen = set()
    for r in results:
        if r.fit is None or r.fit.key in seen:
            continue
        seen.add(r.fit.key)
        q = band_quantiles(r.fit.paths)
        region, indicator, series, cutoff, _ = r.fit.key
        frame = pd.DataFrame(
            {"region": region, "indicator": indicator, "series": series, "data_up_to": cutoff, "year": r.fit.years}
        )
        for level, values in q.items():
            frame[f"q{level:g}"] = values
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def manifest(
    *, scenario_name: str, seed: int, inputs: dict[str, str], results: list[TargetResult], command: str
) -> dict:
    return {
        "scenario": scenario_name,
        **provenance(command=command, seed=seed, inputs=inputs),
        "fits": [
            {
                "region": k[0],
                "indicator": k[1],
                "series": k[2],
                "data_up_to": k[3],
                "horizon": k[4],
                "diagnostics": fit.diagnostics.to_dict(),
                "notes": fit.notes,
            }
            for k, fit in {r.fit.key: r.fit for r in results if r.fit}.items()
        ],
    }


def write_run(
    out_dir: Path,
    results: list[TargetResult],
    table: pd.DataFrame,
    meta: dict,
    extra: Callable[[Path], None] | None = None,
    *,
    labels: Labels = ENGLISH,
) -> list[Path]:
    """Write table, quantiles, charts and manifest into `out_dir`, all or nothing.

    `extra(staging)` writes further files (e.g. the ladder model's) inside the same
    all-or-nothing step.
    """
    with staged_output(out_dir) as staging:
        if extra is not None:
            extra(staging)
        table.to_csv(staging / "targets.csv", index=False)
        trajectory_quantiles(results).to_csv(staging / "trajectories.csv", index=False)
        first_met_table(results).to_csv(staging / "first_met.csv", index=False)
        figures_used(results).to_csv(staging / "figures.csv", index=False)
        for r in results:
            if r.result is None:
                continue
            fig = plot_fan(
                r.fit.years,
                r.fit.paths,
                r.fit.observations,
                r.target,
                r.result.probability,
                r.result.mc_error,
                outcome=r.outcome,
                cutoff=r.cutoff,
                status=r.fit.diagnostics.status,
                labels=labels,
            )
            fig.savefig(staging / f"fan_{r.target.target_id}.png", dpi=110)
            plt.close(fig)
        write_manifest(staging, meta)
    return sorted(Path(out_dir).iterdir())


def format_fit_summaries(summaries: Iterable[FitSummary], labels: Labels, folder: str | None) -> str:
    """`forecast fit`'s lines: each panel's indicators, data, models and check in words; where the posteriors are."""
    sep = "、" if labels.zh else ", "
    lines = []
    for s in summaries:
        names = {k: labels.variant(k) for k in s.weights}
        models = (
            labels.text("fit_weights", weights=sep.join(f"{names[k]} {w:.2f}" for k, w in s.weights.items()))
            if len(s.weights) > 1
            else labels.text("fit_model", model=next(iter(names.values())))
        )
        indicators = sep.join(labels.indicator(i) for i in s.indicators)
        lines.append(
            labels.text(
                "fit_line",
                indicators=indicators,
                year=s.end_year,
                regions=s.regions,
                models=models,
                status=labels.status(s.status),
            )
        )
    lines.append(labels.text("fit_saved", folder=folder) if folder else labels.text("fit_unsaved"))
    return "\n".join(lines)
