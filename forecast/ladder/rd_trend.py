"""The firms' R&D trend as the application fits it: R&D figures from the history, the ladder's own firm R&D
growth from a pilot run under the calibration posterior, the fit of `models.ladder.rd_trend`, saved and reused.

For the region and the province it is pooled with (the calibration's regions): every year after the
region's calibration start, up to the scenario's ``as_of``, with R&D spending and GDP (one of them from R&D
intensity: `forecast.ladder.start.start_rd`) is a figure; the start year's pair gives R_0 and GDP_0. The
pilot runs the array engine from the calibration's start state, under its policy history and certificate
ages, at the posterior median rates (`PILOT_RUNS` runs at `models.ladder.pilot.pilot_scale`); F_t / F_0 is
the ratio of the runs' mean firm R&D. A region whose modelled firms would spend more than its whole R&D at
the start has no series (its F_0 / R_0 is named in the notes).

Reuse: the fit is saved in the `PosteriorCache` under a name holding the target, the calibration posterior's
data hash, version and seed, the sha256 of the R&D figures used, the cutoff and `RD_TREND_VERSION`.
"""

from __future__ import annotations

import hashlib
import json

import arviz as az
import numpy as np
import pandas as pd

from forecast.cache import PosteriorCache, cached_fit
from forecast.ladder.start import start_rd
from models.ladder import LadderParams, run_ensemble
from models.ladder import rd_trend as rt
from models.ladder.calibration import attrs_json
from models.ladder.levers import LeverSetting
from models.ladder.pilot import pilot_scale

PILOT_RUNS = 8


def rd_figures(history: pd.DataFrame, region: str, start: int, cutoff: int | None) -> pd.DataFrame:
    """year, rd, gdp for the start and every later year up to `cutoff` with both (derived where needed)."""
    last = cutoff if cutoff is not None else int(history.loc[history["region"] == region, "year"].max())
    rows = []
    for year in range(start, last + 1):
        rd, gdp, _ = start_rd(history, region, year, {})
        if rd is not None:
            rows.append({"year": year, "rd": rd, "gdp": gdp})
    out = pd.DataFrame(rows, columns=["year", "rd", "gdp"])
    return out if (not out.empty and out["year"].iloc[0] == start) else out.iloc[0:0]


def median_params(idata: az.InferenceData, region: str) -> LadderParams:
    """The calibration's base parameters with `region`'s posterior median rates."""
    rates = idata.posterior["rates"].sel(region=region)
    medians = rates.median(dim=("chain", "draw"))
    base = attrs_json(idata, "base_params") if "base_params" in idata.attrs else {}
    return LadderParams.from_dict({**base, **{str(p): float(medians.sel(param=p)) for p in rates["param"].values}})


def firm_growth(idata: az.InferenceData, region: str, last: int, seed: int) -> tuple[float, np.ndarray]:
    """F_0 (100 million yuan) and F_t / F_0 for the years start+1 .. last, from the pilot (module docstring)."""
    start, _ = attrs_json(idata, "windows")[region]
    counts = attrs_json(idata, "stage_counts")[region]
    levers = [LeverSetting(**s) for s in attrs_json(idata, "levers").get(region, [])]
    ages = attrs_json(idata, "cert_ages").get(region)
    ds = run_ensemble(
        n_runs=PILOT_RUNS,
        seed=seed,
        stage_counts=counts,
        start_year=int(start),
        end_year=last,
        params=median_params(idata, region),
        levers=levers,
        cert_ages=ages,
        firm_scale=pilot_scale(counts),
    )
    mean = ds["rd_spending"].mean("run").values
    return float(mean[0]), mean[1:] / mean[0]


