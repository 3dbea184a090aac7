"""Convergence checks for every posterior fit: R-hat, effective sample size, divergences.

Thresholds follow Vehtari et al. (2021, "Rank-normalization, folding, and
localization"): rank-normalised split R-hat <= 1.01 and bulk and tail ESS >= 400 for
reliable summaries; any divergent transition means the sampler may have missed part
of the posterior. A fit that fails is still reported, never hidden: its status says
what failed, and every output that uses it carries that status.

`mcse_mean` is ArviZ's Monte Carlo standard error of a mean (split chains, Geyer's
initial monotone sequence; Vehtari et al. 2021, eq. 10-11) in plain NumPy, so that
summarising saved draws does not import ArviZ (several seconds: it compiles numba
ufuncs when imported); `tests/models/test_diagnostics.py` checks it against ArviZ.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import arviz as az

RHAT_MAX = 1.01
ESS_MIN = 400


@dataclass(frozen=True)
class Diagnostics:
    r_hat_max: float
    ess_bulk_min: float
    ess_tail_min: float
    divergences: int
    draws: int
    chains: int

    @property
    def problems(self) -> list[str]:
        found = []
        if not np.isfinite(self.r_hat_max) or self.r_hat_max > RHAT_MAX:
            found.append(f"R-hat {self.r_hat_max:.3f} > {RHAT_MAX}")
        if self.ess_bulk_min < ESS_MIN:
            found.append(f"bulk ESS {self.ess_bulk_min:.0f} < {ESS_MIN}")
        if self.ess_tail_min < ESS_MIN:
            found.append(f"tail ESS {self.ess_tail_min:.0f} < {ESS_MIN}")
        if self.divergences:
            found.append(f"{self.divergences} divergent transitions")
        return found

    @property
    def status(self) -> str:
        return "ok" if not self.problems else "WARNING: " + "; ".join(self.problems)

    def to_dict(self) -> dict:
        return {**asdict(self), "status": self.status}


def check_convergence(idata: az.InferenceData, var_names: list[str] | None = None) -> Diagnostics:
    """Summarise R-hat, ESS and divergences over the named (default: all) variables."""
    import arviz as az

    posterior = idata.posterior if var_names is None else idata.posterior[var_names]
    rhat = az.rhat(posterior)
    ess_bulk = az.ess(posterior, method="bulk")
    ess_tail = az.ess(posterior, method="tail")
    divergent = idata.sample_stats["diverging"].values if "sample_stats" in idata else np.zeros(1)
    return Diagnostics(
        r_hat_max=_extreme(rhat, max),
        ess_bulk_min=_extreme(ess_bulk, min),
        ess_tail_min=_extreme(ess_tail, min),
        divergences=int(np.sum(divergent)),
        draws=int(posterior.sizes["draw"]),
        chains=int(posterior.sizes["chain"]),
    )


def _extreme(dataset, pick) -> float:
    values = np.concatenate([np.ravel(v.values) for v in dataset.data_vars.values()])
    values = values[np.isfinite(values)] if pick is min else values
    if values.size == 0:
        return float("nan")
    return float(pick(np.nan_to_num(values, nan=np.inf)) if pick is max else pick(values))


def mcse_mean(values: np.ndarray) -> float:
    """Monte Carlo standard error of the mean of a (chain, draw) array (a 1-d array is one chain), as
    ``arviz.mcse(values, method="mean")``: sd / sqrt(ESS of the mean over split chains); NaN below 4 draws."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    if values.shape[1] < 4 or not np.all(np.isfinite(values)):
        return float("nan")
    half = values.shape[1] // 2
    split = np.concatenate([values[:, :half], values[:, -half:]])
    return float(np.std(values, ddof=1) / np.sqrt(ess_mean(split)))


def ess_mean(chains: np.ndarray) -> float:
    """Effective sample size of the mean of (chain, draw) draws (no splitting; Geyer's initial monotone
    sequence, truncated where the sum of an even and odd autocorrelation pair turns negative)."""
    if np.max(chains) - np.min(chains) < np.finfo(float).resolution:
        return float(chains.size)
    n_chain, n_draw = chains.shape
    acov = _autocovariance(chains)
    mean_var = np.mean(acov[:, 0]) * n_draw / (n_draw - 1.0)
    var_plus = mean_var * (n_draw - 1.0) / n_draw + (np.var(chains.mean(axis=1), ddof=1) if n_chain > 1 else 0.0)
    rho = np.zeros(n_draw)
    rho_even, rho_odd = 1.0, 1.0 - (mean_var - np.mean(acov[:, 1])) / var_plus
    rho[0], rho[1] = rho_even, rho_odd
    t = 1
    while t < n_draw - 3 and rho_even + rho_odd > 0.0:
        rho_even = 1.0 - (mean_var - np.mean(acov[:, t + 1])) / var_plus
        rho_odd = 1.0 - (mean_var - np.mean(acov[:, t + 2])) / var_plus
        if rho_even + rho_odd >= 0:
            rho[t + 1], rho[t + 2] = rho_even, rho_odd
        t += 2
    max_t = t - 2
    if rho_even > 0:
        rho[max_t + 1] = rho_even
    for t in range(1, max_t - 1, 2):  # monotone: each pair's sum at most the previous pair's
        if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t]:
            rho[t + 1] = rho[t + 2] = (rho[t - 1] + rho[t]) / 2.0
    tau = -1.0 + 2.0 * np.sum(rho[: max_t + 1]) + np.sum(rho[max_t + 1 : max_t + 2])
    tau = max(tau, 1 / np.log10(chains.size))
    return float("nan") if np.isnan(rho).any() else chains.size / tau


def _autocovariance(chains: np.ndarray) -> np.ndarray:
    """Per chain, the autocovariance at every lag (by FFT, zero-padded to a fast length, divided by n)."""
    n = chains.shape[1]
    centred = chains - chains.mean(axis=1, keepdims=True)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spectrum = np.fft.rfft(centred, n=size, axis=1)
    return np.fft.irfft(spectrum * np.conjugate(spectrum), n=size, axis=1)[:, :n] / n
