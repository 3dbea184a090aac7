"""What `forecast backtest` and `forecast audit` print and write.

The scores are computed in `forecast.evaluation` (`backtest.run_backtest`,
`audit.run_audit`); here they become terminal text and an output folder, written all or
nothing (`forecast.report.files.staged_output`):

* backtest: ``backtest.csv`` (one row per origin, region, indicator, year and method),
  ``scores.csv`` (`score_table`), ``reliability.csv`` and ``reliability.png`` (threshold
  events pooled over origins), ``excluded.csv`` and ``manifest.json``;
* audit: ``audit.csv`` (scored targets, then skipped ones with their reason),
  ``reliability.csv`` and ``manifest.json``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from forecast.evaluation.audit import audit_reliability, audit_scores
from forecast.evaluation.backtest import (
    EARLIER_BASIS,
    LADDER,
    LOWER_BOUND_OUTCOME,
    METHODS,
    MIN_FIGURES,
    MODEL,
    NO_FORECAST,
    NO_START,
    TOO_FEW,
    BacktestResult,
    indicator_table,
    reliability_by_method,
    score_table,
)
from forecast.report.charts import plot_reliability
from forecast.report.files import staged_output, write_manifest
from forecast.report.labels import ENGLISH, Labels
from forecast.report.run import target_names, text_table

EXCLUDED = {
    TOO_FEW: "excluded_too_few",
    LOWER_BOUND_OUTCOME: "excluded_lower_bound",
    EARLIER_BASIS: "excluded_earlier_basis",
    NO_FORECAST: "excluded_no_forecast",
    NO_START: "excluded_no_ladder_start",
}
"""`forecast.evaluation.backtest`'s reasons for leaving points out -> their phrase."""


# --- backtest ---------------------------------------------------------------------------------
def format_backtest(result: BacktestResult, labels: Labels = ENGLISH) -> str:
    """The score table for the terminal, with what was left out and every convergence warning, in the words of
    `labels` (methods and indicators by name)."""
    words, scores = labels.text, score_table(result.rows)
    coverage = {words("col_cov", level=p): p for p in (50, 80, 95)}
    shown = pd.DataFrame(
        {
            words("col_origin"): [words("all_origins") if o == "all" else o for o in scores["origin"]],
            words("col_method"): scores["method"].map(labels.method),
            **{c: scores[f"coverage_{p}"].map("{:.2f}".format) for c, p in coverage.items()},
            words("col_crps"): scores["crps"].map("{:.3f}".format),
            words("col_brier"): scores["brier"].map("{:.3f}".format),
            words("col_points_scored"): scores["points"],
            words("col_fits_warned"): [
                f"{w}/{f}" if m in (MODEL, LADDER) else "-"
                for m, w, f in zip(scores["method"], scores["fits_with_warnings"], scores["fits"], strict=True)
            ],
        }
    )
    by_indicator = indicator_table(result.rows)
    per_indicator = pd.DataFrame(
        {
            words("col_indicator"): by_indicator["indicator"].map(labels.indicator),
            **{c: by_indicator[f"coverage_{p}"].map("{:.2f}".format) for c, p in coverage.items()},
            words("col_crps"): by_indicator["crps"].map("{:.3f}".format),
            words("col_crps_baseline"): by_indicator["crps_random_walk_drift"].map("{:.3f}".format),
            words("col_vs_baseline"): by_indicator["crps_vs_baseline"].map("{:+.0%}".format),
            words("col_points_scored"): by_indicator["points"],
        }
    )
    lines = [
        text_table(shown),
        "",
        words("backtest_by_indicator"),
        text_table(per_indicator),
        "",
        words("backtest_coverage") + " " + words("backtest_crps"),
        words("backtest_brier"),
    ]
    counts = result.excluded.groupby("reason").size()
    if len(counts):
        parts = [words("backtest_excluded_part", n=n, reason=_excluded(labels, reason)) for reason, n in counts.items()]
        lines.append(words("backtest_excluded", parts=("；" if labels.zh else "; ").join(parts)))
    flagged: dict[tuple, list[str]] = {}
    for f in result.fits:  # one panel fit serves every region of an (origin, indicator): one line each
        if f["diagnostics"]["status"] != "ok":
            flagged.setdefault((f["origin"], f["indicator"], f["diagnostics"]["status"]), []).append(f["region"])
    lines += [
        words(
            "backtest_convergence",
            status=labels.status(status),
            origin=o,
            indicator=labels.indicator(indicator),
            regions=("、" if labels.zh else ", ").join(labels.region(r) for r in regions),
        )
        for (o, indicator, status), regions in flagged.items()
    ]
    return "\n".join(lines)


def _excluded(labels: Labels, reason: str) -> str:
    """Why points were left out of the scores (`forecast.evaluation.backtest`'s reasons), in words."""
    key = EXCLUDED.get(reason)
    return labels.text(key, n=MIN_FIGURES) if key else reason


