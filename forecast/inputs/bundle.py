"""One bundle of inputs: the tables every command needs, loaded and checked once.

`load_inputs` reads the indicator and region tables, the history (the bundled one or
the user's ``--data`` file) and the target catalogue and the policy history, validates each, and records the
SHA-256 of every file read, for the manifests. Everything downstream takes its tables
from the bundle; nothing re-reads them.

Regions: the bundled table, plus the rows of a user's ``--regions`` file (a row for a
bundled key replaces it), plus every region of the history that neither lists, as a
top-level region (`forecast.inputs.tables.infer_regions`). `Inputs.notes` says what
was read in another encoding, converted from another unit or inferred.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from forecast.inputs.bundled import bundled_path
from forecast.inputs.catalogue import load_targets
from forecast.inputs.factors import load_factor_names
from forecast.inputs.policies import load_policies
from forecast.inputs.registers import load_registers
from forecast.inputs.tables import file_hash, infer_regions, load_indicators, load_regions, merge_regions, read_history


@dataclass(frozen=True)
class Inputs:
    """The validated tables (column names fixed in `forecast.inputs.tables`) and the hashes of their files."""

    history: pd.DataFrame
    indicators: pd.DataFrame
    regions: pd.DataFrame
    catalogue: pd.DataFrame
    data_file: Path
    hashes: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    """What the loaders converted or inferred (units, encodings, regions), for the user to see."""
    factors: pd.DataFrame | None = None
    """Names of the ladder's levers and parameters (`forecast.inputs.factors`), for labels."""
    policies: pd.DataFrame | None = None
    """The policy history (`forecast.inputs.policies`): dated policies the ladder applies in past years."""
    registers: pd.DataFrame | None = None
    """Which register each tech-SME series counts (`forecast.inputs.registers`)."""


def load_inputs(data: Path | None = None, *, encoding: str | None = None, regions: Path | None = None) -> Inputs:
    """The bundled tables, with the history from `data` (CSV or Excel) if given.

    `encoding` names the encoding of the CSV files given (default: detected);
    `regions` is a table of regions to add (columns of ``data/regions.csv``).
    """
    indicators = load_indicators()
    region_table, notes = load_regions(), []
    if regions is not None:
        region_table, notes = merge_regions(region_table, load_regions(regions, encoding), str(regions))
    data_path = Path(data or bundled_path("history.csv"))
    history, read_notes = read_history(data_path, indicators, encoding)
    region_table, inferred = infer_regions(history, region_table, str(data_path))
    catalogue = load_targets(indicators=indicators, regions=region_table)
    factors = load_factor_names()
    policies = load_policies(factors=factors, regions=region_table)
    registers = load_registers(indicators=indicators)
    hashes = {
        "data": file_hash(data_path),
        **{
            name: file_hash(bundled_path(f"{name}.csv"))
            for name in ("targets", "indicators", "regions", "policies", "registers")
        },
        **({"regions_file": file_hash(Path(regions))} if regions is not None else {}),
    }
    notes = (*notes, *read_notes, *inferred)
    return Inputs(history, indicators, region_table, catalogue, data_path, hashes, notes, factors, policies, registers)
