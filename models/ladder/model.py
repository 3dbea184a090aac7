"""The ladder model: a city's firms stepped one year at a time.

`LadderModel` owns the schedule, the random generator and the data collector;
firms own their behaviour (`agents.Firm.step`). One step = one calendar year, its
events in the order of `kernel.YEAR` (steps 2-6; the one list of that order, which the
array engine follows too):

1. the levers in force this year (`levers.active_levers`);
2. guidance fund: ``guidance_fund`` (10k yuan a year) split equally over the
   high-growth candidates (`rules.is_high_growth_candidate`);
3. reserve-pool intake: ``n = reserve_intake_rate * N_sme + reserve_pool_intake``
   registered SMEs (stochastically rounded, in agents) first in `kernel.reserve_priority`
   (near-eligible firms by their `rules.hte_eligibility_gap`, eligible ones last) enter the
   pool (ties broken at random);
4. vouchers: ``innovation_voucher / innovation_voucher_value`` vouchers; each
   startup or registered SME gets one with probability ``min(1, vouchers / N_eligible)``;
5. every firm steps, in random order (``agents.shuffle_do("step")``);
6. entries arrive at the end of the year (they first step next year)::

       startups ~ Poisson(startup_entry_rate * N_sme + incubator_capacity)
       move-ins ~ Poisson(move_in_rate * N_cert + beijing_tianjin_attraction)

   with N_sme (registered: tech SMEs and reserve) and N_cert (certified) counted at the
   start of the year (`kernel.entry_means`);

   move-ins are certified firms keeping their certificate (origin
   "beijing_tianjin");
7. the data collector records one row (`COLUMNS`, units in `COLUMN_UNITS`).

``firm_scale = k``: each agent stands for k identical firms. Initial agents per
stage = round(count / k); capacities and entry means are divided by k; every
count and sum is multiplied back by k. Randomness is coarser (a Poisson draw
of mean m/k times k has variance k*m), so use k > 1 for speed, not for spread.

The start year's row is the observed state: flows are NaN there. In every later
row ``n_firms[t] - n_firms[t-1] = entries[t] - exits[t]``.
``model.transitions[t-1]`` counts (stage at start of year t, stage at end) pairs
in agents, with None for entry and exit (see `rules.ALLOWED_TRANSITIONS`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import partial

import mesa
import numpy as np
import pandas as pd

from models.ladder import census, kernel, rules
from models.ladder.agents import VOUCHER_STAGES, Firm
from models.ladder.levers import LeverSetting, active_levers, check_settings
from models.ladder.params import LadderParams
from models.ladder.population import build_population
from models.ladder.rules import CERTIFIED_STAGES, REGISTRY_STAGES, Stage

STAGE_COLUMNS = tuple(s.name.lower() for s in Stage)
STOCK_COLUMNS = ("n_firms", *STAGE_COLUMNS, "hte_certified", "tech_sme_registered", "tech_sme_incl_hte")
EVENT_COLUMNS = (
    "applications",
    "new_certifications",
    "failed_applications",
    "recertifications",
    "cert_lapsed",
    "cert_failed",
    "registrations",
    "registry_exits",
    "reserve_intake",
    "entries_startup",
    "move_ins",
    "exits_closed",
    "exits_moved_away",
    "vouchers_used",
    "fund_candidates",
)
SUM_COLUMNS = ("cert_losses", "certifications_listed", "entries", "exits")
MONEY_COLUMNS = ("rd_spending", "rd_spending_certified", "reward_outlay")
COLUMNS = ("year", *STOCK_COLUMNS, *EVENT_COLUMNS, *SUM_COLUMNS, *MONEY_COLUMNS)
"""Columns recorded each year."""

COLUMN_UNITS: dict[str, str] = {
    "year": "calendar year",
    **{c: "firms" for c in STOCK_COLUMNS},
    **{c: "firms per year" for c in (*EVENT_COLUMNS, *SUM_COLUMNS)},
    "vouchers_used": "vouchers per year",
    "fund_candidates": "firms",
    "rd_spending": "100 million yuan per year",
    "rd_spending_certified": "100 million yuan per year",
    "reward_outlay": "10k yuan per year",
}
COLUMN_MEANINGS: dict[str, str] = {
    "year": "calendar year; the start year's row is the observed state",
    "n_firms": "all modelled firms",
    "outside": "firms in the city but on no rung (left the registry, lost a certificate, left an incubator)",
    "startup": "young firms not yet registered (incubated startups and other new entrants)",
    "tech_sme": "registered tech SMEs outside the reserve pool",
    "reserve": "registered tech SMEs in the HTE reserve pool",
    "hte": "certified firms that are neither gazelle nor leading",
    "gazelle": "certified gazelles (rules.is_gazelle)",
    "leading": "certified leading firms (rules.is_leading)",
    "hte_certified": "firms holding a valid HTE certificate (hte + gazelle + leading)",
    "tech_sme_registered": "firms on the tech-SME registry (tech_sme + reserve)",
    "tech_sme_incl_hte": "registry plus certified firms within the SME size limits (direct qualification)",
    "applications": "first applications for HTE certification",
    "new_certifications": "first certifications",
    "failed_applications": "first applications that failed review",
    "recertifications": "certificates renewed at expiry",
    "cert_lapsed": "expiring certificates not renewed because the firm did not re-apply",
    "cert_failed": "expiring certificates whose re-application failed",
    "registrations": "firms entering the tech-SME registry",
    "registry_exits": "registered firms leaving the registry (failed or skipped the yearly evaluation)",
    "reserve_intake": "firms moved into the reserve pool",
    "entries_startup": "new firms entering as startups",
    "move_ins": "certified firms moving in, keeping their certificate",
    "exits_closed": "firms closing",
    "exits_moved_away": "certified firms moving away",
    "vouchers_used": "innovation vouchers received by firms",
    "fund_candidates": "high-growth candidates at the start of the year (rules.is_high_growth_candidate)",
    "cert_losses": "cert_lapsed + cert_failed",
    "certifications_listed": "new_certifications + recertifications (the yearly certification lists)",
    "entries": "entries_startup + move_ins",
    "exits": "exits_closed + exits_moved_away",
    "rd_spending": "R&D spending of all modelled firms",
    "rd_spending_certified": "R&D spending of certified firms",
    "reward_outlay": "certification and re-certification rewards paid",
}


INDICATOR_COLUMNS: dict[str, str] = {
    "high_tech_enterprises": "hte_certified",
    "tech_smes": "tech_sme_registered",
    "high_tech_certifications": "certifications_listed",
}
"""Published indicator (data/indicators.csv key) -> the column that counts it."""


def _read_summary(model: LadderModel, column: str) -> float:
    return model.summary[column]


class LadderModel(mesa.Model):
    """A city's firm population on the cultivation ladder (module docstring).

    Args:
        stage_counts: observed firms per stage at the start year, by lower-case
            stage name, e.g. ``{"hte": 905, "tech_sme": 8796}``.
        start_year: calendar year of the observed state (row 0).
        params: behavioural rates.
        levers: lever settings; status quo outside their windows.
        firm_scale: firms per agent (k >= 1).
        rng: seed, SeedSequence or numpy Generator (all randomness flows from it).
    """

    def __init__(
        self,
        *,
        stage_counts: Mapping[str, int],
        start_year: int,
        params: LadderParams = LadderParams(),
        levers: Iterable[LeverSetting] = (),
        firm_scale: int = 1,
        rng: int | np.random.SeedSequence | np.random.Generator | None = None,
        cert_ages: Sequence[float] | None = None,
    ) -> None:
        super().__init__(rng=rng)
        if int(firm_scale) != firm_scale or firm_scale < 1:
            raise ValueError(f"firm_scale must be a positive integer, got {firm_scale!r}")
        self.params, self.levers = params, check_settings(levers)
        self.start_year, self.firm_scale = int(start_year), int(firm_scale)
        self.policy = active_levers(self.levers, self.start_year)
        self.tally: Counter[str] = Counter()
        self.voucher_probability = 0.0
        self.transitions: list[Counter] = []
        agent_counts = {name: round(count / self.firm_scale) for name, count in stage_counts.items()}
        Firm.create_from_arrays(
            self, build_population(agent_counts, self.start_year, params, self.rng, cert_ages, start=True)
        )
        for firm in self.agents:
            firm.choose_rd()
        self.datacollector = mesa.DataCollector(model_reporters={c: partial(_read_summary, column=c) for c in COLUMNS})
        self.summary = self._summarise(flows=False)
        self.datacollector.collect(self)

    @property
    def year(self) -> int:
        """Calendar year of the current (or, between steps, the last) step."""
        return self.start_year + self.steps

    def step(self) -> None:
        """Advance one year (module docstring)."""
        self.policy = active_levers(self.levers, self.year)
        self.tally = Counter()
        before = {a.unique_id: a.stage for a in self.agents}
        kernel.run_year(self)  # _allocate_fund, _admit_to_reserve, _offer_vouchers, _step_firms, _enter
        self._record_transitions(before)
        self.summary = self._summarise(flows=True)
        self.datacollector.collect(self)

    def results(self) -> pd.DataFrame:
        """Collected rows, indexed by year."""
        frame = self.datacollector.get_model_vars_dataframe()
        return frame.astype({"year": int}).set_index("year")

    # --- yearly model-level actions ---------------------------------------------
    def _stochastic_round(self, x: float) -> int:
        return int(kernel.stochastic_round(x, self.rng.random()))

    def _allocate_fund(self) -> None:
        candidates = []
        for firm in self.agents:
            firm.fund_injection = 0.0
            if rules.is_high_growth_candidate(firm.certified, int(firm.stage), firm.last_growth):
                candidates.append(firm)
        self.tally["fund_candidates"] = len(candidates)
        fund = self.policy["guidance_fund"]
        if fund > 0 and candidates:
            per_firm = float(kernel.fund_per_firm(fund, len(candidates), self.firm_scale))
            for firm in candidates:
                firm.fund_injection = per_firm

    def _admit_to_reserve(self) -> None:
        smes = [a for a in self.agents if a.stage == Stage.TECH_SME]
        if not smes:
            return
        wanted = kernel.reserve_wanted(len(smes), self.params.reserve_intake_rate, self.policy, self.firm_scale)
        n = min(len(smes), self._stochastic_round(wanted))
        state = np.concatenate([a.state() for a in smes])
        gap = kernel.reserve_priority(census.eligibility_gaps(state, np.arange(len(smes))))
        order = np.lexsort((self.rng.random(len(smes)), gap))
        for i in order[:n]:
            smes[i].stage, smes[i].reserve_years = Stage.RESERVE, 0
        self.tally["reserve_intake"] += n

    def _offer_vouchers(self) -> None:
        eligible = sum(a.stage in VOUCHER_STAGES for a in self.agents)
        self.voucher_probability = float(kernel.voucher_probability(self.policy, eligible, self.firm_scale))

    def _step_firms(self) -> None:
        self.agents.shuffle_do("step")

    def _enter(self) -> None:
        p, k, year = self.params, self.firm_scale, self.year
        start = self.summary  # last year's row: the registered and certified firms at the start of this one
        means = kernel.entry_means(p, self.policy, start["tech_sme_registered"], start["hte_certified"], k)
        n_start, n_move = (int(self.rng.poisson(mean)) for mean in means)
        if n_start:
            Firm.create_from_arrays(self, build_population({"startup": n_start}, year, p, self.rng))
        if n_move:
            arrays = build_population({"hte": n_move}, year, p, self.rng)
            Firm.create_from_arrays(self, arrays, origin="beijing_tianjin")
        self.tally["entries_startup"] += n_start
        self.tally["move_ins"] += n_move

    def _record_transitions(self, before: dict[int, Stage]) -> None:
        now = {a.unique_id: a.stage for a in self.agents}
        moves: Counter = Counter((stage, now.get(uid)) for uid, stage in before.items())
        moves.update((None, stage) for uid, stage in now.items() if uid not in before)
        self.transitions.append(moves)

    # --- recording -----------------------------------------------------------------
    def _summarise(self, *, flows: bool) -> dict[str, float]:
        k = self.firm_scale
        counts: Counter = Counter()
        rd = rd_certified = 0.0
        small_certified = 0
        for a in self.agents:
            counts[a.stage] += 1
            rd += a.rd_spend
            if a.stage in CERTIFIED_STAGES:
                rd_certified += a.rd_spend
                small_certified += bool(rules.within_sme_size(a.staff, a.revenue, a.assets))
        s: dict[str, float] = {"year": self.year, "n_firms": k * len(self.agents)}
        s.update({name: k * counts[stage] for name, stage in zip(STAGE_COLUMNS, Stage, strict=True)})
        s["hte_certified"] = k * sum(counts[st] for st in CERTIFIED_STAGES)
        s["tech_sme_registered"] = k * sum(counts[st] for st in REGISTRY_STAGES)
        s["tech_sme_incl_hte"] = s["tech_sme_registered"] + k * small_certified
        s["rd_spending"] = k * rd / 10_000
        s["rd_spending_certified"] = k * rd_certified / 10_000
        t = self.tally
        events = {c: k * t[c] for c in EVENT_COLUMNS}
        events["cert_losses"] = events["cert_lapsed"] + events["cert_failed"]
        events["certifications_listed"] = events["new_certifications"] + events["recertifications"]
        events["entries"] = events["entries_startup"] + events["move_ins"]
        events["exits"] = events["exits_closed"] + events["exits_moved_away"]
        events["reward_outlay"] = k * t["reward_outlay"]
        s.update(events if flows else dict.fromkeys(events, np.nan))
        return s
