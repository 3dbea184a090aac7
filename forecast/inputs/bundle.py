"""One bundle of inputs: the tables every command needs, loaded and checked once.

`load_inputs` reads the indicator and region tables, the history (the bundled one or
the user's ``--data`` file) and the target catalogue, validates each, and records the
SHA-256 of every file read, for the manifests. Everything downstream takes its tables
from the bundle; nothing re-reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from forecast.inputs.bundled import bundled_path
from forecast.inputs.catalogue import load_targets
from forecast.inputs.tables import file_hash, load_history, load_indicators, load_regions


@dataclass(frozen=True)
class Inputs:
    """The validated tables (column names fixed in `forecast.inputs.tables`) and the hashes of their files."""

    history: pd.DataFrame
    indicators: pd.DataFrame
    regions: pd.DataFrame
    catalogue: pd.DataFrame
    data_file: Path
    hashes: dict[str, str] = field(default_factory=dict)


def load_inputs(data: Path | None = None) -> Inputs:
    """The bundled tables, with the history from `data` (CSV or Excel) if given."""
    indicators = load_indicators()
    regions = load_regions()
    data_path = Path(data or bundled_path("history.csv"))
    history = load_history(data_path, indicators)
    catalogue = load_targets(indicators=indicators, regions=regions)
    hashes = {
        "data": file_hash(data_path),
        **{name: file_hash(bundled_path(f"{name}.csv")) for name in ("targets", "indicators", "regions")},
    }
    return Inputs(history, indicators, regions, catalogue, data_path, hashes)
