"""Simulation-based calibration (SBC, Talts et al. 2018) of the ladder calibration: is the posterior that
`calibration.calibrate` returns honest for data the ABM itself generates?

One simulation s, for the regions and figures of a real calibration (their start states, years,
indicators, caveats, lower bounds and policies in force: the real data's shape)::

    theta_s  ~ prior        z_top ~ Logistic(0, 1), z_city = z_top + POOL_SD u, u ~ Normal(0, 1),
                            rate = lo + (hi - lo) expit(z);  sigma_i ~ `calibration.SIGMA_PRIOR`
    counts   = one array-engine run per region from its start state with its rates theta_s
               (`run.run_ensemble`, the policies in force; about `AGENTS` agents a run)
    figure   = count exp(sigma_i c n), n ~ Normal(0, 1), c = CAVEAT_NOISE for a caveated figure, else 1;
               a lower bound is the simulated figure less an excess exp(-e), e ~ HalfNormal(BOUND_EXCESS_SD), as
               the calibration reads bounds (`calibration.bound_logp`)
    posterior = calibrate(the simulated figures)   (the real method: pilot, mean-field, NUTS)
    rank_k   = #{posterior draws of quantity k < theta_s,k}, over `thin` draws spread over the chains

If the calibration is right (the mean-field likelihood close enough to the ABM, the sampler converged),
each rank is uniform on 0..thin: `SbcResult.uniformity` tests that per quantity (chi-square over
equal-width bins of the ranks) and reports how far the posterior shrinks from the prior (posterior sd /
prior sd, averaged over simulations): a quantity whose ratio stays near 1 is one the figures cannot
identify (its posterior is its prior), which SBC then passes trivially.

Why not a package: simuk (the maintained SBC package for PyMC) simulates the data from the model's own
likelihood (`pm.sample_prior_predictive`), here the mean-field; the check asked for simulates them with the
ABM, which is what also tests the mean-field approximation. (simuk 0.3 also needs Python 3.12.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

from models.ladder.calibration import (
    INDICATORS,
    SAMPLED,
    SIGMA_PRIOR,
    RegionObservations,
    calibrate,
    prior_bounds,
    rates_from_z,
    region_z,
)
from models.ladder.params import LadderParams
from models.ladder.run import run_ensemble
from models.panel import BOUND_EXCESS_SD

AGENTS = 20_000
"""About this many agents in each simulated run (sets its firm_scale)."""
LO, HI = prior_bounds()


@dataclass(frozen=True)
class SbcResult:
    """Ranks of the true values among posterior draws, one row per simulation, one column per quantity."""

    names: tuple[str, ...]
    ranks: np.ndarray
    thin: int
    contraction: np.ndarray
    divergences: np.ndarray

    def uniformity(self, bins: int = 5) -> pd.DataFrame:
        """Per quantity: chi-square test of uniform ranks over `bins` equal bins of 0..thin, the p-value, and the
        mean posterior sd / prior sd (near 1: the figures do not identify it)."""
        edges = np.linspace(0, self.thin + 1, bins + 1)
        rows = []
        for k, name in enumerate(self.names):
            counts = np.histogram(self.ranks[:, k], bins=edges)[0]
            chi2, p = stats.chisquare(counts)
            rows.append(
                {
                    "quantity": name,
                    "counts": " ".join(map(str, counts)),
                    "chi2": chi2,
                    "p_value": p,
                    "sd_ratio": float(np.mean(self.contraction[:, k])),
                }
            )
        return pd.DataFrame(rows)


def quantity_names(regions: Sequence[str]) -> tuple[str, ...]:
    """The quantities ranked: every region's sampled rates, then each indicator's noise sigma."""
    return (*(f"{r}: {k}" for r in regions for k in SAMPLED), *(f"sigma: {i}" for i in INDICATORS))


def prior_draw(n_regions: int, rng: np.random.Generator) -> np.ndarray:
    """One draw of every quantity (`quantity_names` order) from the calibration's prior."""
    z_top = rng.logistic(size=len(SAMPLED))
    rates = [rates_from_z(zi) for zi in region_z(z_top, rng.standard_normal(len(SAMPLED)) if n_regions == 2 else None)]
    sigma = np.exp(SIGMA_PRIOR[0] + SIGMA_PRIOR[1] * rng.standard_normal(len(INDICATORS)))
    return np.concatenate([*rates, sigma])


