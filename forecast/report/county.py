"""The county scorecard as terminal text and as files (``scorecard.csv``, ``manifest.json``, all or nothing)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast.evaluation.county import Scorecard, next_class
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


def write_scorecard(out_dir: Path, card: Scorecard, meta: dict) -> list[Path]:
    """scorecard.csv (one row per indicator) and manifest.json into `out_dir`, all or nothing."""
    with staged_output(out_dir) as staging:
        card.rows.to_csv(staging / "scorecard.csv", index=False)
        write_manifest(staging, {**meta, "scorecard": scorecard_summary(card)})
    return sorted(Path(out_dir).iterdir())
