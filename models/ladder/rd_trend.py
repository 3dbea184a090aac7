"""The trend of the firms' R&D as the R&D statistics count it, fitted to a region's R&D figures.

A region's R&D spending R_t splits at its start year t0 into the modelled firms' F_0 (the ladder's start
population; `firm_share` = F_0 / R_0) and the rest (institutes, universities, firms off the ladder), held
as a share of GDP (`forecast.ladder.pipeline`). The firms' R&D grows as the ladder makes it grow (revenue,
entries, certifications, the R&D levers in force: `firm_growth` = F_t / F_0 from a pilot run), and by the
trend g a year on top: what the figures show beyond the modelled mechanisms (firms' R&D effort rising,
more of it reported to the statistics)::

    R_t   = R_0 (firm_share x firm_growth_t x exp(g (t - t0)) + (1 - firm_share) x GDP_t / GDP_0)
    log figure_t ~ StudentT(4, log R_t, sigma_province | sigma_city)
    sigma_province ~ HalfNormal(NOISE_SD),  sigma_city ~ HalfNormal(CITY_NOISE_SD)
    g_province   ~ Normal(0, TREND_PRIOR_SD)
    g_city       = g_province + tau z_city,  z_city ~ Normal(0, 1),  tau ~ HalfNormal(CITY_SPREAD_SD)

The trend scales the firms' R&D spending, not the R&D ratio the certification tests read: the stage
calibration fitted the rates with the firms' ratios as the ladder makes them, so a past drift in eligibility
is already in those rates. City figures are noisier than the province's (a changed scope or a revision moves
one city's figure far more than a province's; a city's R&D figures are few), and the Student-t likelihood
lets one figure far from the rest be read as such rather than as a trend. The region asked about (`target`)
gets its own z: fitted if its figures are among the series, else drawn from its prior, so a city without R&D
figures after its start has the province's trend widened by the spread of cities (tau), which no figure
before the start measures: an assumption, stated in the output.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import arviz as az
import numpy as np
import pymc as pm
import pytensor.tensor as pt

from models.diagnostics import check_convergence
from models.ladder.calibration import posterior_rows

TREND_PRIOR_SD = 0.05
"""Prior sd of the province's yearly trend in firms' log R&D ratio (a 5% a year rise is one sd)."""
CITY_SPREAD_SD = 0.05
"""Half-normal scale of a city's yearly trend around its province's (assumption)."""
NOISE_SD = 0.05
"""Half-normal scale of a province's R&D figure's log-scale noise (the trend models' money noise)."""
CITY_NOISE_SD = 0.15
"""Half-normal scale of a city's R&D figure's log-scale noise (assumption: three times the province's)."""
STUDENT_NU = 4.0
"""Degrees of freedom of the figures' Student-t likelihood."""
RD_TREND_VERSION = "2"
DEFAULTS = {"draws": 2000, "tune": 1000, "chains": 2, "target_accept": 0.95}


@dataclass(frozen=True)
class RdSeries:
    """One region's R&D figures after its start and the ladder's firm R&D growth over the same years."""

    region: str
    start_year: int
    rd_start: float
    firm_share: float
    years: tuple[int, ...]
    figures: tuple[float, ...]
    firm_growth: tuple[float, ...]
    gdp_growth: tuple[float, ...]

    def __post_init__(self) -> None:
        n = len(self.years)
        if not (len(self.figures) == len(self.firm_growth) == len(self.gdp_growth) == n):
            raise ValueError(f"{self.region}: years, figures, firm_growth and gdp_growth differ in length")
        if not 0.0 < self.firm_share < 1.0:
            raise ValueError(f"{self.region}: firm_share {self.firm_share:.3f} must be in (0, 1)")
        if any(y <= self.start_year for y in self.years):
            raise ValueError(f"{self.region}: figures must be after the start year {self.start_year}")


def build_model(series: Sequence[RdSeries], province: str, target: str) -> pm.Model:
    """The model of the module docstring; `target`'s trend is the deterministic ``trend``."""
    cities = sorted({s.region for s in series if s.region != province} | ({target} - {province}))
    with pm.Model(coords={"city": cities}) as model:
        g = pm.Normal("province_trend", 0.0, TREND_PRIOR_SD)
        tau = pm.HalfNormal("city_spread", CITY_SPREAD_SD)
        z = pm.Normal("city_z", 0.0, 1.0, dims="city")
        sigma = {
            "province": pm.HalfNormal("sigma_province", NOISE_SD),
            "city": pm.HalfNormal("sigma_city", CITY_NOISE_SD),
        }
        trend_of = {city: g + tau * z[i] for i, city in enumerate(cities)}
        trend_of[province] = g
        for s in series:
            t = np.asarray(s.years, dtype=float) - s.start_year
            firms = s.firm_share * np.asarray(s.firm_growth) * pt.exp(trend_of[s.region] * t)
            rest = (1.0 - s.firm_share) * np.asarray(s.gdp_growth)
            noise = sigma["province" if s.region == province else "city"]
            mu = pt.log(s.rd_start * (firms + rest))
            pm.StudentT(f"figures_{s.region}", nu=STUDENT_NU, mu=mu, sigma=noise, observed=np.log(s.figures))
        pm.Deterministic("trend", trend_of[target])
    return model


def fit(
    series: Sequence[RdSeries],
    province: str,
    target: str,
    *,
    seed: int = 0,
    notes: Sequence[str] = (),
    **settings,
) -> az.InferenceData:
    """Sample the model (`DEFAULTS` unless set); attrs: target, province, series, diagnostics, notes."""
    s = {**DEFAULTS, **settings}
    model = build_model(series, province, target)
    with model, warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module="pymc")
        idata = pm.sample(
            draws=s["draws"],
            tune=s["tune"],
            chains=s["chains"],
            cores=1,
            random_seed=seed,
            target_accept=s["target_accept"],
            progressbar=False,
            compute_convergence_checks=False,
            compile_kwargs={"mode": "NUMBA"},
        )
    diagnostics = check_convergence(idata, var_names=[v.name for v in model.free_RVs])
    idata.attrs.update(
        {
            "target": target,
            "province": province,
            "series": json.dumps([asdict(x) for x in series]),
            "rd_trend_version": RD_TREND_VERSION,
            "diagnostics": json.dumps(diagnostics.to_dict()),
            "notes": json.dumps(list(notes)),
        }
    )
    return idata


def trend_draws(idata: az.InferenceData, n: int, seed: int | np.random.SeedSequence) -> np.ndarray:
    """n posterior draws of the target region's trend (without replacement when there are enough)."""
    return idata.posterior["trend"].values.reshape(-1)[posterior_rows(idata, n, seed)]