def reliability_labels(rows: pd.DataFrame, labels: Labels = ENGLISH) -> dict[str, pd.DataFrame]:
    """Reliability tables keyed by a legend label naming the method and its Brier score."""
    pooled = score_table(rows).query("origin == 'all'").set_index("method")["brier"]
    tables = reliability_by_method(rows)
    return {labels.text("brier_legend", method=m, brier=pooled[m]): t for m, t in tables.groupby("method", sort=False)}


def write_backtest(out_dir: Path, result: BacktestResult, meta: dict, *, labels: Labels = ENGLISH) -> list[Path]:
    """Write backtest.csv, scores.csv, reliability.csv and .png, excluded.csv and manifest.json, all or nothing."""
    with staged_output(out_dir) as staging:
        result.rows.to_csv(staging / "backtest.csv", index=False)
        score_table(result.rows).to_csv(staging / "scores.csv", index=False)
        indicator_table(result.rows).to_csv(staging / "scores_by_indicator.csv", index=False)
        reliability_by_method(result.rows).to_csv(staging / "reliability.csv", index=False)
        result.excluded.to_csv(staging / "excluded.csv", index=False)
        fig = plot_reliability(
            reliability_labels(result.rows, labels), title=labels.text("backtest_reliability_title"), labels=labels
        )
        fig.savefig(staging / "reliability.png", dpi=110)
        plt.close(fig)
        write_manifest(
            staging,
            {
                **meta,
                "crps_scale": ENGLISH.text("backtest_crps"),
                "excluded": result.excluded.groupby("reason").size().to_dict(),
                "fits": result.fits,
            },
        )
    return sorted(Path(out_dir).iterdir())


# --- audit ------------------------------------------------------------------------------------
def format_audit(rows: pd.DataFrame, skipped: pd.DataFrame, labels: Labels = ENGLISH, targets=()) -> str:
    """Targets with P(met) per method and the result, the Brier scores, reliability, and what was skipped, in the
    words of `labels` (`targets`: the audited targets, to name them in words)."""
    column = labels.text
    lines = []
    if len(rows):
        shown = pd.DataFrame(
            {
                column("col_target"): target_names(rows, labels, targets),
                column("col_data_up_to"): rows["base_year"],
                column("col_p_method", method=labels.method(MODEL)): [
                    f"{p:.2f} ± {e:.2f}" if pd.notna(p) else "-"
                    for p, e in zip(rows["p_model"], rows["p_model_mc_error"], strict=True)
                ],
                **{
                    column("col_p_method", method=labels.method(m)): rows[f"p_{m}"].map("{:.2f}".format)
                    for m in METHODS
                    if m != MODEL
                },
                column("col_outcome"): [
                    labels.outcome(o, bool(m)) for o, m in zip(rows["outcome"], rows["met"], strict=True)
                ],
                column("col_diagnostics"): rows["diagnostics"].map(labels.status),
            }
        )
        scores = audit_scores(rows)
        reliability = audit_reliability(rows).query("count > 0").assign(method=lambda t: t["method"].map(labels.method))
        brier = ", ".join(f"{labels.method(m)} {b:.3f}" for m, b in zip(scores["method"], scores["brier"], strict=True))
        lines += [
            text_table(shown),
            "",
            column(
                "audit_brier",
                n=scores["targets"].iloc[0],
                targets=_count(scores["targets"].iloc[0], "target"),
                scores=brier,
            ),
            "",
            column("audit_reliability"),
            reliability[
                ["method", "bin_lower", "bin_upper", "mean_predicted", "observed_frequency", "count"]
            ].to_string(index=False, float_format="{:.2f}".format),
        ]
    else:
        lines.append(column("audit_none"))
    if len(skipped):
        counts = skipped.groupby("reason").size().sort_values(ascending=False)
        lines += [
            "",
            column("audit_skipped", n=len(skipped), targets=_count(len(skipped), "target")),
            *(f"  {n:4d}  {reason}" for reason, n in counts.items()),
        ]
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def write_audit(out_dir: Path, rows: pd.DataFrame, skipped: pd.DataFrame, meta: dict) -> list[Path]:
    """Write audit.csv (scored targets, then skipped ones with their reason), reliability.csv and
    manifest.json, all or nothing."""
    with staged_output(out_dir) as staging:
        pd.concat([rows.assign(reason=""), skipped], ignore_index=True).to_csv(staging / "audit.csv", index=False)
        if len(rows):
            audit_reliability(rows).to_csv(staging / "reliability.csv", index=False)
        scores = audit_scores(rows).to_dict("records") if len(rows) else []
        write_manifest(staging, {**meta, "brier": scores, "skipped": skipped.groupby("reason").size().to_dict()})
    return sorted(Path(out_dir).iterdir())