def rd_series(
    idata: az.InferenceData, history: pd.DataFrame, cutoff: int | None, seed: int
) -> tuple[list[rt.RdSeries], list[str]]:
    """Each calibration region's `RdSeries` with figures after its start, and notes."""
    series, notes = [], []
    windows = attrs_json(idata, "windows")
    for region in json.loads(idata.attrs["regions"]):
        start = int(windows[region][0])
        figures = rd_figures(history, region, start, cutoff)
        if len(figures) < 2:
            notes.append(f"{region}: no R&D figure after its start {start} up to {cutoff or 'the latest'}")
            continue
        last = int(figures["year"].max())
        f0, growth = firm_growth(idata, region, last, seed)
        r0, gdp0 = float(figures["rd"].iloc[0]), float(figures["gdp"].iloc[0])
        share = f0 / r0
        if share >= 1.0:
            notes.append(f"{region}: the modelled firms' R&D {f0:.1f} exceeds all R&D {r0:.1f} in {start}; not used")
            continue
        later = figures.iloc[1:]
        steps = (later["year"] - start).to_numpy() - 1
        series.append(
            rt.RdSeries(
                region,
                start,
                r0,
                share,
                tuple(int(y) for y in later["year"]),
                tuple(float(v) for v in later["rd"]),
                tuple(float(growth[k]) for k in steps),
                tuple(float(v) / gdp0 for v in later["gdp"]),
            )
        )
        notes.append(
            f"{region}: modelled firms' share of R&D in {start} {share:.2f}; R&D figures "
            + ", ".join(f"{int(y)}" for y in later["year"])
        )
    return series, notes


def trend_name(idata: az.InferenceData, target: str, history: pd.DataFrame, cutoff: int | None, seed: int) -> str:
    """The cache name (module docstring)."""
    regions = json.loads(idata.attrs["regions"])
    figures = history["indicator"].isin(["rd_expenditure", "rd_intensity", "gdp"])
    rows = history[history["region"].isin(regions) & figures]
    digest = hashlib.sha256(rows.to_csv(index=False).encode()).hexdigest()[:12]
    return (
        f"rdtrend-{target}-{str(idata.attrs.get('data_sha256', ''))[:12]}-v{idata.attrs.get('calibration_version')}"
        f"-s{idata.attrs.get('seed')}-{digest}-to{cutoff or 'latest'}-r{rt.RD_TREND_VERSION}-seed{seed}"
        f"-d{rt.DEFAULTS['draws']}t{rt.DEFAULTS['tune']}c{rt.DEFAULTS['chains']}.nc"
    )


def trend_for(
    idata: az.InferenceData,
    target: str,
    history: pd.DataFrame,
    *,
    cutoff: int | None,
    seed: int,
    cache: PosteriorCache | None,
    refit: bool = False,
) -> az.InferenceData | None:
    """The fitted trend for `target` (loaded or fitted and saved); None if no region has R&D figures."""
    regions = json.loads(idata.attrs["regions"])
    province = regions[-1]

    def fit() -> az.InferenceData:
        series, notes = rd_series(idata, history, cutoff, seed)
        if not series:
            raise _NoFigures(notes)
        return rt.fit(series, province, target, seed=seed, notes=notes)

    try:
        return cached_fit(cache, trend_name(idata, target, history, cutoff, seed), fit, refit=refit)
    except _NoFigures:
        return None


class _NoFigures(Exception):
    pass


def trend_notes(trend: az.InferenceData | None, target: str, cutoff: int | None) -> list[str]:
    """What the runs' R&D trend rests on, for the output."""
    if trend is None:
        return [f"R&D trend: no R&D figures after the calibration start up to {cutoff or 'the latest'}; trend 0"]
    draws = trend.posterior["trend"].values.reshape(-1)
    lo, mid, hi = np.quantile(draws, [0.1, 0.5, 0.9])
    fitted = {s["region"] for s in json.loads(trend.attrs["series"])}
    own = "its own figures" if target in fitted else f"{trend.attrs['province']}'s figures and the assumed city spread"
    status = attrs_json(trend, "diagnostics")["status"]
    return [
        f"R&D trend of the modelled firms' R&D beyond the ladder's own growth: {mid:+.3f} a year "
        f"(80%: {lo:+.3f} to {hi:+.3f}), fitted to R&D figures up to {cutoff or 'the latest'} ({own}; "
        f"convergence {status})",
        *json.loads(trend.attrs["notes"]),
    ]
