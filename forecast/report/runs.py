"""Past runs (`forecast.inputs.runs.load_run_records`) as a terminal table, in the planner's language."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

import pandas as pd

from forecast.inputs.runs import Reading
from forecast.inputs.targets import Target
from forecast.report.labels import ENGLISH, Labels
from forecast.report.run import text_table


def format_runs(
    records: pd.DataFrame, root: str, labels: Labels = ENGLISH, targets: Mapping[str, Target] | None = None
) -> str:
    """Newest first: folder, command, scenario (its title in the language), date (UTC), seed, data hash, headline
    numbers (left-aligned, the last column).

    A target is named in words (`Labels.target`) where the run's manifest or `targets` (the catalogue's, by id)
    knows it, else by its id as the run recorded it."""
    if records.empty:
        return labels.text("runs_none", root=root)
    shown = pd.DataFrame(
        {
            labels.text("col_folder"): records["folder"],
            labels.text("col_command"): records["command"],
            labels.text("col_scenario"): [
                titles.get(labels.lang) or scenario
                for titles, scenario in zip(records["titles"], records["scenario"], strict=True)
            ],
            labels.text("col_created"): [
                c.replace("T", " ").replace("+00:00", "") if c else "-" for c in records["created_utc"]
            ],
            labels.text("col_seed"): records["seed"].replace("", "-"),
            labels.text("col_data_hash"): records["data_sha256"].replace("", "-"),
            labels.text("col_headline"): left_aligned(
                [
                    headline_text(h, labels, {**(targets or {}), **own}) or p or "-"
                    for h, p, own in zip(records["headline"], records["problem"], records["targets"], strict=True)
                ]
            ),
        }
    )
    table = "\n".join(line.rstrip() for line in text_table(shown).splitlines())
    return "\n".join([table, "", labels.text("runs_count", count=len(records), root=root)])


def left_aligned(texts: list[str]) -> list[str]:
    """Cells padded on the right to one display width (a Chinese character is two columns wide), so a right-aligned
    table column reads left-aligned."""
    widths = [display_width(t) for t in texts]
    most = max(widths, default=0)
    return [t + " " * (most - w) for t, w in zip(texts, widths, strict=True)]


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def headline_text(readings: tuple[Reading, ...], labels: Labels, targets: Mapping[str, Target]) -> str:
    """A run's headline numbers in words, joined by semicolons."""
    return ("；" if labels.zh else "; ").join(_reading(r, labels, targets) for r in readings)


def _reading(r: Reading, labels: Labels, targets: Mapping[str, Target]) -> str:
    if r.kind == "score":
        return labels.text("runs_score", score=f"{r.value:.1f}", grade=r.grade)
    p = "-" if r.value is None else f"{r.value:.2f}"
    if r.kind == "p_all_met":
        return labels.text("runs_all_met", p=p)
    name = labels.target(targets[r.target_id]) if r.target_id in targets else r.target_id
    if r.model == "ladder":
        name = labels.text("runs_ladder", target=name)
    text = f"{name} {p}"
    return f"{r.scenario}: {text}" if r.scenario else text
