"""Benchmark: the hierarchical panel fit on every bundled indicator, PyMC's NUTS vs nutpie.

Fits the drift variant (and, with --all-variants, damped and local trend) of the panel
model for each indicator with Hebei city figures, once with each sampler, side by side
in one run, and prints wall time (model build, compile, sampling, log-likelihood),
sampling time per effective sample (bulk ESS of the slowest parameter; the sampler's
own `sampling_time`, without compilation: nutpie samples its chains in parallel
threads, so its figure is far smaller while compiling dominates its wall time) and the
convergence status. Ratios are nutpie / PyMC.

    python benchmarks/bench_panel.py [--draws 1000] [--tune 1000] [--all-variants]

nutpie comes with the `fast` extra: pip install -e ".[fast]".
"""

from __future__ import annotations

import argparse
import time

from forecast.inputs.tables import load_history, load_indicators, load_regions
from forecast.trend.pipeline import CHECKED, panel_data
from models.diagnostics import check_convergence
from models.panel import build_panel_model, fit_panel

INDICATORS = ("high_tech_enterprises", "tech_smes", "rd_intensity", "rd_expenditure", "gdp", "high_tech_certifications")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--all-variants", action="store_true")
    args = parser.parse_args()
    history, regions, indicators = load_history(), load_regions(), load_indicators()
    variants = ("drift", "damped", "local_trend") if args.all_variants else ("drift",)
    totals = {"pymc": 0.0, "nutpie": 0.0}
    print(f"{'indicator':26} {'variant':12} {'sampler':7} {'wall s':>7} {'ms/ESS':>7} {'min ESS':>8}  status")
    for indicator in INDICATORS:
        data, _, _ = panel_data(history, indicator, regions=regions, indicators=indicators, cutoff=None)
        for variant in variants:
            row = {}
            for sampler in ("pymc", "nutpie"):
                start = time.perf_counter()
                idata = fit_panel(
                    build_panel_model(data, variant),
                    data,
                    draws=args.draws,
                    tune=args.tune,
                    chains=2,
                    seed=1,
                    sampler=sampler,
                )
                wall = time.perf_counter() - start
                check = check_convergence(idata, [v for v in CHECKED if v in idata.posterior])
                sampling = float(idata.posterior.attrs.get("sampling_time", wall))
                row[sampler] = wall
                totals[sampler] += wall
                print(
                    f"{indicator:26} {variant:12} {sampler:7} {wall:7.1f} "
                    f"{1000 * sampling / max(check.ess_bulk_min, 1):7.1f} {check.ess_bulk_min:8.0f}  {check.status}"
                )
            print(f"{'':26} {'':12} ratio nutpie/pymc wall time: {row['nutpie'] / row['pymc']:.2f}")
    print(
        f"\nall panels: pymc {totals['pymc']:.0f} s, nutpie {totals['nutpie']:.0f} s, ratio "
        f"{totals['nutpie'] / totals['pymc']:.2f}"
    )


if __name__ == "__main__":
    main()
