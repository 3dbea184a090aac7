"""Convergence checks for every posterior fit: R-hat, effective sample size, divergences.

Thresholds follow Vehtari et al. (2021, "Rank-normalization, folding, and
localization"): rank-normalised split R-hat <= 1.01 and bulk and tail ESS >= 400 for
reliable summaries; any divergent transition means the sampler may have missed part
of the posterior. A fit that fails is still reported, never hidden: its status says
what failed, and every output that uses it carries that status.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import arviz as az
import numpy as np

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
