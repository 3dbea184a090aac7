"""Saved panel forecasts: a warm run reads its trajectories instead of loading PyMC.

`forecast.trend.pipeline.saved_forecast` keeps each panel's forecast (per region: the
years, the predictive trajectories, the convergence check of the fit behind them, the
model label and the notes) in the posterior cache as one ``.npz`` file. Its name is a
hash of everything the forecast depends on: the history, regions and indicators tables,
the indicator, series, cut-off, horizon and regions asked for, the trend settings and
seed, and `forecast.cache.code_digest` (the source of the code that fits and draws).
Same inputs, same code, same file: the numbers a warm run shows are the ones the cold
run drew. Anything else (a changed figure, prior, sampler setting or line of code)
gives another name, and the forecast is made again (from the saved posterior where
that still fits).
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd

from forecast.cache import code_digest
from models.diagnostics import Diagnostics


def forecast_name(
    tables: tuple[pd.DataFrame, ...], question: tuple, settings: dict, seed: int, packages=("forecast", "models")
) -> str:
    """The saved forecast's file name: a digest of the tables (history, regions, indicators), the question
    (indicator, series, cut-off, horizon, regions), the settings, the seed and the code."""
    h = hashlib.sha256(code_digest(packages).encode())
    for table in tables:
        h.update(repr(list(table.columns)).encode())
        h.update(pd.util.hash_pandas_object(table, index=True).to_numpy().tobytes())
    h.update(json.dumps([list(map(str, question)), settings, seed], sort_keys=True).encode())
    return f"forecast-{h.hexdigest()[:32]}.npz"


def pack(panel) -> dict[str, np.ndarray]:
    """A `PanelForecast` as named arrays: ``years/<region>``, ``paths/<region>`` and one JSON string."""
    meta = {
        "indicator": panel.indicator,
        "cutoff": panel.cutoff,
        "horizon": panel.horizon,
        "model": panel.model,
        "notes": panel.notes,
        "group": panel.group,
        "diagnostics": {region: _diagnostics_dict(d) for region, d in panel.diagnostics.items()},
    }
    arrays = {"meta": np.array(json.dumps(meta))}
    for region in panel.paths:
        arrays[f"years/{region}"] = np.asarray(panel.years[region])
        arrays[f"paths/{region}"] = np.asarray(panel.paths[region])
    return arrays


def unpack(arrays: dict[str, np.ndarray]) -> dict:
    """The keyword arguments of the `PanelForecast` that `pack` saved."""
    meta = json.loads(str(arrays["meta"]))
    regions = [key.split("/", 1)[1] for key in arrays if key.startswith("paths/")]
    return {
        "indicator": meta["indicator"],
        "cutoff": meta["cutoff"],
        "horizon": meta["horizon"],
        "years": {r: arrays[f"years/{r}"] for r in regions},
        "paths": {r: arrays[f"paths/{r}"] for r in regions},
        "diagnostics": {r: Diagnostics(**d) for r, d in meta["diagnostics"].items()},
        "model": meta["model"],
        "notes": meta["notes"],
        "group": meta["group"],
    }


def _diagnostics_dict(diagnostics: Diagnostics) -> dict:
    found = diagnostics.to_dict()
    found.pop("status")
    return {k: (v if isinstance(v, int) else float(v)) for k, v in found.items()}
