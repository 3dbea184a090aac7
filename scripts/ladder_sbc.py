"""Simulation-based calibration of the ladder calibration at the shape of a real one (`models/ladder/sbc.py`).

Takes the bundled data's calibration of a region (default Hebei, where the figures are; ``--region langfang``
pools the city with it: twice the rates, twice the time): its start state, figure years, caveats, lower bounds
and policies, then for each simulation draws every rate and noise from
the prior, simulates the figures with the array engine, calibrates on them and ranks the true values among
the posterior draws. Prints each quantity's rank histogram, the chi-square p-value of uniform ranks and the
posterior sd over the prior sd (near 1: the figures do not identify the quantity), and the divergences.

    python scripts/ladder_sbc.py [--region hebei] [--simulations 40] [--seed 1] [--draws 200] [--tune 300]
                                 [--bounds-as-figures]

``--bounds-as-figures`` reads every lower bound as a figure, in the simulation (no excess below the figure) and in
the fit (a point, not `calibration.bound_logp`): beside a run without it, it shows what the bounds do to the ranks.

Cost: about half a minute a simulation on a busy 2-core machine (one ABM run a region, pilot, compile, 2 chains
one after the other in one process).
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace

import numpy as np

from forecast.inputs.bundle import load_inputs
from forecast.inputs.tables import parent_of
from forecast.ladder.calibration import gather_observations
from models.ladder.sbc import run_sbc

P_FLOOR = 0.001
"""A quantity whose uniformity p-value is below this (after every quantity is tested) fails the check."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", default="hebei", help="region whose calibration's shape to use (a city: pooled)")
    parser.add_argument("--simulations", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--tune", type=int, default=300)
    parser.add_argument("--bins", type=int, default=5)
    parser.add_argument("--bounds-as-figures", action="store_true", help="read every lower bound as a figure")
    args = parser.parse_args()
    inputs = load_inputs()
    parent = parent_of(args.region, inputs.regions)
    observations, _ = gather_observations(args.region, inputs.history, parent=parent, policies=inputs.policies)
    if args.bounds_as_figures:
        observations = [replace(o, figures=o.figures.assign(censored=False)) for o in observations]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"SBC of the ladder calibration at the shape of {' + '.join(o.region for o in observations)}: "
        f"{args.simulations} simulations, {args.draws} draws + {args.tune} tune x 2 chains, seed {args.seed}, "
        f"lower bounds {'read as figures' if args.bounds_as_figures else 'the bound plus a half-normal excess'}, "
        f"load average {load}",
        flush=True,
    )
    started = time.perf_counter()

    def progress(i: int, truth: np.ndarray) -> None:
        print(f"  simulation {i + 1}/{args.simulations} done, {time.perf_counter() - started:.0f} s", flush=True)

    result = run_sbc(
        observations,
        simulations=args.simulations,
        seed=args.seed,
        sampler={"draws": args.draws, "tune": args.tune, "chains": 2},
        on_done=progress,
    )
    table = result.uniformity(bins=args.bins)
    print(f"\nranks of the true values among {result.thin} posterior draws, in {args.bins} equal bins:")
    print(f"{'quantity':44} {'rank counts':>22} {'p-value':>8} {'post sd / prior sd':>19}")
    for row in table.itertuples():
        flag = "  FAIL" if row.p_value < P_FLOOR else ("  not identified" if row.sd_ratio > 0.9 else "")
        print(f"{row.quantity:44} {row.counts:>22} {row.p_value:8.3f} {row.sd_ratio:19.2f}{flag}")
    worst, diverged = table["p_value"].min(), int((result.divergences > 0).sum())
    print(
        f"\nsmallest p-value {worst:.3f} over {len(table)} quantities (fail below {P_FLOOR}); divergences in "
        f"{diverged} of {len(result.divergences)} fits; {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
