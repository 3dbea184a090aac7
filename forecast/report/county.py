"""The county scorecard as terminal text and as files (``scorecard.csv``, ``manifest.json``, all or nothing)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast.evaluation.county import Scorecard, next_class
from forecast.evaluation.county_projection import MIN_YEARS, ClassProjection
from forecast.report.files import staged_output, write_manifest


def format_scorecard(card: Scorecard) -> str:
    """One line per indicator (group, name, figure, points of weight, how it was read), then the total and class."""
    rows = card.rows
    shown = pd.DataFrame(
        {
            "group": rows["group"],
            "indicator": rows["name_zh"],
            "figure": [
                "-" if pd.isna(v) else f"{v:g} {u}" + (f" ({int(y)})" if pd.notna(y) else "")
                for v, u, y in zip(rows["value"], rows["unit"], rows["year"], strict=True)
            ],
            "points": [
                f"- / {w:g}" if pd.isna(p) else f"{p:.2f} / {w:g}"
                for p, w in zip(rows["points"], rows["weight"], strict=True)
            ],
            "reading": rows["reading"],
        }
    )
    cuts = ", ".join(f"{name} from {cut:g}" for name, cut in card.cuts)
    lines = [
        f"County S&T capacity index (seed 001){f': {card.county}' if card.county else ''}",
        shown.to_string(index=False),
        "",
        f"score {card.score:.2f} of 100: class {card.klass} (cut-offs assumed: {cuts}; the index gives none)",
    ]
    if card.missing:
        lines.append(
            f"missing {len(card.missing)} indicators ({', '.join(card.missing)}): they could add up to "
            f"{card.missing_weight:g} points, so the score lies in {card.score:.2f}-{card.best_possible:.2f} "
            f"(class {card.klass}-{card.best_class})"
        )
    step = next_class(card.klass, card.cuts)
    if step is not None:
        lines.append(f"class {step[0]} needs {step[1]:g} points: {step[1] - card.score:.2f} more")
    lines += [f"note: {name}: {note}" for name, note in zip(rows["indicator"], rows["trend"], strict=True) if note]
    return "\n".join(lines)


def format_projection(projection: ClassProjection, card: Scorecard) -> str:
    """The projected indicators, what is held at its latest figure, and P(next class by the year) with its Monte
    Carlo error; or, where nothing can be projected, why, without a number."""
    year, names = projection.year, dict(zip(card.rows["indicator"], card.rows["name_zh"], strict=True))
    weights = dict(zip(card.rows["indicator"], card.rows["weight"], strict=True))
    if not projection.possible:
        lines = [
            f"no projection to {year}: the figures hold no series ({MIN_YEARS} or more years) of an indicator the "
            f"trend model projects ({', '.join(projection.candidates) or 'none in this history'}); give several "
            "years of them to project the class"
        ]
        return "\n".join(lines + [f"  {key}: {why}" for key, why in projection.unprojected.items()])
    rows = projection.projected
    shown = pd.DataFrame(
        {
            "indicator": rows["indicator"].map(names),
            "county series": [
                f"{a}-{b}, latest {v:g}"
                for a, b, v in zip(rows["first_year"], rows["last_year"], rows["latest"], strict=True)
            ],
            f"{year}: median (80%)": [
                f"{m:.3g} ({lo:.3g}-{hi:.3g})"
                for m, lo, hi in zip(rows["median"], rows["low_80"], rows["high_80"], strict=True)
            ],
            "points (median)": [
                f"{p:.2f} / {weights[k]:g}" for k, p in zip(rows["indicator"], rows["points"], strict=True)
            ],
            "diagnostics": rows["indicator"].map(projection.diagnostics),
        }
    )
    held = card.rows[card.rows["indicator"].isin(projection.held)]
    classes = ", ".join(f"{name} {p:.2f}" for name, p in projection.p_class.items())
    lines = [
        f"Projection to {year} (trend model, {projection.draws} draws; indicators fitted separately are treated as "
        "independent):",
        shown.to_string(index=False),
        f"held at their latest figure: {len(held)} indicators ({held['points'].sum():.2f} points); missing ones score "
        "nothing",
        *(f"not projected: {key}: {why}" for key, why in projection.unprojected.items()),
        f"classes in {year}: {classes}",
    ]
    if projection.next_class is not None:
        name, cut = projection.next_class
        lines.append(
            f"P(class {name} by {year}) = {projection.p_next:.2f} ± {projection.mc_error:.2f} (score {cut:g} or more; "
            "Monte Carlo error)"
        )
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
