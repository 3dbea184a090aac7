"""Saved panel forecasts (a warm run reads its trajectories instead of loading PyMC), made in parallel.

`saved_forecast` keeps each panel's forecast (per region: the
years, the predictive trajectories, the convergence check of the fit behind them, the
model label and the notes) in the posterior cache as one ``.npz`` file. Its name is a
hash of everything the forecast depends on: the history, regions and indicators tables,
the indicator, series, cut-off, horizon and regions asked for, the trend settings and
seed, and `forecast.cache.code_digest` (the source of the code that fits and draws).
Same inputs, same code, same file: the numbers a warm run shows are the ones the cold
run drew. Anything else (a changed figure, prior, sampler setting or line of code)
gives another name, and the forecast is made again (from the saved posterior where
that still fits). `panel_forecasts` makes the forecasts a run needs that are not saved
in parallel processes (`forecast.trend.parallel`), those of one fit in one process.
"""

from __future__ import annotations

import hashlib
import json
from functools import partial

import numpy as np
import pandas as pd

from forecast.cache import PosteriorCache, code_digest
from forecast.scenario import TrendSettings
from forecast.trend.fits import PanelForecast
from forecast.trend.parallel import map_calls
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
    """A `PanelForecast` as named arrays: ``years/<region>``, ``paths/<region>``, ``shift/<region>`` and one JSON
    string."""
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
    for region, shift in panel.basis_shift.items():
        arrays[f"shift/{region}"] = np.asarray(shift)
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
        "basis_shift": {key.split("/", 1)[1]: arrays[key] for key in arrays if key.startswith("shift/")},
    }


def _diagnostics_dict(diagnostics: Diagnostics) -> dict:
    found = diagnostics.to_dict()
    found.pop("status")
    return {k: (v if isinstance(v, int) else float(v)) for k, v in found.items()}


def saved_forecast(
    history: pd.DataFrame,
    indicator: str,
    regions_wanted: list[str],
    *,
    cache: PosteriorCache | None = None,
    refit: bool = False,
    **options,
) -> PanelForecast:
    """``forecast_indicator(history, indicator, regions_wanted, **options, ...)``, its result saved in the cache
    and read back by later runs with the same inputs and code (`forecast.trend.saved`): a warm run neither fits,
    nor reads posteriors, nor imports PyMC."""
    found = None if refit else load_saved_forecast(history, indicator, regions_wanted, cache=cache, **options)
    if found is not None:
        return found
    from forecast.trend.pipeline import forecast_indicator  # the pipeline imports this module

    made = forecast_indicator(history, indicator, regions_wanted, **options, cache=cache, refit=refit)
    if cache is not None:
        cache.save_arrays(_saved_name(history, indicator, regions_wanted, options), pack(made))
    return made


def load_saved_forecast(
    history: pd.DataFrame, indicator: str, regions_wanted: list[str], *, cache: PosteriorCache | None, **options
) -> PanelForecast | None:
    """The forecast `saved_forecast` saved for these arguments, or None."""
    found = None if cache is None else cache.load_arrays(_saved_name(history, indicator, regions_wanted, options))
    return None if found is None else PanelForecast(**unpack(found))


def _saved_name(history: pd.DataFrame, indicator: str, regions_wanted: list[str], options: dict) -> str:
    settings = options.get("settings") or TrendSettings()
    question = (indicator, options.get("series", "main"), options["cutoff"], options["horizon"], tuple(regions_wanted))
    question += (sorted((options.get("joint_series") or {}).items()),)
    tables = (history, options["regions"], options["indicators"])
    return forecast_name(tables, question, settings.model_dump(), options.get("seed", 0))


def panel_forecasts(
    calls: list[tuple[tuple, dict]], *, cache: PosteriorCache | None, refit: bool, workers: int | None, done
) -> list[PanelForecast]:
    """``saved_forecast(*args, **kwargs, cache=cache, refit=refit)`` for each call: saved forecasts read here, the
    others made in up to `workers` processes at once (`forecast.trend.parallel`); `done()` after each."""
    found = [None if refit else load_saved_forecast(*args, **kwargs, cache=cache) for args, kwargs in calls]
    for _ in filter(None, found):
        done()
    missing = [call for call, panel in zip(calls, found, strict=True) if panel is None]
    groups = [fit_group(args[1], kwargs) for args, kwargs in missing] if len(missing) > 1 else None
    function = partial(saved_forecast, cache=cache, refit=refit)
    made = iter(map_calls(function, missing, workers=workers, done=done, groups=groups))
    return [panel if panel is not None else next(made) for panel in found]


def fit_group(indicator: str, options: dict) -> str:
    """Which fit a forecast of `indicator` comes from: the indicator's own, or its identity's joint fit
    (`forecast.trend.joint`), which the identity's indicators share (so they are made one after the other, in
    one process: the first fits, the others read the saved posterior)."""
    from forecast.trend.joint import joint_identity

    identity = joint_identity(indicator, options["indicators"], options.get("settings") or TrendSettings())
    return f"{identity.name if identity is not None else indicator} {options.get('cutoff')}"