def simulate_observations(
    observations: Sequence[RegionObservations],
    truth: np.ndarray,
    seed: np.random.SeedSequence,
    base: LadderParams = LadderParams(),
) -> list[RegionObservations]:
    """The observations with every figure replaced by one the ABM and the noise model make from `truth`."""
    run_seeds = seed.spawn(len(observations) + 1)
    rng = np.random.default_rng(run_seeds[-1])
    sigma = dict(zip(INDICATORS, truth[-len(INDICATORS) :], strict=True))
    out = []
    for r, obs in enumerate(observations):
        rates = dict(zip(SAMPLED, truth[r * len(SAMPLED) : (r + 1) * len(SAMPLED)], strict=True))
        firms = sum(obs.stage_counts.values())
        ds = run_ensemble(
            n_runs=1,
            seed=run_seeds[r],
            params=replace(base, **rates),
            stage_counts=obs.stage_counts,
            start_year=obs.start_year,
            end_year=obs.end_year,
            firm_scale=max(1, round(firms / AGENTS)),
            levers=obs.levers,
        )
        figures = obs.figures.copy()
        counts = np.array(
            [float(ds[c].sel(year=y)[0]) for c, y in zip(figures["column"], figures["year"], strict=True)]
        )
        sd = figures["indicator"].map(sigma).to_numpy() * figures["noise"].to_numpy()
        value = np.maximum(counts, 1.0) * np.exp(sd * rng.standard_normal(len(figures)))
        excess = np.abs(rng.normal(0.0, BOUND_EXCESS_SD, len(figures)))
        figures["value"] = np.where(figures["censored"], value * np.exp(-excess), value)
        out.append(replace(obs, figures=figures))
    return out


def ranks_of(idata, truth: np.ndarray, regions: Sequence[str], thin: int) -> tuple[np.ndarray, np.ndarray]:
    """Ranks of `truth` among `thin` posterior draws spread over the chains, and each posterior's sd."""
    post = idata.posterior
    rates = post["rates"].sel(region=list(regions)).stack(sample=("chain", "draw")).transpose("sample", ...)
    sigma = post["sigma"].sel(indicator=list(INDICATORS)).stack(sample=("chain", "draw")).transpose("sample", ...)
    draws = np.concatenate([rates.values.reshape(rates.shape[0], -1), sigma.values], axis=1)
    pick = np.linspace(0, len(draws) - 1, thin).round().astype(int)
    return (draws[pick] < truth[None, :]).sum(axis=0), draws.std(axis=0)


def prior_sd(n_regions: int, seed: int = 0, n: int = 20_000) -> np.ndarray:
    """Each quantity's prior sd, from `n` prior draws."""
    rng = np.random.default_rng(seed)
    return np.array([prior_draw(n_regions, rng) for _ in range(n)]).std(axis=0)


def run_sbc(
    observations: Sequence[RegionObservations],
    *,
    simulations: int,
    seed: int,
    sampler: dict | None = None,
    thin: int = 99,
    on_done=None,
) -> SbcResult:
    """`simulations` SBC simulations at the shape of `observations` (module docstring); `on_done(i, result)` is
    called after each (for progress), `sampler` goes to `calibrate` (draws, tune, chains)."""
    regions = [o.region for o in observations]
    names = quantity_names(regions)
    scale = prior_sd(len(regions), seed)
    ranks, ratios, divergences = [], [], []
    for i, child in enumerate(np.random.SeedSequence(seed).spawn(simulations)):
        prior_seed, data_seed, fit_seed = child.spawn(3)
        truth = prior_draw(len(regions), np.random.default_rng(prior_seed))
        simulated = simulate_observations(observations, truth, data_seed)
        idata = calibrate(simulated, seed=int(fit_seed.generate_state(1)[0]), cores=1, **(sampler or {}))
        rank, sd = ranks_of(idata, truth, regions, thin)
        ranks.append(rank)
        ratios.append(sd / scale)
        divergences.append(int(idata.sample_stats["diverging"].sum()))
        if on_done is not None:
            on_done(i, truth)
    return SbcResult(names, np.array(ranks), thin, np.array(ratios), np.array(divergences))
