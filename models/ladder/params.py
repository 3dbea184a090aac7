"""Behavioural rates of the ladder model: defaults, plausible ranges and sources.

`LadderParams` holds the uncertain rates that calibration will estimate. Policy
sizes (rewards, tax rates, vouchers, ...) are not here: they are levers
(`levers.py`). Statutory thresholds (the R&D ratio bands, the three-year
certificate) are not here either: they are law (`rules.py`).

Each field carries, in its dataclass metadata:

* ``range``  -- (low, high), a plausible interval for priors and sweeps;
* ``domain`` -- "probability" (in [0, 1]), "nonnegative" or "real", checked on
  construction;
* ``source`` -- where the default comes from: a fact from the plans, the data
  files or DESIGN.md, or "assumption" (then to be calibrated).

Units: money in 10k yuan (the unit used everywhere in the package), rates per
year, shares as fractions.

``PARAM_RANGES`` maps each field name to its range; ``LadderParams.to_dict()`` and
``LadderParams.from_dict()`` round-trip; ``dataclasses.replace(p, name=value)``
changes one field.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any


def _param(default: float, low: float, high: float, domain: str, source: str) -> Any:
    return field(
        default=default,
        metadata={"range": (low, high), "domain": domain, "source": source},
    )


_ASSUMED = "assumption"


@dataclass(frozen=True)
class LadderParams:
    """Uncertain behavioural rates of the cultivation ladder (one year = one step).

    Application and certification
        application_rate: annual probability that an eligible, uncertified firm
            with zero certification benefit (no reward, no tax saving) applies.
        application_value_weight: logit change per unit of log(1 + benefit / cost);
            how strongly rewards and tax savings raise applications.
        application_cost: cost of an application (consultants, audits), 10k yuan;
            the scale against which benefits are measured.
        reserve_application_boost: logit shift of the application probability for
            firms in the reserve pool (the bureau pushes them to apply).
        pass_rate: probability that an eligible first-time applicant is certified
            (failures are paperwork and review noise; ineligible firms never pass).
        recert_apply_rate: annual probability that an expiring certified firm with
            zero benefit re-applies.
        recert_pass_rate: probability that an eligible re-applicant passes.
        coaching_efficacy: share of a coached applicant's failure probability
            removed by coaching.
        specialist_efficacy: share of the lapse and failed-renewal probabilities of a
            certified firm removed by a service specialist.
        reward_preparation_weight: how far a certification reward pushes a firm's R&D
            bookkeeping towards the threshold (`behaviour.bookkeeping_reach`): the push is
            this weight times log(1 + reward / application_cost), at most 1.
        rd_bunching_gap: firms seeking the certificate raise their R&D ratio to the
            threshold when their desired ratio is within this relative shortfall
            (the "notch" response).

    Registry (tech-based SMEs)
        sme_pass_mark: evaluation score needed to register (national rule 60;
            Hebei's provincial register is broader, approximated by a lower mark).
        sme_renewal_rate: probability that a registered, still-eligible SME
            re-registers in the yearly evaluation.
        startup_registration_rate: annual probability that an eligible startup
            registers.
        outside_registration_rate: annual probability that an eligible firm outside
            the ladder registers.
        reserve_intake_rate: share of registered SMEs moved into the reserve pool per
            year at status quo (the intake lever adds firms on top).

    Entry and exit
        startup_entry_rate: new firms entering the ladder per year, per registered
            tech SME at the start year (incubated startups and other new firms).
        move_in_rate: certified firms moving in from elsewhere per year, per
            certified firm at the start year.
        exit_rate_startup, exit_rate_sme, exit_rate_outside, exit_rate_hte: annual
            closure probabilities by stage (reserve firms use the SME rate; gazelle
            and leading firms the HTE rate).
        move_out_rate: annual probability that a certified firm moves away.

    Firm dynamics
        firm_size_scale: factor on the revenue medians of the stage profiles
            (`population._PROFILE`, all stages but leading firms, whose size the
            definition sets) at the start and for entrants: it sets the firms' money,
            so their R&D spending, against a region's R&D figures.
        revenue_growth_mean, revenue_growth_sd: mean and sd of yearly log revenue
            growth (idiosyncratic shock).
        revenue_growth_firm_sd: sd of a persistent firm-level growth effect.
        rd_ratio_mean: median desired R&D/revenue ratio at user cost 1 (no tax
            advantage from R&D, no voucher).
        rd_ratio_sd: sd of log desired R&D ratio across firms.
        rd_ratio_drift_sd: sd of the yearly random walk in a firm's log desired
            R&D ratio.
        rd_price_elasticity: elasticity of the R&D ratio to its user cost
            (ratio = propensity * user_cost ** -elasticity).
        ip_yield: expected core IP items per million yuan (100 x 10k yuan) of R&D.
        ip_base_rate: expected core IP items per year whatever the R&D (utility
            models and software copyrights count as core IP).
        ip_class1_share: share of new core IP items that are class I (invention patents and
            the like, which count in every application; class II items count once).
        conversion_base_mean: mean of a firm's converted S&T results a year that do not come
            from new core IP (new products, processes, standards; exponential across firms).
        profit_margin_mean, profit_margin_sd: distribution of firm profit margins
            (fixed per firm).
        manufacturing_share: share of firms in manufacturing (matters for the
            super-deduction schedule).
        fund_return: extra log revenue growth per unit of guidance-fund injection
            relative to revenue.
        fund_exit_reduction: share of a funded firm's closure probability removed.
    """

    # application and certification
    application_rate: float = _param(
        0.15,
        0.03,
        0.6,
        "probability",
        "assumption; raised from 0.06 (range 0.01-0.4) when eligibility became the statutes' (innovation score,"
        " three-year R&D): about one registered SME in eight is eligible, not one in two (scripts/ladder_shares.py)",
    )
    application_value_weight: float = _param(0.5, 0.0, 1.5, "nonnegative", _ASSUMED)
    application_cost: float = _param(10.0, 3.0, 30.0, "nonnegative", _ASSUMED)
    reserve_application_boost: float = _param(1.0, 0.0, 2.5, "nonnegative", _ASSUMED)
    pass_rate: float = _param(0.7, 0.5, 0.95, "probability", _ASSUMED)
    recert_apply_rate: float = _param(0.85, 0.5, 0.98, "probability", _ASSUMED)
    recert_pass_rate: float = _param(0.9, 0.6, 0.98, "probability", _ASSUMED)
    coaching_efficacy: float = _param(0.5, 0.0, 0.9, "probability", _ASSUMED)
    specialist_efficacy: float = _param(
        0.25,
        0.0,
        0.5,
        "probability",
        "assumption: a specialist removes a share of the lapses and failed renewals (not of closures); at most"
        " half, since most lapses are firms that no longer qualify or no longer want the title",
    )
    reward_preparation_weight: float = _param(0.15, 0.0, 0.5, "nonnegative", _ASSUMED)
    rd_bunching_gap: float = _param(0.3, 0.0, 0.5, "probability", _ASSUMED)
    # registry
    sme_pass_mark: float = _param(
        60.0,
        30.0,
        70.0,
        "nonnegative",
        "national evaluation rule (pass mark 60); lower marks approximate Hebei's"
        " broader provincial register (data README: provincial counts are larger)",
    )
    sme_renewal_rate: float = _param(0.95, 0.7, 1.0, "probability", _ASSUMED)
    startup_registration_rate: float = _param(0.6, 0.1, 0.9, "probability", _ASSUMED)
    outside_registration_rate: float = _param(0.1, 0.0, 0.4, "probability", _ASSUMED)
    reserve_intake_rate: float = _param(0.05, 0.0, 0.2, "probability", _ASSUMED)
    # entry and exit
    startup_entry_rate: float = _param(
        0.2,
        0.05,
        0.8,
        "nonnegative",
        "assumption; Langfang's register grew 2.7x over 2015-2020 (plan 003) and Hebei's from 55,000 (2017) to"
        " over 127,000 (2024), so inflows are large relative to the stock (entries scale with the year's"
        " register; at the old top, 0.4, Hebei's modelled register reached 87,000 by 2024)",
    )
    move_in_rate: float = _param(0.01, 0.0, 0.05, "nonnegative", _ASSUMED)
    exit_rate_startup: float = _param(0.15, 0.05, 0.3, "probability", _ASSUMED)
    exit_rate_sme: float = _param(0.04, 0.02, 0.12, "probability", _ASSUMED)
    exit_rate_outside: float = _param(0.06, 0.02, 0.15, "probability", _ASSUMED)
    exit_rate_hte: float = _param(0.02, 0.005, 0.06, "probability", _ASSUMED)
    move_out_rate: float = _param(0.01, 0.0, 0.04, "probability", _ASSUMED)
    # firm dynamics
    firm_size_scale: float = _param(
        0.28,
        0.1,
        1.5,
        "nonnegative",
        "R&D figures: the scale at which the modelled firms spend FIRM_RD_SHARE of the R&D of Hebei and the"
        " cities with a start state and an R&D figure in its year (geometric mean; scripts/ladder_rd_level.py)",
    )
    revenue_growth_mean: float = _param(0.06, -0.02, 0.15, "real", _ASSUMED)
    revenue_growth_sd: float = _param(0.2, 0.05, 0.4, "nonnegative", _ASSUMED)
    revenue_growth_firm_sd: float = _param(0.05, 0.0, 0.15, "nonnegative", _ASSUMED)
    rd_ratio_mean: float = _param(0.035, 0.015, 0.07, "nonnegative", _ASSUMED)
    rd_ratio_sd: float = _param(0.6, 0.2, 1.0, "nonnegative", _ASSUMED)
    rd_ratio_drift_sd: float = _param(0.1, 0.0, 0.3, "nonnegative", _ASSUMED)
    rd_price_elasticity: float = _param(
        0.5,
        0.1,
        1.5,
        "nonnegative",
        "assumption within the literature's range (long-run user-cost elasticities of R&D of roughly 0.1-1.5)",
    )
    ip_yield: float = _param(
        3.5,
        0.7,
        15.0,
        "nonnegative",
        "assumption: 1 item per million yuan of R&D (range 0.2-5) before the firms' size was set from the R&D"
        " figures (firm_size_scale 0.28); divided by that scale, so a firm's IP arrivals stay as they were",
    )
    ip_base_rate: float = _param(0.3, 0.0, 1.0, "nonnegative", _ASSUMED)
    ip_class1_share: float = _param(
        0.15,
        0.05,
        0.3,
        "probability",
        "assumption: class I items (mostly invention patents) are a minority of firms' core IP; in China's"
        " patent grants invention patents are roughly one in seven (CNIPA yearly statistics, not bundled),"
        " and software copyrights (class II) add more",
    )
    conversion_base_mean: float = _param(3.0, 1.0, 5.0, "nonnegative", _ASSUMED)
    profit_margin_mean: float = _param(0.06, 0.0, 0.12, "real", _ASSUMED)
    profit_margin_sd: float = _param(0.06, 0.02, 0.12, "nonnegative", _ASSUMED)
    manufacturing_share: float = _param(0.6, 0.3, 0.8, "probability", _ASSUMED)
    fund_return: float = _param(0.3, 0.0, 1.0, "nonnegative", _ASSUMED)
    fund_exit_reduction: float = _param(0.5, 0.0, 0.9, "probability", _ASSUMED)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            domain = f.metadata["domain"]
            bad = (
                (domain == "probability" and not 0.0 <= value <= 1.0)
                or (domain == "nonnegative" and not value >= 0.0)
                or value != value  # NaN
            )
            if bad:
                raise ValueError(f"LadderParams.{f.name} = {value!r} is outside its domain ({domain})")

    def to_dict(self) -> dict[str, float]:
        """Field name -> value."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, float]) -> LadderParams:
        """Build from a mapping; missing fields keep their defaults, unknown names fail."""
        names = [f.name for f in fields(cls)]
        unknown = [k for k in values if k not in names]
        if unknown:
            hints = [
                f"{k!r}" + (f" (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(k, names, 1)) else "")
                for k in unknown
            ]
            raise ValueError("unknown LadderParams field(s): " + ", ".join(hints))
        return cls(**{k: float(v) for k, v in values.items()})


FIRM_RD_SHARE = 0.6
"""Share of a region's R&D spending that the modelled firms (certified firms, registered tech SMEs,
startups) spend at the start: the level `LadderParams.firm_size_scale` is set to (scripts/ladder_rd_level.py).
Assumption, bounded by the figures: above-scale industrial firms spent 90% of Handan's 2020 R&D (61.78 of
68.75, plan 004 annex 2), and the modelled firms are a part of the firms (large uncertified groups are
not modelled, nor are institutes and universities, whose R&D the rest holds)."""

PARAM_RANGES: dict[str, tuple[float, float]] = {f.name: f.metadata["range"] for f in fields(LadderParams)}
"""Plausible (low, high) per parameter, for priors and sweeps."""

PARAM_SOURCES: dict[str, str] = {f.name: f.metadata["source"] for f in fields(LadderParams)}
"""Where each default comes from ("assumption" unless a source is named)."""
