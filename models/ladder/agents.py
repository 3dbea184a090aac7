"""The firm agent: one firm (or `firm_scale` identical firms) on the cultivation ladder.

Each year (`Firm.step`), in this order:

1. age += 1; revenue grows, ``log R' = log R + g`` with ``g`` from
   `behaviour.revenue_log_growth`; staff follow with elasticity 0.6
   (``log S' = log S + 0.6 g``); assets = revenue * asset_ratio; the tech-staff and
   high-tech-revenue shares take a random step (sd 0.02, clipped to [0, 1]); the
   log R&D propensity takes a random step (sd ``rd_ratio_drift_sd``).
2. Exit: closure with `behaviour.exit_probability` (rate by stage), or, for a
   certified firm, moving away with ``move_out_rate``; the firm is removed.
3. R&D: ratio from `behaviour.rd_ratio_response` under the firm's marginal tax
   rate, super-deduction and voucher (if drawn), bunched at the threshold by a
   firm seeking the certificate; capped at 50% of revenue. R&D spend = ratio x revenue.
4. Core IP: Poisson arrivals with mean `behaviour.expected_ip_arrivals`.
5. Ladder move, at most one per year:
   * certified firm: in the year its certificate expires it re-applies
     (`reapplication_probability`) and passes (`pass_probability`, eligible firms
     only) or loses the certificate (-> TECH_SME if it registers, else OUTSIDE);
     then the gazelle / leading definitions set HTE, GAZELLE or LEADING;
   * uncertified firm: if HTE-eligible it applies (`application_probability`, with
     the reserve boost in the pool) and may pass (coached in the pool) -> HTE;
     otherwise the yearly registry evaluation: registered firms that fail the
     SME rule or do not renew leave the registry (-> OUTSIDE), reserve firms
     leave the pool after `RESERVE_MAX_YEARS`; startups and outside firms that
     pass the rule may register; startups leave the incubator unregistered at
     `INCUBATION_YEARS`.

All randomness comes from ``model.rng``; counts of events go to ``model.tally``.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import mesa
import numpy as np

from models.ladder import behaviour as bh
from models.ladder import rules
from models.ladder.population import HISTORY_YEARS
from models.ladder.rules import CERTIFIED_STAGES, REGISTRY_STAGES, Stage

if TYPE_CHECKING:
    from models.ladder.model import LadderModel

STAFF_GROWTH_ELASTICITY = 0.6
SHARE_DRIFT_SD = 0.02
MIN_REVENUE = 10.0
"""Revenue floor, 10k yuan (100,000 yuan), so ratios stay defined."""
MAX_RD_RATIO = 0.5
VOUCHER_STAGES = frozenset({Stage.STARTUP, Stage.TECH_SME, Stage.RESERVE})


class Firm(mesa.Agent):
    """A firm with its ladder stage, size, R&D and certificate (money in 10k yuan).

    Attributes:
        stage: `Stage`; certified firms are HTE, GAZELLE or LEADING.
        age: years since registration.
        staff, tech_staff_share: employees and the share of them in R&D/tech roles.
        revenue, assets, rd_spend: 10k yuan per year (assets a stock).
        rd_ratio: rd_spend / revenue this year; rd_propensity: ratio at user cost 1.
        ip_count: core IP items held.
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
        return self.ip_count > 0

    @property
    def profit(self) -> float:
        return self.profit_margin * self.revenue

    def hte_eligible(self) -> bool:
        """Meets the HTE criteria this year (`rules.is_hte_eligible`)."""
        return bool(
            rules.is_hte_eligible(
                self.age,
                self.rd_spend,
                self.revenue,
                self.tech_staff_share,
                self.has_core_ip,
                self.high_tech_revenue_share,
            )
        )

    def sme_eligible(self) -> bool:
        """Passes the tech-SME registry rule this year (`rules.is_sme_eligible`)."""
        score = rules.sme_score(self.tech_staff_share, self.rd_ratio, self.ip_count)
        return bool(
            rules.is_sme_eligible(
                self.staff, self.revenue, self.assets, score, self.model.params.sme_pass_mark, self.tech_staff_share
            )
        )

    def cagr3(self) -> float:
        """Revenue CAGR over the last three years (NaN if the firm is younger)."""
        if len(self.revenue_history) < HISTORY_YEARS:
            return math.nan
        return float(rules.revenue_cagr(self.revenue_history[-1], self.revenue_history[0], HISTORY_YEARS - 1))

    # --- the year ----------------------------------------------------------------
    def step(self) -> None:
        """One year of this firm's life (module docstring)."""
        self.age += 1
        self._grow()
        if self._exit():
            return
        self.choose_rd()
        self._gain_ip()
        if self.certified:
            self._keep_certificate()
        else:
            self._climb()

    def _grow(self) -> None:
        p = self.model.params
        z = self.model.rng.standard_normal(4).tolist()
        g = float(
            bh.revenue_log_growth(
                p.revenue_growth_mean,
                self.growth_effect,
                p.revenue_growth_sd * z[0],
                self.fund_injection,
                self.revenue,
                p.fund_return,
            )
        )
        self.last_growth = g
        self.revenue = max(MIN_REVENUE, self.revenue * math.exp(g))
        self.staff = max(1.0, self.staff * math.exp(STAFF_GROWTH_ELASTICITY * g))
        self.assets = self.revenue * self.asset_ratio
        self.revenue_history.append(self.revenue)
        self.tech_staff_share = min(1.0, max(0.0, self.tech_staff_share + SHARE_DRIFT_SD * z[1]))
        self.high_tech_revenue_share = min(1.0, max(0.0, self.high_tech_revenue_share + SHARE_DRIFT_SD * z[2]))
        self.rd_propensity *= math.exp(p.rd_ratio_drift_sd * z[3])

    def _exit(self) -> bool:
        m, p = self.model, self.model.params
        base = {
            Stage.STARTUP: p.exit_rate_startup,
            Stage.TECH_SME: p.exit_rate_sme,
            Stage.RESERVE: p.exit_rate_sme,
            Stage.OUTSIDE: p.exit_rate_outside,
        }.get(self.stage, p.exit_rate_hte)
        specialist = m.policy["service_specialists"] if self.certified else 0.0
        p_close = float(
            bh.exit_probability(base, specialist, p.specialist_efficacy, self.fund_injection > 0, p.fund_exit_reduction)
        )
        p_move = p.move_out_rate if self.certified else 0.0
        u = m.rng.random()
        if u < p_close:
            m.tally["exits_closed"] += 1
        elif u < p_close + p_move:
            m.tally["exits_moved_away"] += 1
        else:
            return False
        self.remove()
        return True

    def choose_rd(self, allow_voucher: bool = True) -> None:
        """Set this year's R&D ratio and spending under the policy in force."""
        p, pol = self.model.params, self.model.policy
        tax = rules.marginal_tax_rate(self.profit, self.staff, self.assets, self.certified, pol["income_tax_rate"])
        deduction = rules.effective_super_deduction(
            self.manufacturing,
            self.stage in REGISTRY_STAGES,
            pol["rd_super_deduction"],
            pol["rd_super_deduction_manufacturing"],
            pol["rd_super_deduction_tech_sme"],
        )
        voucher = self._draw_voucher() if allow_voucher else 0.0
        share = bh.voucher_share(voucher, self.rd_propensity * self.revenue)
        ratio = bh.rd_ratio_response(self.rd_propensity, tax, deduction, share, p.rd_price_elasticity)
        seeking = self.certified or bool(
            rules.meets_non_rd_criteria(self.age, self.tech_staff_share, self.has_core_ip, self.high_tech_revenue_share)
        )
        ratio = bh.bunch_rd_ratio(ratio, rules.hte_rd_threshold(self.revenue), p.rd_bunching_gap, seeking)
        self.rd_ratio = min(float(ratio), MAX_RD_RATIO)
        self.rd_spend = self.rd_ratio * self.revenue

    def _draw_voucher(self) -> float:
        m = self.model
        if self.stage not in VOUCHER_STAGES or m.voucher_probability <= 0:
            return 0.0
        if m.rng.random() >= m.voucher_probability:
            return 0.0
        m.tally["vouchers_used"] += 1
        return m.policy["innovation_voucher_value"]

    def _gain_ip(self) -> None:
        p = self.model.params
        mean = float(bh.expected_ip_arrivals(self.rd_spend, p.ip_yield, p.ip_base_rate))
        if mean > 0:
            self.ip_count += int(self.model.rng.poisson(mean))

    def _keep_certificate(self) -> None:
        if bool(rules.certificate_expired(self.cert_year, self.model.year)) and not self._recertify():
            return
        gazelle = rules.is_gazelle(True, self.age, self.revenue, self.cagr3())
        leading = rules.is_leading(True, self.revenue, self.rd_ratio)
        self.stage = Stage(int(rules.certified_stage(gazelle, leading)))

    def _recertify(self) -> bool:
        m, p, pol = self.model, self.model.params, self.model.policy
        saving = bh.hte_tax_saving(self.profit, self.staff, self.assets, pol["income_tax_rate"])
        specialist = pol["service_specialists"]
        p_apply = bh.reapplication_probability(
            p.recert_apply_rate,
            pol["recertification_reward"],
            saving,
            p.application_value_weight,
            p.application_cost,
            specialist,
            p.specialist_efficacy,
        )
        if m.rng.random() >= p_apply:
            m.tally["cert_lapsed"] += 1
            self._lose_certificate()
            return False
        p_pass = bh.pass_probability(
            p.recert_pass_rate, self.hte_eligible(), specialist=specialist, specialist_efficacy=p.specialist_efficacy
        )
        if m.rng.random() >= p_pass:
            m.tally["cert_failed"] += 1
            self._lose_certificate()
            return False
        self.cert_year = m.year
        m.tally["recertifications"] += 1
        m.tally["reward_outlay"] += pol["recertification_reward"]
        return True

    def _lose_certificate(self) -> None:
        self.cert_year = None
        registers = self.sme_eligible() and self.model.rng.random() < self.model.params.sme_renewal_rate
        self.stage = Stage.TECH_SME if registers else Stage.OUTSIDE

    def _climb(self) -> None:
        if self.hte_eligible() and self._applies():
            if self._passes():
                return
        self._update_registry()

    def _applies(self) -> bool:
        m, p, pol = self.model, self.model.params, self.model.policy
        saving = bh.hte_tax_saving(self.profit, self.staff, self.assets, pol["income_tax_rate"])
        boost = p.reserve_application_boost if self.stage == Stage.RESERVE else 0.0
        p_apply = bh.application_probability(
            p.application_rate,
            pol["certification_reward"],
            saving,
            p.application_value_weight,
            p.application_cost,
            boost,
        )
        applies = bool(m.rng.random() < p_apply)
        if applies:
            m.tally["applications"] += 1
        return applies

    def _passes(self) -> bool:
        m, p, pol = self.model, self.model.params, self.model.policy
        coaching = pol["coaching"] if self.stage == Stage.RESERVE else 0.0
        p_pass = bh.pass_probability(p.pass_rate, True, coaching=coaching, coaching_efficacy=p.coaching_efficacy)
        if m.rng.random() >= p_pass:
            m.tally["failed_applications"] += 1
            return False
        self.stage, self.cert_year, self.reserve_years = Stage.HTE, m.year, 0
        m.tally["new_certifications"] += 1
        m.tally["reward_outlay"] += pol["certification_reward"]
        return True

    def _update_registry(self) -> None:
        m, p = self.model, self.model.params
        eligible = self.sme_eligible()
        if self.stage in REGISTRY_STAGES:
            if not eligible or m.rng.random() >= p.sme_renewal_rate:
                self.stage, self.reserve_years = Stage.OUTSIDE, 0
                m.tally["registry_exits"] += 1
            elif self.stage == Stage.RESERVE:
                self.reserve_years += 1
                if self.reserve_years >= rules.RESERVE_MAX_YEARS:
                    self.stage, self.reserve_years = Stage.TECH_SME, 0
        elif self.stage == Stage.STARTUP:
            if eligible and m.rng.random() < p.startup_registration_rate:
                self.stage = Stage.TECH_SME
                m.tally["registrations"] += 1
            elif self.age >= rules.INCUBATION_YEARS:
                self.stage = Stage.OUTSIDE
        elif eligible and m.rng.random() < p.outside_registration_rate:
            self.stage = Stage.TECH_SME
            m.tally["registrations"] += 1
