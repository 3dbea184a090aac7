"""The mean-field's pilot run on the array engine: the same stage profile as
`meanfield.measure_profile` (the Mesa pilot), measured from the firm arrays.

What is measured (`meanfield.StageProfile`): for every firm alive at the end of
year t-1 and t, its (compartment, eligibility class) at both ends, giving the class
kernels per compartment group; the classes of entrants; the tax savings of the firms
whose application probability they set; the funded share of certified firms. A
firm's compartment and class are read from its state exactly as `meanfield.compartment`
and `meanfield.eligibility_class` read a Mesa agent (`kernel.hte_eligible`,
`kernel.sme_eligible` are the rules the agent calls).

Why it is the same measurement: the array engine runs the events of `kernel.YEAR` with
the firm step of `kernel.step_firms`, as the Mesa model does (`engine` docstring); the
two agree in distribution, not draw by draw. Each pilot run is a batch of one run, and a
year keeps its survivors in order and puts its entrants after them
(`engine._Batch.renew`), so a firm's row before the year and its row after it are paired
by the year's ``alive`` mask. It costs about a hundredth of the Mesa pilot
(`benchmarks/bench_calibrate.py`), so it runs more agents (`PILOT_AGENTS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from models.ladder import behaviour as bh
from models.ladder import census, engine, kernel
from models.ladder import meanfield as mf
from models.ladder.levers import LeverSetting, active_levers, check_settings
from models.ladder.params import LadderParams
from models.ladder.rules import Stage

PILOT_AGENTS = 12_000
"""Agents at the start of an array pilot run (four times the Mesa pilot's, at a fraction of its cost)."""
_GROUP_INDEX = np.array([mf.GROUPS.index(mf.GROUP_OF[k]) for k in mf.KEYS])
_H2, _S, _O = mf.KEYS.index("H2"), mf.KEYS.index("S"), mf.KEYS.index("O")
_SAVING_GROUP = {g: np.array([mf.GROUP_OF[k][0] == g for k in mf.KEYS]) for g in "USRO"}
_CERTIFIED_GROUPS = np.array([mf.GROUPS.index(g) for g in mf.CERTIFIED_GROUPS])


def compartments(s: Mapping[str, np.ndarray], year: int) -> np.ndarray:
    """Index into `meanfield.KEYS` of every firm's compartment at the end of `year` (`meanfield.compartment`)."""
    stage = s["stage"].astype(int)
    out = np.full(stage.size, _O)
    certified = kernel.is_certified(stage)
    cert_age = np.clip(year - np.nan_to_num(s["cert_year"].astype(float), nan=year), 0, 2).astype(int)
    out[certified] = mf.KEYS.index("H0") + cert_age[certified]
    startup = stage == int(Stage.STARTUP)
    out[startup] = np.minimum(s["age"][startup].astype(int), 2)
    reserve = stage == int(Stage.RESERVE)
    out[reserve] = mf.KEYS.index("R0") + np.minimum(s["reserve_years"][reserve].astype(int), 2)
    out[stage == int(Stage.TECH_SME)] = _S
    return out


def classes(s: Mapping[str, np.ndarray], pass_mark: float) -> np.ndarray:
    """2 x meets the HTE criteria + passes the SME rule (`meanfield.eligibility_class`)."""
    return census.hte_classes(np.asarray(s), pass_mark)


def _record_initial(tally, s: Mapping[str, np.ndarray], year: int, pass_mark: float) -> None:
    key, cls = compartments(s, year), classes(s, pass_mark)
    for stage in Stage:
        here = s["stage"] == int(stage)
        if not here.any():
            continue
        name = stage.name.lower()
        cells = tally.initial.setdefault(name, np.zeros((len(mf.KEYS), mf.N_CLASSES)))
        np.add.at(cells, (key[here], cls[here]), 1)
        tally.initial_n[name] = tally.initial_n.get(name, 0) + int(here.sum())


def _record_year(tally, t: int, before: tuple, s: Mapping, year: int, alive: np.ndarray, p, tax_rate: float) -> None:
    key0, cls0 = before[0][alive], before[1][alive]
    n_kept = key0.size
    cls = classes(s, p.sme_pass_mark)
    cls1, new_cls = cls[:n_kept], cls[n_kept:]
    new_certified = kernel.is_certified(s["stage"][n_kept:])
    np.add.at(tally.entrants["H"], new_cls[new_certified], 1)
    np.add.at(tally.entrants["U"], new_cls[~new_certified], 1)
    group = _GROUP_INDEX[key0]
    np.add.at(tally.kernel[t], (group, cls0, cls1), 1)
    kept = {name: s[name][:n_kept] for name in ("revenue", "profit_margin", "staff", "assets", "fund_injection")}
    saving = bh.hte_tax_saving(
        kept["profit_margin"].astype(float) * kept["revenue"], kept["staff"], kept["assets"], tax_rate
    )
    saving = np.broadcast_to(np.asarray(saving, dtype=float), key0.shape)
    tally.savings["H"].extend(saving[key0 == _H2].tolist())
    for g, members in _SAVING_GROUP.items():
        tally.savings[g].extend(saving[members[key0] & (cls1 >= 2)].tolist())
    certified_group = np.isin(group, _CERTIFIED_GROUPS)
    tally.funded[t] += ((kept["fund_injection"][certified_group] > 0).sum(), certified_group.sum())


def pilot_scale(stage_counts: Mapping[str, int]) -> int:
    """Firms per agent of a pilot-sized run: about `PILOT_AGENTS` agents at the start."""
    return max(1, round(sum(stage_counts.values()) / PILOT_AGENTS))


def measure_profile_array(
    *,
    stage_counts: Mapping[str, int],
    start_year: int,
    end_year: int,
    params: LadderParams = LadderParams(),
    levers: Iterable[LeverSetting] = (),
    seed: int | np.random.SeedSequence = 0,
    n_runs: int = 2,
    firm_scale: int | None = None,
    cert_ages: Sequence[float] | None = None,
) -> mf.StageProfile:
    """`meanfield.measure_profile` on the array engine; ``firm_scale`` defaults to about `PILOT_AGENTS` agents."""
    if end_year <= start_year:
        raise ValueError(f"end_year {end_year} must be after start_year {start_year}")
    k = firm_scale or pilot_scale(stage_counts)
    levers = check_settings(levers)
    tally = mf._Tally(end_year - start_year)
    seed_seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    for child in seed_seq.spawn(n_runs):
        b = engine._Batch([params], [child], k)
        b.renew(
            None, [{name: round(count / k) for name, count in stage_counts.items()}], start_year, cert_ages, start=True
        )
        kernel.choose_rd_all(b.state, b.table, active_levers(levers, start_year), b.run)
        _record_initial(tally, b.state, start_year, params.sme_pass_mark)
        for t, year in enumerate(range(start_year + 1, end_year + 1)):
            before = (compartments(b.state, year - 1), classes(b.state, params.sme_pass_mark))
            policy = active_levers(levers, year)
            b.take_stock()  # the counts the year's intake, vouchers and entries read
            this_year = engine._Year(b, policy, year)
            kernel.run_year(this_year)
            _record_year(tally, t, before, b.state, year, this_year.alive, params, policy["income_tax_rate"])
    return mf._profile_from_tally(tally, stage_counts, start_year, end_year)


PILOTS = {"array": measure_profile_array, "mesa": mf.measure_profile}
"""Pilot engines by name: the array engine (default) and the Mesa reference."""
