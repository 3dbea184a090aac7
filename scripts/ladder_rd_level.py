"""The firms' size scale (`LadderParams.firm_size_scale`) from the R&D figures.

    PATH=$PWD/.venv/bin:$PATH python scripts/ladder_rd_level.py [--share S] [--agents N] [--seed S]

For every region of data/history.csv with a ladder start state (`forecast.ladder.calibration.region_observations`:
certified firms and registered tech SMEs in one year from `rules.RULES_YEAR` on) and an R&D figure in that
year (`forecast.ladder.start.start_rd`: R&D spending, or intensity x GDP), the start population is drawn
as a run draws it (startups assumed, certificate ages from the yearly lists, R&D chosen under the start
year's policies) and the modelled firms' R&D spending F0 is summed. The scale at which F0 equals
``share`` x the region's R&D (`params.FIRM_RD_SHARE` unless given) is found by bisection on log scale
(F0 rises with the scale; not exactly in proportion, since the R&D thresholds depend on revenue), and the
geometric mean over the regions is printed: the value `LadderParams.firm_size_scale` holds. Beside it,
each region's F0 / R&D at that common scale and at scale 1.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

from forecast.inputs.bundle import load_inputs
from forecast.inputs.stages import StageDataError
from forecast.inputs.tables import parent_of
from forecast.ladder.calibration import region_observations
from forecast.ladder.start import start_rd
from models.ladder import LadderParams, kernel, records
from models.ladder.levers import active_levers
from models.ladder.params import FIRM_RD_SHARE
from models.ladder.population import build_population


def cases(inputs) -> list[dict]:
    """Regions with a start state and an R&D figure in its year."""
    out = []
    for region in sorted(set(inputs.history["region"])):
        try:  # the start state the calibration and a run take (counts, certificate ages, policies)
            obs = region_observations(
                inputs.history,
                region,
                allow_empty=True,
                policies=inputs.policies,
                parent=parent_of(region, inputs.regions),
            )
        except StageDataError:
            continue
        rd, _, _ = start_rd(inputs.history, region, obs.start_year, {})
        if rd is not None:
            out.append(
                {
                    "region": region,
                    "year": obs.start_year,
                    "rd": rd,
                    "counts": obs.stage_counts,
                    "ages": obs.cert_ages,
                    "levers": obs.levers,
                }
            )
    return out


def firm_rd(case: dict, scale: float, agents: int, seed: int) -> float:
    """The modelled firms' R&D spending at the start (100 million yuan), drawn at ``agents`` agents."""
    k = max(1, round(sum(case["counts"].values()) / agents))
    params = replace(LadderParams(), firm_size_scale=scale)
    counts = {name: round(n / k) for name, n in case["counts"].items()}
    rng = np.random.default_rng(seed)
    state = records.new_state(build_population(counts, case["year"], params, rng, cert_ages=case["ages"], start=True))
    kernel.choose_rd_all(state, params, active_levers(case["levers"], case["year"]))
    return k * float(state["rd_spend"].astype(float).sum()) / 10_000


def solve_scale(case: dict, share: float, agents: int, seed: int) -> float:
    """The scale at which F0 = share x R&D (bisection on log scale, 30 steps)."""
    lo, hi = np.log(0.01), np.log(10.0)
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if firm_rd(case, float(np.exp(mid)), agents, seed) < share * case["rd"] else (lo, mid)
    return float(np.exp(0.5 * (lo + hi)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--share", type=float, default=FIRM_RD_SHARE)
    parser.add_argument("--agents", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    found = cases(load_inputs())
    scales = {c["region"]: solve_scale(c, args.share, args.agents, args.seed) for c in found}
    common = float(np.exp(np.mean(np.log(list(scales.values())))))
    print(f"modelled firms' share of R&D at the start: {args.share:.2f}")
    print(f"{'region':>10} {'year':>5} {'R&D':>8} {'scale':>6} {'F0/R&D at 1':>12} {'F0/R&D at common':>17}")
    for c in found:
        at_one = firm_rd(c, 1.0, args.agents, args.seed) / c["rd"]
        at_common = firm_rd(c, common, args.agents, args.seed) / c["rd"]
        scale = scales[c["region"]]
        print(f"{c['region']:>10} {c['year']:>5} {c['rd']:>8.2f} {scale:>6.3f} {at_one:>12.2f} {at_common:>17.2f}")
    print(f"firm_size_scale (geometric mean): {common:.3f}")


if __name__ == "__main__":
    main()
