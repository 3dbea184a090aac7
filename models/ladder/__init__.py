"""Firm cultivation-ladder model (Mesa 3): how firms climb from startup to
certified high-tech enterprise and beyond, and how policy levers change that.

Layout (each module's docstring states its equations):

* `rules`      -- statutory rules as pure vectorised functions (eligibility,
  thresholds, certificate expiry, SME score, tax rates, gazelle/leading tests);
* `behaviour`  -- firms' responses, where levers enter (application, pass,
  R&D ratio, growth, exit probabilities);
* `levers`     -- the lever registry (`LEVERS`), `LeverSetting`, `active_levers`;
* `params`     -- `LadderParams`, the uncertain behavioural rates, with ranges;
* `population` -- initial firms from observed stage counts;
* `kernel`     -- the yearly firm step over arrays, random numbers passed in;
* `agents`     -- `Firm`, the agent;  `model` -- `LadderModel`, the schedule;
* `engine`     -- the array engine: all firms of many runs at once (same kernel);
* `run`        -- `run_ladder`, `run_ensemble`, `monte_carlo_probability`.

Units everywhere: money in 10k yuan (levers, params, firm attributes), except
the collected `rd_spending` columns (100 million yuan, as regional R&D statistics
are published); rates and shares as fractions.
MECHANISMS.md documents every lever's mechanism and the assumptions.

Glossary (the only place Chinese terms appear in this package)::

    梯次培育                 cultivation ladder
    科技型中小企业 (评价入库)  tech-based SME (registry entry after yearly evaluation)
    高新技术企业 (认定/重新认定) high-tech enterprise, HTE (certification/re-certification)
    高新技术企业后备培育库     HTE reserve pool
    瞪羚企业 / 独角兽种子企业  gazelle / unicorn-seed firm
    科技领军企业              leading tech firm
    专精特新"小巨人"          "little giant" (specialised, refined, distinctive, novel)
    众创空间 / 孵化器 / 加速器 maker space / incubator / accelerator
    研发费用加计扣除          R&D super-deduction
    小型微利企业              small low-profit enterprise (reduced income tax)
    创新券                   innovation voucher
    服务专员 / 科技特派员      service specialist / science-and-technology envoy
    奖补                     reward (cash award or subsidy)
    引导基金 / 贷款风险补偿    guidance fund / loan risk compensation
    整体迁入                 moving in as a whole firm (keeps its certificate)
    微成长 / 小升高 / 高壮大 / 领头雁
                             Langfang's programmes: micro-growth / small-to-high-tech /
                             high-tech-to-large / lead geese
    万元 / 亿元              10k yuan / 100 million yuan
"""

from importlib import import_module

# Names are imported from their modules on first use (PEP 562), so that importing one light module
# (`models.ladder.levers`, `rules`, `params`) does not load Mesa and compile the numba kernels.
_HOMES = {
    "ALLOWED_TRANSITIONS": "rules",
    "CERTIFIED_STAGES": "rules",
    "COLUMNS": "model",
    "COLUMN_MEANINGS": "model",
    "COLUMN_UNITS": "model",
    "LEVERS": "levers",
    "PARAM_RANGES": "params",
    "PARAM_SOURCES": "params",
    "REGISTRY_STAGES": "rules",
    "Firm": "agents",
    "LadderModel": "model",
    "LadderParams": "params",
    "LeverSetting": "levers",
    "LeverSpec": "levers",
    "Stage": "rules",
    "active_levers": "levers",
    "application_probability": "behaviour",
    "build_population": "population",
    "bunch_rd_ratio": "behaviour",
    "certificate_expired": "rules",
    "certification_benefit": "behaviour",
    "exit_probability": "behaviour",
    "hte_eligibility_gap": "rules",
    "hte_rd_threshold": "rules",
    "hte_tax_saving": "behaviour",
    "is_gazelle": "rules",
    "is_hte_eligible": "rules",
    "is_leading": "rules",
    "is_sme_eligible": "rules",
    "lever_table": "levers",
    "monte_carlo_probability": "run",
    "pass_probability": "behaviour",
    "rd_ratio_response": "behaviour",
    "rd_user_cost": "behaviour",
    "reapplication_probability": "behaviour",
    "recertification_due": "rules",
    "revenue_log_growth": "behaviour",
    "run_ensemble": "run",
    "run_ladder": "run",
    "sme_score": "rules",
    "status_quo": "levers",
    "voucher_share": "behaviour",
}

__all__ = [
    "ALLOWED_TRANSITIONS",
    "CERTIFIED_STAGES",
    "COLUMNS",
    "COLUMN_MEANINGS",
    "COLUMN_UNITS",
    "LEVERS",
    "PARAM_RANGES",
    "PARAM_SOURCES",
    "REGISTRY_STAGES",
    "Firm",
    "LadderModel",
    "LadderParams",
    "LeverSetting",
    "LeverSpec",
    "Stage",
    "active_levers",
    "application_probability",
    "build_population",
    "bunch_rd_ratio",
    "certificate_expired",
    "certification_benefit",
    "exit_probability",
    "hte_eligibility_gap",
    "hte_rd_threshold",
    "hte_tax_saving",
    "is_gazelle",
    "is_hte_eligible",
    "is_leading",
    "is_sme_eligible",
    "lever_table",
    "monte_carlo_probability",
    "pass_probability",
    "rd_ratio_response",
    "rd_user_cost",
    "reapplication_probability",
    "recertification_due",
    "revenue_log_growth",
    "run_ensemble",
    "run_ladder",
    "sme_score",
    "status_quo",
    "voucher_share",
]


def __getattr__(name: str):
    if name in _HOMES:
        value = getattr(import_module(f"models.ladder.{_HOMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'models.ladder' has no attribute {name!r}")
