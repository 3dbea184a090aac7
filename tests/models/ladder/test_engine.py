"""The array engine against the Mesa reference: one kernel, same distributions.

Statistical equivalence. The engines draw in different orders, so they agree in
distribution only. For a small city with every lever that has a year-level
mechanism switched on (fund, vouchers, intake, coaching, specialists, rewards),
each engine runs independent seeds; for each compared column a two-sample
Kolmogorov-Smirnov test, and for P(certified >= pooled median) a two-proportion
z-test. Tolerance: the family of tests is rejected at level 0.01 (Bonferroni:
each KS p-value must exceed 0.01 / m, |z| must stay below the matching normal
quantile). Power, checked by hand with this helper on array runs against array
runs with one rate changed: the slow sizes flag pass_rate 0.70 -> 0.65 and
startup_registration_rate 0.60 -> 0.55, the quick sizes 0.60 -> 0.50; neither
flags exit_rate_hte 0.02 -> 0.03 (about one firm in this small city).
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from models.ladder import LadderModel, LadderParams, LeverSetting, engine, kernel, records, run_ensemble, run_ladder
from models.ladder.engine import DTYPES, run_batch
from models.ladder.model import COLUMNS
from models.ladder.population import ATTRIBUTES, HISTORY_YEARS

LEVERS = (
    LeverSetting("guidance_fund", 2_000.0, 2021),
    LeverSetting("innovation_voucher", 300.0, 2021),
    LeverSetting("reserve_pool_intake", 5.0, 2021),
    LeverSetting("coaching", 0.5, 2021),
    LeverSetting("service_specialists", 0.5, 2021),
    LeverSetting("certification_reward", 20.0, 2021),
)
SMALL = dict(stage_counts={"hte": 30, "tech_sme": 120, "startup": 48}, start_year=2020, end_year=2024, levers=LEVERS)
COMPARED = (
    "hte_certified",
    "tech_sme_registered",
    "startup",
    "outside",
    "reserve",
    "n_firms",
    "certifications_listed",
    "registrations",
    "cert_losses",
    "exits",
    "vouchers_used",
    "rd_spending",
)
FAMILY_LEVEL = 0.01


def _equivalent(mesa: xr.Dataset, array: xr.Dataset, years) -> list[str]:
    """Columns x years whose distributions differ at the family level (module docstring)."""
    m = len(COMPARED) * len(years) + 1
    level = FAMILY_LEVEL / m
    bad = []
    for year in years:
        for column in COMPARED:
            a, b = (ds[column].sel(year=year).values for ds in (mesa, array))
            p = stats.ks_2samp(a, b).pvalue
            if p < level:
                bad.append(f"{column} {year}: KS p = {p:.2g}, means {a.mean():.1f} vs {b.mean():.1f}")
    end = years[-1]
    a, b = (ds["hte_certified"].sel(year=end).values for ds in (mesa, array))
    threshold = np.median(np.concatenate([a, b]))
    x, y = a >= threshold, b >= threshold
    pooled = np.concatenate([x, y]).mean()
    se = np.sqrt(pooled * (1 - pooled) * (1 / x.size + 1 / y.size))
    z = (x.mean() - y.mean()) / se if se > 0 else 0.0
    if abs(z) > stats.norm.isf(level / 2):
        bad.append(f"P(target): {x.mean():.3f} vs {y.mean():.3f}, z = {z:.2f}")
    return bad


def test_one_firm_and_all_firms_take_the_same_step():
    """`Firm.step`'s kernel call on one firm equals the kernel on all firms, with the same draws."""
    # enough SMEs that some are eligible and certify with these draws (about one in eight is eligible)
    model = LadderModel(stage_counts={"hte": 60, "tech_sme": 480, "startup": 48}, start_year=2021, levers=LEVERS, rng=4)
    model.voucher_probability = 0.3
    firms = list(model.agents)
    for i, firm in enumerate(firms):
        firm.fund_injection = 50.0 * (i % 7 == 0)
    states = [f.state() for f in firms]
    rng = np.random.default_rng(9)
    z, u = rng.standard_normal((len(firms), kernel.N_NORMALS)), rng.random((len(firms), kernel.N_UNIFORMS))
    year = 2024  # some initial certificates expire
    together = np.concatenate(states)
    alive, events = kernel.step_firms(together, model.params, model.policy, year, 0.3, z, u)
    for i, state in enumerate(states):
        draws = z[i : i + 1], u[i : i + 1]
        one_alive, one_events = kernel.step_firms(state, model.params, model.policy, year, 0.3, *draws)
        assert one_alive[0] == alive[i]
        assert {k: bool(v[0]) for k, v in one_events.items()} == {k: bool(v[i]) for k, v in events.items()}
        for k in records.STATE:
            np.testing.assert_array_equal(state[k][0], together[k][i], err_msg=k)
    assert events["new_certifications"].any() and events["recertifications"].any() and (~alive).any()


def test_firm_records_keep_their_dtypes():
    cube = run_batch(params=[LadderParams()] * 2, seeds=np.random.SeedSequence(1).spawn(2), **SMALL)
    assert cube.shape == (2, 5, len(COLUMNS))
    arrays = {k: np.ones((3, HISTORY_YEARS) if k == "revenue_history" else 3) for k in ATTRIBUTES}
    assert records.new_state(arrays).dtype == records.STATE_DTYPE
    assert {k: np.dtype(t) for k, t in DTYPES.items()}["stage"] == np.int8


