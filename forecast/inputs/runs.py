"""Past runs, read back from the manifests their folders keep.

`load_run_records(root)` finds every ``manifest.json`` under `root` (the default output
root is ``out/``), skipping hidden folders (a staging folder left by a killed process
starts with a dot), and returns one row per run folder with fixed columns:

``folder, command, scenario, created_utc, seed, data_sha256, headline, problem``

* ``folder``: the run folder relative to `root`;
* ``command``: the verb (``run``, ``compare``, ``explain``, ``calibrate``, ``backtest``,
  ``audit``, ``county``);
* ``scenario``: the scenario name(s), the region calibrated or the county scored;
* ``created_utc``: when the manifest was written (UTC ISO-8601; empty for runs made
  before manifests recorded it);
* ``data_sha256``: the first 12 hex digits of the history (or figures) file's hash;
* ``headline``: the headline numbers, a tuple of `Reading` (P(met) per target, P(all met), or
  a scorecard's score and class), put in words by `forecast.report.runs.format_runs`;
* ``problem``: why a manifest could not be read (the row is kept, so nothing is hidden);
* ``titles``: the scenario's title by language (``{"zh": ..., "en": ...}``) where the manifest keeps it;
* ``targets``: the run's own targets by id (`Target`), as its manifest's question keeps them, so a listing can
  name them in words.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from forecast.errors import InputError, Problem
from forecast.inputs.tables import finite_number, read_table
from forecast.inputs.targets import Target

COLUMNS = [
    "folder",
    "command",
    "scenario",
    "created_utc",
    "seed",
    "data_sha256",
    "headline",
    "problem",
    "titles",
    "targets",
]
MANIFEST = "manifest.json"


def load_run_records(root: Path) -> pd.DataFrame:
    """One row per run folder under `root`, newest first (rules in the module docstring)."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(
            [
                Problem(
                    str(root), "--out-root", "no such folder", "give the folder runs were written under (default out/)"
                )
            ]
        )
    records = [
        _record(path, root)
        for path in sorted(root.rglob(MANIFEST))
        if not any(part.startswith(".") for part in path.relative_to(root).parts)
    ]
    table = pd.DataFrame(records, columns=COLUMNS)
    return table.sort_values(["created_utc", "folder"], ascending=[False, True]).reset_index(drop=True)


def _record(path: Path, root: Path) -> dict:
    folder = str(path.parent.relative_to(root)) if path.parent != root else "."
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            raise ValueError("not a JSON object")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return {
            **dict.fromkeys(COLUMNS, ""),
            "folder": folder,
            "headline": (),
            "problem": f"unreadable manifest ({exc})",
            "titles": {},
            "targets": {},
        }
    command = str(meta.get("command", "")).split()
    verb = command[1] if len(command) > 1 else ""
    data_hash = (meta.get("input_sha256") or {}).get("data") or (meta.get("input_sha256") or {}).get("figures", "")
    return {
        "folder": folder,
        "command": verb,
        "scenario": _scenario(meta),
        "created_utc": str(meta.get("created_utc", "")),
        "seed": "" if meta.get("seed") is None else str(meta["seed"]),
        "data_sha256": str(data_hash)[:12],
        "headline": _headline(meta, path.parent),
        "problem": "",
        "titles": _titles(meta),
        "targets": _targets(meta),
    }


def _question(meta: dict) -> dict:
    question = meta.get("question")
    return question if isinstance(question, dict) else {}


def _titles(meta: dict) -> dict[str, str]:
    title = _question(meta).get("title")
    return {str(k): str(v) for k, v in title.items() if v} if isinstance(title, dict) else {}


def _targets(meta: dict) -> dict[str, Target]:
    """The targets the run's question recorded; entries that are not valid targets are left out."""
    found = {}
    for entry in _question(meta).get("targets") or []:
        try:
            target = Target.model_validate(entry)
        except ValidationError:
            continue
        found[target.target_id] = target
    return found


def _scenario(meta: dict) -> str:
    if "scenario" in meta:
        return str(meta["scenario"])
    if isinstance(meta.get("scenarios"), dict):
        return ", ".join(meta["scenarios"])
    if isinstance(meta.get("ladder"), dict) and "scenario" in meta["ladder"]:
        return str(meta["ladder"]["scenario"])
    if isinstance(meta.get("scorecard"), dict):
        return str(meta["scorecard"].get("county", ""))
    return str(meta.get("region", ""))


