"""The firm agent: one firm (or `firm_scale` identical firms) on the cultivation ladder.

A firm's year is `kernel.step_firms` (the one copy of the step, compiled, which also
runs every firm of every run in `engine`): `Firm.step` hands the kernel its
attributes as one firm record (`records.STATE_DTYPE`) with its own random numbers (4 normals and
6 uniforms from ``model.rng``), then takes the new attributes back, adds the
events to ``model.tally`` and leaves the model if it closed or moved away.
The order of events, in brief (equations in `kernel`):

1. age += 1; revenue, staff, assets, the tech-staff and high-tech-revenue shares
   and the R&D propensity move (`kernel.grow`);
2. exit: closure by stage or, if certified, moving away (`kernel.exits`);
3. R&D ratio under the firm's tax rate, super-deduction and voucher, bunched at
   the threshold by a firm seeking the certificate (`kernel.choose_rd`);
4. core IP arrivals, Poisson;
5. at most one ladder move: a certified firm renews or loses an expiring
   certificate and takes the gazelle / leading test (`kernel.keep_certificate`);
   an uncertified one applies if HTE-eligible, else the registry evaluation
   (`kernel.climb`, `kernel.evaluate_registry`).

All randomness comes from ``model.rng``; counts of events go to ``model.tally``.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import mesa
import numpy as np

from models.ladder import census, kernel, records, rules
from models.ladder.population import HISTORY_YEARS
from models.ladder.rules import CERTIFIED_STAGES, Stage

if TYPE_CHECKING:
    from models.ladder.model import LadderModel

VOUCHER_STAGES = frozenset(Stage(code) for code in kernel.VOUCHER_STAGE_CODES)


class Firm(mesa.Agent):
    """A firm with its ladder stage, size, R&D and certificate (money in 10k yuan).

    Attributes:
        stage: `Stage`; certified firms are HTE, GAZELLE or LEADING.
        age: years since registration.
        staff, tech_staff_share: employees and the share of them in R&D/tech roles.
        revenue, assets, rd_spend: 10k yuan per year (assets a stock).
        rd_ratio: rd_spend / revenue this year; rd_propensity: ratio at user cost 1.
        ip_count: core IP items held; ip_class1: class I items among them; ip_class2: class II
            items not yet used in a certification application.
        tech_level, organisation, conversion_base, conversions: what the innovation-ability
            score reads (`rules.innovation_score`); rd_history: R&D of the last three years.
        high_tech_revenue_share: share of revenue from high-tech products/services.
        sector: "manufacturing" or "other" (the super-deduction differs).
        origin: "local" or "beijing_tianjin" (moved in keeping its certificate).
        cert_year: year the current certificate was issued, or None.
        revenue_history: revenue of the last four years, oldest first.
        reserve_years: years spent in the reserve pool.
        fund_injection: guidance-fund money received this year.
    """

    model: LadderModel

    def __init__(self, model: LadderModel, *, origin: str = "local", **attributes: object) -> None:
        super().__init__(model)
        a = attributes
        self.stage = Stage(int(a["stage"]))
        self.age = int(a["age"])
        self.staff = float(a["staff"])
        self.tech_staff_share = float(a["tech_staff_share"])
        self.revenue = float(a["revenue"])
        self.assets = float(a["assets"])
        self.asset_ratio = float(a["asset_ratio"])
        self.rd_propensity = float(a["rd_propensity"])
        self.rd_spend = float(a["rd_spend"])
        self.rd_ratio = self.rd_spend / self.revenue
        self.ip_count = int(a["ip_count"])
        self.ip_class1 = int(a["ip_class1"])
        self.ip_class2 = int(a["ip_class2"])
        self.tech_level = float(a["tech_level"])
        self.organisation = float(a["organisation"])
        self.conversion_base = float(a["conversion_base"])
        self.conversions = float(a["conversions"])
        self.rd_history = np.array(a["rd_history"], dtype=float)
        self.high_tech_revenue_share = float(a["high_tech_revenue_share"])
        self.sector = "manufacturing" if bool(a["manufacturing"]) else "other"
        self.origin = origin
        self.growth_effect = float(a["growth_effect"])
        self.profit_margin = float(a["profit_margin"])
        cert_year = float(a["cert_year"])
        self.cert_year: int | None = None if math.isnan(cert_year) else int(cert_year)
        history = np.asarray(a["revenue_history"], dtype=float)
        self.revenue_history: deque[float] = deque(history[~np.isnan(history)].tolist(), maxlen=HISTORY_YEARS)
        self.reserve_years = 0
        self.ip_cited = 0
        self.fund_injection = 0.0
        self.last_growth = 0.0

    @classmethod
    def create_from_arrays(cls, model: LadderModel, arrays: dict[str, np.ndarray], origin: str = "local") -> list[Firm]:
        """One agent per row of `population.build_population` output."""
        n = len(arrays["stage"])
        return [cls(model, origin=origin, **{k: v[i] for k, v in arrays.items()}) for i in range(n)]

    # --- derived state -----------------------------------------------------------
    @property
    def certified(self) -> bool:
        return self.stage in CERTIFIED_STAGES

    @property
    def manufacturing(self) -> bool:
        return self.sector == "manufacturing"

    @property
    def has_core_ip(self) -> bool:
        return bool(rules.core_ip(self.ip_class1, self.ip_class2) > 0)

    @property
    def profit(self) -> float:
        return self.profit_margin * self.revenue

    def hte_eligible(self) -> bool:
        """Meets the HTE criteria this year (`kernel.hte_eligible` on this firm's record)."""
        return bool(census.hte_classes(self.state(), self.model.params.sme_pass_mark)[0] >= 2)

    def sme_eligible(self) -> bool:
        """Passes the tech-SME registry rule this year (`kernel.sme_eligible` on this firm's record)."""
        return bool(census.hte_classes(self.state(), self.model.params.sme_pass_mark)[0] % 2)

    def cagr3(self) -> float:
        """Revenue CAGR over the last three years (NaN if the firm is younger)."""
        if len(self.revenue_history) < HISTORY_YEARS:
            return math.nan
        return float(rules.revenue_cagr(self.revenue_history[-1], self.revenue_history[0], HISTORY_YEARS - 1))

    # --- the year ----------------------------------------------------------------
    def step(self) -> None:
        """One year of this firm's life: `kernel.step_bits` for this one firm."""
        m = self.model
        z = m.rng.standard_normal((1, kernel.N_NORMALS), dtype=kernel.DRAW_DTYPE)
        u = m.rng.random((1, kernel.N_UNIFORMS), dtype=kernel.DRAW_DTYPE)
        state = self.state()
        bits = int(kernel.step_bits(state, m.params, m.policy, m.year, m.voucher_probability, z, u)[0])
        self.load_state(state)
        for e, name in enumerate(kernel.EVENTS):
            m.tally[name] += (bits >> e) & 1
        m.tally["reward_outlay"] += (bits & kernel.CERTIFIED > 0) * m.policy["certification_reward"] + (
            bits & kernel.RENEWED > 0
        ) * m.policy["recertification_reward"]
        if bits & (kernel.CLOSED | kernel.MOVED_AWAY):
            self.remove()

    def choose_rd(self) -> None:
        """Set the R&D ratio and spending under the policy in force, without a voucher (the start of
        a run; in later years the step chooses them): `kernel.choose_rd_all` on this firm."""
        state = self.state()
        kernel.choose_rd_all(state, self.model.params, self.model.policy)
        self.load_state(state)

    def state(self) -> np.ndarray:
        """This firm as a kernel state: one record of `records.STATE_DTYPE`."""
        history = [math.nan] * (HISTORY_YEARS - len(self.revenue_history)) + list(self.revenue_history)
        cert_year = math.nan if self.cert_year is None else float(self.cert_year)
        special = {"stage": int(self.stage), "cert_year": cert_year, "revenue_history": history}
        values = tuple(special[name] if name in special else getattr(self, name) for name in records.STATE)
        return np.array([values], dtype=records.STATE_DTYPE)

    def load_state(self, state: np.ndarray) -> None:
        """Take back the attributes of a kernel state of length one."""
        values = dict(zip(records.STATE, state.item(0), strict=True))
        for name in _PLAIN_ATTRIBUTES:
            setattr(self, name, values[name])
        self.stage = Stage(values["stage"])
        cert_year = values["cert_year"]
        self.cert_year = None if math.isnan(cert_year) else int(cert_year)
        history = values["revenue_history"]
        self.revenue_history = deque(history[~np.isnan(history)].tolist(), maxlen=HISTORY_YEARS)


_PLAIN_ATTRIBUTES = tuple(
    n for n in records.STATE if n not in ("stage", "cert_year", "revenue_history", "manufacturing")
)
"""Attributes a `Firm` holds as the record does (the others are converted: Stage, None, a deque, the sector)."""
