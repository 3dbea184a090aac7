"""What `forecast update` prints and writes: revisions, checks of new figures, probability moves, the merged history.

The merge is computed in `forecast.inputs.updates`, the checks and moves in
`forecast.evaluation.update`; here they become terminal text in the words of
`forecast.report.labels`, and the merged history a file written atomically (a
temporary file beside it, then a rename: an interrupted update leaves the old file).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from forecast.atomic import write_atomically
from forecast.inputs.targets import Target
from forecast.inputs.updates import Merge, history_file_table
from forecast.report.labels import Labels
from forecast.report.run import figure_text, text_table

SHOWN_CHECKS = 40
"""At most this many checked figures are listed (outside ones first); the rest are counted."""


def format_merge(merge: Merge, file: str, labels: Labels) -> str:
    """The counts of new, revised and known figures, then each revision with its old and new values."""
    counts = {status: len(merge.of(status)) for status in ("new", "revised", "known")}
    lines = [labels.text("update_summary", file=file, **counts)]
    revised = merge.of("revised")
    if len(revised):
        lines += ["", labels.text("revised_heading"), text_table(_revisions(revised, labels))]
    return "\n".join(lines)


def _revisions(revised: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    column = labels.text
    return pd.DataFrame(
        {
            column("col_region"): revised["region"].map(labels.region),
            column("col_indicator"): revised["indicator"].map(labels.indicator),
            column("col_year"): revised["year"],
            column("col_series"): revised["series"].map(labels.series),
            column("col_old"): [" / ".join(figure_text(v) for v in old) for old in revised["old_values"]],
            column("col_new"): [
                f"{figure_text(v)} {labels.unit(u)}".strip()
                for v, u in zip(revised["value"], revised["unit"], strict=True)
            ],
            column("col_row"): revised["row"],
        }
    )


def outside(checks: pd.DataFrame) -> pd.DataFrame:
    return checks[checks["verdict"].isin(["above", "below"])]


def format_checks(checks: pd.DataFrame, labels: Labels) -> str:
    """Each new figure beside the model's 95% interval for it, figures outside first; then a warning line."""
    if checks.empty:
        return ""
    order = checks.assign(_first=~checks["verdict"].isin(["above", "below"])).sort_values(
        ["_first", "region", "indicator", "year"], kind="stable"
    )
    shown = order.head(SHOWN_CHECKS)
    column = labels.text
    table = pd.DataFrame(
        {
            column("col_region"): shown["region"].map(labels.region),
            column("col_indicator"): shown["indicator"].map(labels.indicator),
            column("col_year"): shown["year"],
            column("col_figure"): [
                f"{figure_text(v)} {labels.unit(u)}".strip() for v, u in zip(shown["value"], shown["unit"], strict=True)
            ],
            column("col_expected"): [
                "-" if pd.isna(lo) else f"{figure_text(lo)}-{figure_text(hi)} ({figure_text(m)})"
                for lo, m, hi in zip(shown["low_95"], shown["median"], shown["high_95"], strict=True)
            ],
            column("col_check"): [
                column(f"verdict_{r or v}") for v, r in zip(shown["verdict"], shown["reason"], strict=True)
            ],
            column("col_diagnostics"): [labels.status(s) if s else "" for s in shown["diagnostics"]],
        }
    )
    lines = [column("checks_heading"), text_table(table)]
    if len(order) > SHOWN_CHECKS:
        lines.append(f"... {len(order) - SHOWN_CHECKS} more")
    if len(outside(checks)):
        lines.append(column("outside_warning", n=len(outside(checks))))
    return "\n".join(lines)


def format_moves(
    moves: pd.DataFrame, heading: str, labels: Labels, targets: Iterable[Target], notes: Iterable[str] = ()
) -> str:
    """One scenario's targets: P(met) at the last run and now, the change, each with its Monte Carlo error."""
    names = {t.target_id: labels.target(t) for t in targets}
    column = labels.text
    table = pd.DataFrame(
        {
            column("col_target"): [names.get(t, t) for t in moves["target_id"]],
            column("col_before"): [_p(p, e) for p, e in zip(moves["p_before"], moves["e_before"], strict=True)],
            column("col_after"): [_p(p, e) for p, e in zip(moves["p_after"], moves["e_after"], strict=True)],
            column("col_change"): [
                "-" if pd.isna(c) else f"{c:+.2f} ± {e:.2f}"
                for c, e in zip(moves["change"], moves["change_mc_error"], strict=True)
            ],
            column("col_diagnostics"): [
                _move_note(d, n, labels) for d, n in zip(moves["diagnostics"], moves["note"], strict=True)
            ],
        }
    )
    return "\n".join([heading, text_table(table), column("moves_note"), *notes])


def _move_note(diagnostics: str, note: str, labels: Labels) -> str:
    """The refit's sampler status where it failed its checks, and why a target has no probability before or now."""
    parts = [labels.status(diagnostics) if diagnostics and diagnostics != "ok" else ""]
    parts.append(labels.text("verdict_not_in_last_run") if note == "not_in_last_run" else labels.status(note))
    return "; ".join(p for p in parts if p)


def _p(p: float, e: float) -> str:
    return "-" if pd.isna(p) else f"{p:.2f} ± {e:.2f}"


def write_history(path: Path, history: pd.DataFrame) -> Path:
    """The merged history as a CSV file (UTF-8, the columns of ``data/history.csv``), written atomically."""
    table = history_file_table(history)
    return write_atomically(Path(path), lambda tmp: table.to_csv(tmp, index=False, encoding="utf-8"))