@dataclass(frozen=True)
class Reading:
    """One headline number of a run: a target's P(met), P(all met), or a county's score."""

    kind: str
    """``p_met`` (of `target_id`), ``p_all_met`` or ``score``."""
    value: float | None
    target_id: str = ""
    scenario: str = ""
    """The scenario's label in a comparison (empty for a single run)."""
    model: str = ""
    """``trend``, ``ladder``, or empty where the manifest does not say (a comparison's scenarios)."""
    grade: str = ""
    """A scorecard's class (A, B or C)."""


def _headline(meta: dict, folder: Path) -> tuple[Reading, ...]:
    """P(met) per target (trend from targets.csv beside the manifest, ladder from the manifest), P(all met),
    or a scorecard's score and class."""
    parts = _trend_probabilities(folder / "targets.csv")
    ladder = meta.get("ladder", {}).get("probabilities", {}) if isinstance(meta.get("ladder"), dict) else {}
    parts += [Reading("p_met", _p(p), str(target), model="ladder") for target, p in ladder.items()]
    for label, scenario in (meta.get("scenarios") or {}).items():
        if isinstance(scenario, dict):
            parts += [
                Reading("p_met", _p(p), str(target), scenario=str(label))
                for target, p in scenario.get("probabilities", {}).items()
            ]
    joint = meta.get("joint") or {}
    if isinstance(joint, dict) and finite_number(joint.get("p_all_met")) is not None:
        parts.append(Reading("p_all_met", finite_number(joint["p_all_met"])))
    card = meta.get("scorecard")
    if isinstance(card, dict) and finite_number(card.get("score")) is not None:
        parts.append(Reading("score", finite_number(card["score"]), grade=str(card.get("class", "?"))))
    return tuple(parts)


def _trend_probabilities(path: Path) -> list[Reading]:
    if not path.is_file():
        return []
    try:
        table = read_table(path)
    except InputError:
        return []
    if not {"target_id", "p_met"} <= set(table.columns):
        return []
    return [
        Reading("p_met", finite_number(p), str(t), model="trend")
        for t, p in zip(table["target_id"], table["p_met"], strict=True)
        if finite_number(p) is not None
    ]


def _p(value) -> float | None:
    return finite_number(value["p_met"]) if isinstance(value, dict) and "p_met" in value else finite_number(value)


@dataclass(frozen=True)
class LastRun:
    """The newest `forecast run` of one scenario: where it is, how it was called, and its P(met) per target."""

    folder: Path
    scenario: str
    created_utc: str
    command: tuple[str, ...]
    """The command line as the manifest recorded it (``forecast run SCENARIO ...``), split into words."""
    scenario_sha256: str
    data_sha256: str
    probabilities: pd.DataFrame
    """``target_id, p_met, p_met_mc_error`` from the run's ``targets.csv`` (empty where it is unreadable)."""


def last_runs(root: Path) -> list[LastRun]:
    """Per scenario name, its newest `run` under `root` (records as `load_run_records` reads them); an empty list
    where `root` does not exist."""
    if not Path(root).is_dir():
        return []
    records = load_run_records(root)
    newest = records[(records["command"] == "run") & (records["problem"] == "")].drop_duplicates("scenario")
    found = []
    for folder in newest["folder"]:
        path = Path(root) / folder
        meta = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        hashes = meta.get("input_sha256") or {}
        found.append(
            LastRun(
                path,
                str(meta.get("scenario", "")),
                str(meta.get("created_utc", "")),
                _words(str(meta.get("command", ""))),
                str(hashes.get("scenario", "")),
                str(hashes.get("data", "")),
                _probabilities(path / "targets.csv"),
            )
        )
    return found


def _words(command: str) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(command))
    except ValueError:  # unbalanced quotes: not a command line this tool wrote
        return ()


def _probabilities(path: Path) -> pd.DataFrame:
    columns = ["target_id", "p_met", "p_met_mc_error"]
    try:
        table = read_table(path)
    except InputError:
        return pd.DataFrame(columns=columns)
    if not set(columns) <= set(table.columns):
        return pd.DataFrame(columns=columns)
    table = table[columns].copy()
    for column in columns[1:]:
        table[column] = pd.to_numeric(table[column], errors="coerce")
    return table