def test_array_runs_depend_on_their_seed_only():
    """Run i of an array ensemble is run_ladder(seed=child i, engine="array"), whatever the batch."""
    ds = run_ensemble(n_runs=3, seed=11, **SMALL)
    alone = run_ladder(seed=np.random.SeedSequence(11).spawn(3)[2], engine="array", **SMALL)
    np.testing.assert_array_equal(ds["hte_certified"].sel(run=2).values, alone["hte_certified"].values)
    assert ds.attrs["engine"] == "array"


def test_a_start_population_drawn_is_reused_with_the_same_numbers(monkeypatch):
    """A run's start is kept when its ensemble asks (``keep_starts``), and later ensembles take it: their numbers
    are those of the ensembles that drew it, under any levers or rates the draw does not read (the start does not
    depend on them) and any batch size. A full cache keeps what it holds, dropping only starts not taken for a
    while. A one-off ensemble keeps nothing."""
    monkeypatch.setattr(engine, "_STARTS", {})
    monkeypatch.setattr(engine, "_TAKEN", {})
    one_off = run_ensemble(n_runs=4, seed=21, **{**SMALL, "levers": ()})
    assert not engine._STARTS
    plain = {**SMALL, "levers": (), "keep_starts": True}
    drawn = {"plain": run_ensemble(n_runs=4, seed=21, **plain)}
    assert len(engine._STARTS) == 4
    np.testing.assert_array_equal(one_off["n_firms"].values, drawn["plain"]["n_firms"].values)
    drawn["levers"] = run_ensemble(n_runs=4, seed=21, keep_starts=True, **SMALL)
    for name, kwargs, batch_size in (("plain", plain, 3), ("levers", SMALL, 4), ("plain", plain, 1)):  # SMALL: takes
        again = run_ensemble(n_runs=4, seed=21, batch_size=batch_size, **kwargs)
        for column in ("n_firms", "hte_certified", "rd_spending"):
            np.testing.assert_array_equal(again[column].values, drawn[name][column].values)
    assert len(engine._STARTS) == 4
    other_rates = run_ensemble(n_runs=4, seed=21, params=LadderParams(pass_rate=0.3), **plain)
    assert len(engine._STARTS) == 4  # the draw reads no pass rate: the kept starts serve
    np.testing.assert_array_equal(other_rates["n_firms"].values[:, 0], drawn["plain"]["n_firms"].values[:, 0])
    one_start = next(iter(engine._STARTS.values()))[0].nbytes
    monkeypatch.setattr(engine, "START_CACHE_BYTES", 2 * one_start)
    for key in list(engine._STARTS)[:2]:  # runs 0 and 1 drawn again, runs 2 and 3 taken from the cache
        del engine._STARTS[key], engine._TAKEN[key]
    full = list(engine._STARTS)
    for _ in range(2):
        np.testing.assert_array_equal(
            run_ensemble(n_runs=4, seed=21, batch_size=4, **plain)["n_firms"].values, drawn["plain"]["n_firms"].values
        )
        assert list(engine._STARTS) == full  # full, and runs met in order: no thrashing
    for _ in range(3):  # runs 2 and 3 not asked for in more than 2 x 2 look-ups: dropped for the new ones
        run_ensemble(n_runs=2, seed=22, **plain)
    assert len(engine._STARTS) == 2 and not set(engine._STARTS) & set(full)
    monkeypatch.setattr(engine, "START_CACHE_BYTES", 0)  # nothing kept beyond the budget
    run_ensemble(n_runs=2, seed=23, **plain)
    assert len(engine._STARTS) == 2


def test_engines_give_the_same_layout():
    array = run_ensemble(n_runs=2, seed=3, **SMALL)
    mesa = run_ensemble(n_runs=2, seed=3, engine="mesa", **SMALL)
    assert list(array.data_vars) == list(mesa.data_vars)
    assert array["year"].equals(mesa["year"]) and dict(array.sizes) == dict(mesa.sizes)
    assert all(array[v].attrs == mesa[v].attrs for v in array.data_vars)
    with pytest.raises(ValueError, match="unknown engine"):
        run_ensemble(n_runs=1, seed=3, engine="numba", **SMALL)


def test_engines_agree_in_distribution_quick():
    """80 Mesa runs against 400 array runs: final-year stocks and flows, and P(target)."""
    mesa = run_ensemble(n_runs=80, seed=101, engine="mesa", workers=2, **SMALL)
    array = run_ensemble(n_runs=400, seed=202, **SMALL)
    assert _equivalent(mesa, array, [2024]) == []


@pytest.mark.slow
def test_engines_agree_in_distribution_full():
    """400 Mesa runs against 1,000 array runs, every year."""
    mesa = run_ensemble(n_runs=400, seed=303, engine="mesa", workers=2, **SMALL)
    array = run_ensemble(n_runs=1000, seed=404, **SMALL)
    assert _equivalent(mesa, array, [2021, 2022, 2023, 2024]) == []
