"""The county scorecard as terminal text, in the words of `forecast.report.labels` (Chinese or English), and as
files (``scorecard.csv``, ``projection.csv``, ``manifest.json``, all or nothing)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from forecast.evaluation.county import Scorecard, next_class
from forecast.evaluation.county_projection import MIN_YEARS, ClassProjection
from forecast.report.files import staged_output, write_manifest
from forecast.report.labels import ENGLISH, Labels
from forecast.report.phrases import COUNTY_GROUPS
from forecast.report.run import text_table

ONE_YEAR = re.compile(r"^one year of figures \((?P<year>\d+)\)")
"""The reasons `forecast.evaluation.county_projection.projectable` gives for an indicator it does not project."""


def _names(card: Scorecard, labels: Labels) -> dict[str, str]:
    """Indicator key -> its name in the index (Chinese as printed, or the index's English gloss)."""
    column = "name_zh" if labels.zh else "name_en"
    return dict(zip(card.rows["indicator"], card.rows[column], strict=True))


def _reading(labels: Labels, kind: str, low: float, high: float) -> str:
    return labels.text(f"reading_{kind}", low=f"{low:g}", high=f"{high:g}")


def format_scorecard(card: Scorecard, labels: Labels = ENGLISH) -> str:
    """One line per indicator (group, name, figure, points of weight, how it was read), then the total and class."""
    rows, words, names = card.rows, labels.text, _names(card, labels)
    shown = pd.DataFrame(
        {
            words("col_group"): [COUNTY_GROUPS.get(g, (g, g))[0 if labels.zh else 1] for g in rows["group"]],
            words("col_indicator"): rows["indicator"].map(names),
            words("col_figure"): [
                "-" if pd.isna(v) else f"{v:g} {labels.unit(u)}" + (f" ({int(y)})" if pd.notna(y) else "")
                for v, u, y in zip(rows["value"], rows["unit"], rows["year"], strict=True)
            ],
            words("col_points"): [
                f"- / {w:g}" if pd.isna(p) else f"{p:.2f} / {w:g}"
                for p, w in zip(rows["points"], rows["weight"], strict=True)
            ],
            words("col_reading"): [
                _reading(labels, *r)
                for r in zip(rows["reading"], rows["reading_low"], rows["reading_high"], strict=True)
            ],
        }
    )
    cuts = ("，" if labels.zh else ", ").join(words("county_cut", name=name, cut=cut) for name, cut in card.cuts)
    lines = [
        words("county_heading", county=words("county_name", county=card.county) if card.county else ""),
        text_table(shown),
        "",
        words("county_score", score=card.score, klass=card.klass, cuts=cuts),
    ]
    if card.missing:
        lines.append(
            words(
                "county_missing",
                n=len(card.missing),
                names=("、" if labels.zh else ", ").join(names[k] for k in card.missing),
                weight=card.missing_weight,
                score=card.score,
                best=card.best_possible,
                klass=card.klass,
                best_class=card.best_class,
            )
        )
    step = next_class(card.klass, card.cuts)
    if step is not None:
        lines.append(words("county_next", name=step[0], cut=step[1], gap=step[1] - card.score))
    lines += [
        words(
            "note",
            text=words(f"county_trend_{kind}", name=names[key], start=int(a), end=int(b), n=int(n)),
        )
        for key, kind, a, b, n in zip(
            rows["indicator"], rows["trend"], rows["trend_from"], rows["trend_to"], rows["trend_years"], strict=True
        )
        if kind
    ]
    return "\n".join(lines)


def _why(labels: Labels, reason: str) -> str:
    """A reason an indicator is not projected, in words."""
    found = ONE_YEAR.match(reason)
    if found:
        return labels.text("county_one_year", year=found["year"], n=MIN_YEARS)
    return labels.text("county_no_history") if "no history to pool with" in reason else reason


def format_projection(projection: ClassProjection, card: Scorecard, labels: Labels = ENGLISH) -> str:
    """The projected indicators, what is held at its latest figure, and P(next class by the year) with its Monte
    Carlo error; or, where nothing can be projected, why, without a number."""
    year, names, words = projection.year, _names(card, labels), labels.text
    weights = dict(zip(card.rows["indicator"], card.rows["weight"], strict=True))
    not_projected = [
        words("county_not_projected", name=names.get(k, k), why=_why(labels, why))
        for k, why in projection.unprojected.items()
    ]
    if not projection.possible:
        candidates = ("、" if labels.zh else ", ").join(names.get(k, k) for k in projection.candidates)
        head = words("county_no_projection", year=year, n=MIN_YEARS, candidates=candidates or words("county_none_here"))
        return "\n".join([head, *(f"  {line}" for line in not_projected)])
    rows = projection.projected
    shown = pd.DataFrame(
        {
            words("col_indicator"): rows["indicator"].map(names),
            words("col_county_series"): [
                words("county_series_cell", first=a, last=b, latest=v)
                for a, b, v in zip(rows["first_year"], rows["last_year"], rows["latest"], strict=True)
            ],
            words("col_projected", year=year): [
                f"{m:.3g} ({lo:.3g}-{hi:.3g})"
                for m, lo, hi in zip(rows["median"], rows["low_80"], rows["high_80"], strict=True)
            ],
            words("col_points_median"): [
                f"{p:.2f} / {weights[k]:g}" for k, p in zip(rows["indicator"], rows["points"], strict=True)
            ],
            words("col_diagnostics"): [labels.status(projection.diagnostics.get(k, "")) for k in rows["indicator"]],
        }
    )
    held = card.rows[card.rows["indicator"].isin(projection.held)]
    classes = ", ".join(f"{name} {p:.2f}" for name, p in projection.p_class.items())
    lines = [
        words("county_projection_heading", year=year, draws=projection.draws),
        text_table(shown),
        words("county_held", n=len(held), points=held["points"].sum()),
        *not_projected,
        words("county_classes", year=year, classes=classes),
    ]
    if projection.next_class is not None:
        name, cut = projection.next_class
        lines.append(words("county_p_next", name=name, year=year, p=projection.p_next, e=projection.mc_error, cut=cut))
    return "\n".join(lines)


def scorecard_summary(card: Scorecard) -> dict:
    """The scorecard's totals, for the manifest."""
    return {
        "county": card.county,
        "score": card.score,
        "class": card.klass,
        "missing": card.missing,
        "best_possible_score": card.best_possible,
        "best_possible_class": card.best_class,
        "class_cuts": dict(card.cuts),
    }


def projection_summary(projection: ClassProjection) -> dict:
    """The projection's probabilities and what it rests on, for the manifest."""
    return {
        "year": projection.year,
        "draws": projection.draws,
        "projected": list(projection.projected["indicator"]),
        "held_at_latest": projection.held,
        "not_projected": projection.unprojected,
        "p_class": projection.p_class,
        "next_class": projection.next_class[0] if projection.next_class else None,
        "p_next_class": projection.p_next if projection.possible else None,
        "mc_error": projection.mc_error if projection.possible else None,
        "diagnostics": projection.diagnostics,
        "notes": projection.notes,
    }


def write_scorecard(
    out_dir: Path, card: Scorecard, meta: dict, projection: ClassProjection | None = None
) -> list[Path]:
    """scorecard.csv (one row per indicator), projection.csv (with --by) and manifest.json into `out_dir`, all or
    nothing."""
    with staged_output(out_dir) as staging:
        card.rows.to_csv(staging / "scorecard.csv", index=False)
        if projection is not None:
            projection.projected.to_csv(staging / "projection.csv", index=False)
            meta = {**meta, "projection": projection_summary(projection)}
        write_manifest(staging, {**meta, "scorecard": scorecard_summary(card)})
    return sorted(Path(out_dir).iterdir())
