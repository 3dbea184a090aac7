"""The ladder simulation as functions of keyword arguments: one run, an ensemble,
and the Monte Carlo probability of an event.

Seeds: one seed per scenario. ``run_ladder(seed=s)`` drives everything from
``SeedSequence(s)``; ``run_ensemble(seed=s, n_runs=n)`` gives run i the child
``SeedSequence(s).spawn(n)[i]``, so run i of an ensemble is reproducible alone
with ``run_ladder(seed=SeedSequence(s).spawn(n)[i], ...)``.

Probability of an event from n independent runs with x successes::

    p = x / n,   se = sqrt(p (1 - p) / n)

(the plain binomial standard error; it is 0 when p is 0 or 1, so report n too).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields, replace

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import ArrayLike

from models.ladder.levers import LeverSetting
from models.ladder.model import COLUMN_UNITS, LadderModel
from models.ladder.params import PARAM_RANGES, LadderParams

SeedLike = int | np.random.SeedSequence


def run_ladder(
    *,
    stage_counts: Mapping[str, int],
    start_year: int,
    end_year: int,
    params: LadderParams = LadderParams(),
    levers: Iterable[LeverSetting] = (),
    seed: SeedLike,
    firm_scale: int = 1,
) -> pd.DataFrame:
    """Simulate start_year..end_year; one row per year (start year = observed state).

    Columns are `model.COLUMNS` (units in `model.COLUMN_UNITS`), indexed by year.
    """
    if end_year < start_year:
        raise ValueError(f"end_year {end_year} is before start_year {start_year}")
    seed_seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    model = LadderModel(
        stage_counts=stage_counts,
        start_year=start_year,
        params=params,
        levers=levers,
        firm_scale=firm_scale,
        rng=np.random.default_rng(seed_seq),
    )
    for _ in range(end_year - start_year):
        model.step()
    return model.results()


def _param_list(
    param_draws: Sequence[LadderParams] | pd.DataFrame | None, n_runs: int, base: LadderParams
) -> list[LadderParams]:
    if param_draws is None:
        return [base] * n_runs
    if len(param_draws) != n_runs:
        raise ValueError(f"param_draws has {len(param_draws)} rows, expected n_runs = {n_runs}")
    if isinstance(param_draws, pd.DataFrame):
        unknown = [c for c in param_draws.columns if c not in PARAM_RANGES]
        if unknown:
            LadderParams.from_dict(dict.fromkeys(unknown, 0.0))  # raises, with did-you-mean hints
        return [replace(base, **{k: float(v) for k, v in row.items()}) for row in param_draws.to_dict(orient="records")]
    return list(param_draws)


def run_ensemble(
    *,
    n_runs: int,
    seed: SeedLike,
    param_draws: Sequence[LadderParams] | pd.DataFrame | None = None,
    on_done: Callable[[int], None] | None = None,
    workers: int = 1,
    **kwargs: object,
) -> xr.Dataset:
    """`n_runs` independent runs as a Dataset with dims ("run", "year").

    Args:
        n_runs: number of runs.
        seed: scenario seed; run i uses ``SeedSequence(seed).spawn(n_runs)[i]``.
        param_draws: optional per-run parameters (e.g. posterior draws): a list of
            `LadderParams`, or a DataFrame with one row per run whose columns are
            `LadderParams` fields (other fields from ``kwargs["params"]`` or the
            defaults).
        on_done: called with the number of runs just finished, as they finish
            (for a progress display; the model prints nothing).
        workers: processes to spread the runs over; the numbers do not depend on
            it (run i always uses child seed i).
        **kwargs: passed to `run_ladder` (stage_counts, start_year, end_year,
            params, levers, firm_scale).

    Returns:
        One variable per collected column (units in its ``units`` attribute), plus
        ``param_<name>`` variables with dim "run" holding each run's parameters;
        attrs record the seed, firm_scale and levers.
    """
    if n_runs < 1:
        raise ValueError("n_runs must be at least 1")
    base = kwargs.pop("params", LadderParams())
    if not isinstance(base, LadderParams):
        raise TypeError("params must be a LadderParams")
    draws = _param_list(param_draws, n_runs, base)
    seed_seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    children = seed_seq.spawn(n_runs)
    jobs = [(draws[i], children[i], kwargs) for i in range(n_runs)]
    done = on_done or (lambda n: None)
    frames = []
    if workers > 1 and n_runs > 1:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        with ProcessPoolExecutor(max_workers=min(workers, n_runs), mp_context=context) as pool:
            for frame in pool.map(_run_job, jobs, chunksize=max(1, n_runs // (4 * workers))):
                frames.append(frame)
                done(1)
    else:
        for job in jobs:
            frames.append(_run_job(job))
            done(1)
    return _to_dataset(frames, draws, seed_seq, kwargs)


def _run_job(job: tuple[LadderParams, np.random.SeedSequence, dict]) -> pd.DataFrame:
    params, seed, kwargs = job
    return run_ladder(params=params, seed=seed, **kwargs)  # type: ignore[arg-type]


def _to_dataset(
    frames: list[pd.DataFrame], draws: list[LadderParams], seed_seq: np.random.SeedSequence, kwargs: dict
) -> xr.Dataset:
    cube = np.stack([f.to_numpy(dtype=float) for f in frames])
    ds = xr.Dataset(
        {
            c: (("run", "year"), cube[:, :, j], {"units": COLUMN_UNITS.get(c, "")})
            for j, c in enumerate(frames[0].columns)
        },
        coords={"run": np.arange(len(frames)), "year": frames[0].index.to_numpy()},
    )
    for f in fields(LadderParams):
        ds[f"param_{f.name}"] = ("run", np.array([getattr(d, f.name) for d in draws], dtype=float))
    ds.attrs.update(
        {
            "seed": str(seed_seq.entropy),
            "seed_spawn_key": str(tuple(seed_seq.spawn_key)),
            "firm_scale": int(kwargs.get("firm_scale", 1)),
            "levers": repr(tuple(kwargs.get("levers", ()))),
            "model": "models.ladder",
        }
    )
    return ds


def monte_carlo_probability(success: ArrayLike) -> tuple[float, float]:
    """Share of runs where an event happened, and its binomial standard error."""
    x = np.asarray(success)
    if x.dtype != bool:
        raise TypeError(f"success must be a boolean array, got dtype {x.dtype}")
    if x.size == 0:
        raise ValueError("success is empty")
    p = float(x.mean())
    return p, float(np.sqrt(p * (1.0 - p) / x.size))
