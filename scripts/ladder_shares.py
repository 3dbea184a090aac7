"""Eligibility, renewal and register shares of the ladder model beside the published figures.

    PATH=$PWD/.venv/bin:$PATH python scripts/ladder_shares.py [--runs N] [--seed S] [--rates posterior --cache DIR]

For Langfang (2020 start), Hebei (2017 start) and Handan (2020 start), with the default rates (`LadderParams()`), or
with ``--rates posterior`` each region's calibrated rates (posterior medians of `forecast calibrate --region R`,
seed 1, read from or saved to the posterior cache ``--cache``), and the policy history of data/policies.csv:

* after set-up (population drawn, R&D chosen under the start year's policy): the share of registered
  SMEs (tech_sme + reserve) meeting each high-tech certification criterion (`kernel.CRITERIA`) and all
  of them, and the share of the certified firms meeting all of them;
* certified firms per eligible firm: certified / (certified + eligible uncertified firms);
* over N array runs to the last year with figures: the renewal rate of the expiring cohorts
  (recertifications / (recertifications + lapses + failed renewals)) and the paths of the register,
  the certified stock and the yearly certification lists (new + renewed), median over the runs.

Beside them, the published comparators of data/history.csv: the certified stock and register figures
of the region, and Hebei's yearly certification lists (new + renewed, flows). The renewal rate is not
published; what the lists imply is printed: in a three-year cycle the stock is about the sum of the
last three lists (stock / that sum near 1 means few certificates are lost between lists), and the
eligible backlog the new certifications imply at the model's own application and pass rates. The model's own
stock / sum of its last three lists is printed beside it (column ``stock_per_3_lists``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.cache import PosteriorCache
from forecast.inputs.bundle import load_inputs
from forecast.ladder.calibration import posterior_for
from forecast.ladder.policies import scenario_with_history
from forecast.ladder.start import cert_age_shares
from models.ladder import LadderParams, census, kernel, records, run_ensemble
from models.ladder.levers import active_levers
from models.ladder.population import assumed_startups, build_population

CASES = (
    ("langfang", 2020, 8_796, 905, 2025),
    ("hebei", 2017, 55_000, 3_174, 2024),
    ("handan", 2020, 12_263, 662, 2023),
)


def setup_state(counts: dict, year: int, params: LadderParams, levers, ages, seed: int) -> np.ndarray:
    """The firms after set-up, as the engine makes them (population drawn, R&D chosen)."""
    rng = np.random.default_rng(seed)
    state = records.new_state(build_population(counts, year, params, rng, cert_ages=ages, start=True))
    kernel.choose_rd_all(state, params, active_levers(levers, year))
    return state


def criteria_shares(state: np.ndarray) -> pd.DataFrame:
    """Share of registered SMEs and of certified firms meeting each criterion and all of them."""
    bits = census.criteria(state)
    groups = {"registered SMEs": kernel.is_registered(state["stage"]), "certified": kernel.is_certified(state["stage"])}
    rows = {}
    for label, mask in groups.items():
        b = bits[mask]
        shares = {name: float(np.mean((b >> k) & 1)) for k, name in enumerate(kernel.CRITERIA)}
        shares["all"] = float(np.mean(b == kernel.ALL_CRITERIA))
        rows[label] = shares
    return pd.DataFrame(rows)


def published(history: pd.DataFrame, region: str, indicator: str, series: str = "main") -> pd.Series:
    rows = history[(history.region == region) & (history.indicator == indicator) & (history.series == series)]
    clean = rows[rows.flag.fillna("").isin(["", "plan_base", "lower_bound"])]
    return clean.groupby("year")["value"].last().rename(lambda y: int(y))


def calibrated(region: str, inputs, cache: Path) -> LadderParams:
    """The region's posterior median rates (the calibration `forecast calibrate --region` makes, seed 1)."""
    idata = posterior_for(
        region, inputs.history, inputs.regions, seed=1, cache=PosteriorCache(cache), policies=inputs.policies
    )
    rates = idata.posterior["rates"].sel(region=region).median(("chain", "draw"))
    return LadderParams.from_dict({str(k): float(v) for k, v in zip(rates["param"].values, rates.values, strict=True)})


def report_case(region, year, sme, hte, last, inputs, runs, seed, params) -> None:
    levers, _ = scenario_with_history((), inputs.policies, region, year, last)
    ages, note = cert_age_shares(inputs.history, region, year, inputs.regions)
    counts = {"hte": hte, "tech_sme": sme, "startup": assumed_startups(sme)}  # as runs and calibration start
    print(f"\n=== {region}, start {year}: {counts}\n{note}")
    if params != LadderParams():
        print("rates:", {k: round(v, 3) for k, v in params.to_dict().items() if v != getattr(LadderParams(), k)})
    state = setup_state(counts, year, params, levers, ages, seed)
    print(criteria_shares(state).round(3).to_string())
    bits = census.criteria(state)
    eligible = (bits == kernel.ALL_CRITERIA) & ~kernel.is_certified(state["stage"])
    n_cert = int(kernel.is_certified(state["stage"]).sum())
    n_registered = int(kernel.is_registered(state["stage"]).sum())
    print(
        f"eligible uncertified firms: {int(eligible.sum()):,}; certified per eligible firm: "
        f"{n_cert / (n_cert + eligible.sum()):.2f}; eligible uncertified per certified firm: "
        f"{eligible.sum() / n_cert:.2f}; registered SMEs per certified firm: {n_registered / n_cert:.1f}"
    )
    ds = run_ensemble(
        n_runs=runs,
        seed=seed,
        stage_counts=counts,
        start_year=year,
        end_year=last,
        params=params,
        levers=levers,
        cert_ages=ages,
    )
    med = ds.median("run").to_dataframe()
    expiring = med["recertifications"] + med["cert_lapsed"] + med["cert_failed"]
    out = pd.DataFrame(
        {
            "register": med["tech_sme_registered"],
            "certified": med["hte_certified"],
            "lists": med["certifications_listed"],
            "new": med["new_certifications"],
            "renewal_rate": med["recertifications"] / expiring.where(expiring > 0),
            "stock_per_3_lists": med["hte_certified"] / med["certifications_listed"].rolling(3).sum(),
            "pub_register": published(inputs.history, region, "tech_smes"),
            "pub_certified": published(inputs.history, region, "high_tech_enterprises"),
            "pub_lists": published(inputs.history, region, "high_tech_certifications"),
        }
    ).loc[year:last]
    print(out.round(3).to_string())
    lists = published(inputs.history, "hebei", "high_tech_certifications")
    stock = published(inputs.history, "hebei", "high_tech_enterprises")
    implied = {t: stock[t] / lists.loc[t - 2 : t].sum() for t in stock.index if {t - 2, t - 1, t} <= set(lists.index)}
    print("Hebei stock / sum of the last three lists (published):", {t: round(v, 2) for t, v in implied.items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rates", choices=("defaults", "posterior"), default="defaults")
    parser.add_argument("--cache", type=Path, default=Path(".forecast-cache"), help="folder of saved posteriors")
    args = parser.parse_args()
    inputs = load_inputs()
    for case in CASES:
        params = calibrated(case[0], inputs, args.cache) if args.rates == "posterior" else LadderParams()
        report_case(*case, inputs, args.runs, args.seed, params)


if __name__ == "__main__":
    main()
