"""Words of the HTML report (`forecast.report.html`)."""

REPORT_TEXT: dict[str, tuple[str, str]] = {
    "report_title": ("{name}：规划目标达成可能性报告", "{name}: how likely are the plan's targets to be met?"),
    "report_made": (
        "由 plan-forecast {version} 根据运行文件夹 {folder} 生成；运行时间 {created}（UTC）",
        "Made by plan-forecast {version} from the run folder {folder}; run at {created} (UTC)",
    ),
    "report_question": ("问题", "The question"),
    "report_question_text": (
        "根据截至 {year} 年公布的数据，{region}的 {n} 项规划目标在各自期限前实现的可能性有多大？",
        "Given the figures published up to {year}, how likely is {region} to meet each of its {n} plan targets "
        "by its deadline?",
    ),
    "report_scenario": ("情景", "The scenario"),
    "report_region": ("地区", "Region"),
    "report_targets": ("目标", "Targets"),
    "report_plan_phrase": ("规划原文：{phrase}", "the plan's words: {phrase}"),
    "report_levers": ("政策杠杆及力度", "Policy levers and their sizes"),
    "report_no_levers": ("无（未设地方政策杠杆）", "none (no local policy lever is set)"),
    "report_lever_years": ("{start}–{end}年", "{start}-{end}"),
    "report_uncertainties": ("不确定参数的范围", "Ranges of uncertain parameters"),
    "report_data_up_to": ("所用数据截至", "Data used up to"),
    "report_seed": ("随机种子", "Seed"),
    "report_models": ("模型", "Models"),
    "report_trend_model": (
        "贝叶斯趋势模型（{draws} 次抽样 × {chains} 条链，预热 {tune} 步）",
        "Bayesian trend models ({draws} draws × {chains} chains, {tune} tuning steps)",
    ),
    "report_ladder_model": (
        "企业培育梯队模型（{runs} 次模拟，每个主体代表 {scale} 家企业，参数来源：{calibration}）",
        "firm-ladder model ({runs} runs, {scale} firms per agent, rates from the {calibration})",
    ),
    "report_calibration_prior": ("先验范围", "prior ranges"),
    "report_calibration_posterior": ("校准后验", "calibration posterior"),
    "report_lights": ("结论一览", "At a glance"),
    "report_lights_rule": (
        "判定标准（按达标概率的点估计）：达标概率 ≥ {on:.1f} 为“有望达标”；{risk:.1f}–{on:.1f} 为“存在风险”；"
        "< {risk:.1f} 为“难以达标”。± 后为蒙特卡洛误差。",
        "How the lights are set (on P(met) itself): on track where P(met) ≥ {on:.1f}; at risk from {risk:.1f} to "
        "below {on:.1f}; off track below {risk:.1f}. The ± is the Monte Carlo error.",
    ),
    "light_on_track": ("有望达标", "on track"),
    "light_at_risk": ("存在风险", "at risk"),
    "light_off_track": ("难以达标", "off track"),
    "light_none": ("无概率", "no probability"),
    "report_col_light": ("判定", "light"),
    "report_col_ladder": ("达标概率（培育梯队模型）", "P(met), ladder model"),
    "report_fans": ("预测扇形图", "Fan charts"),
    "report_fans_note": (
        "黑点为公布数据，蓝色带为 50%/80%/95% 预测区间，红星为目标，绿色菱形为已知的实际结果。",
        "Black dots are published figures, blue bands the 50/80/95% predictive intervals, the red star the "
        "target, a green diamond the outcome where it is known.",
    ),
    "report_by_year": ("逐年达标概率", "Probability of being met by each year"),
    "report_by_year_note": (
        "每年的数值为目标在该年或之前首次实现的概率（按截至该年的同一检验计算，表格见 first_met.csv）。",
        "Each year's value is the probability that the target is reached in or before that year (the target's "
        "own test with that year as deadline; table in first_met.csv).",
    ),
    "report_by_year_axis": ("截至该年达标的概率", "P(reached in or before the year)"),
    "report_compare": ("情景比较", "Scenarios compared"),
    "report_compare_note": (
        "条形为各情景的达标概率，误差线为 ±{k} 倍蒙特卡洛误差（同一随机数，差异来自政策杠杆）。",
        "Bars are each scenario's P(met); error bars ±{k} Monte Carlo errors (common random numbers, so "
        "differences are the levers').",
    ),
    "report_col_diff": ("相对 {first} 的变化", "change from {first}"),
    "report_explain": ("哪些政策杠杆起作用", "Which levers move the probability"),
    "report_explain_note": (
        "龙卷风图：每个因素在低、高两端时的达标概率；竖线为情景原设定下的概率。",
        "Tornado chart: P(met) with each factor at its low and high end; the vertical line is the scenario as written.",
    ),
    "report_diagnostics": ("模型诊断", "Diagnostics"),
    "report_diagnostics_rule": (
        "收敛检查：R-hat ≤ 1.01，有效样本量（ESS）≥ 400，无发散转移。未通过的拟合标为 WARNING，其概率需谨慎看待。",
        "Convergence checks: R-hat ≤ 1.01, effective sample size (ESS) ≥ 400, no divergent transition. A fit "
        "that fails them is marked WARNING; treat its probabilities with care.",
    ),
    "report_col_divergences": ("发散转移数", "divergences"),
    "report_col_status": ("状态", "status"),
    "report_warnings": ("警告", "Warnings"),
    "report_no_warnings": ("所有拟合均通过收敛检查。", "Every fit passed its convergence checks."),
    "report_calibration": ("培育梯队模型校准（{region}）：{status}", "Ladder calibration ({region}): {status}"),
    "report_backtest": ("回测记录", "Backtest record"),
    "report_backtest_note": (
        "从过去的起点年份预测之后各年，与公布数据比较：区间覆盖率（名义 50%/80%/95%）、CRPS 与 Brier 分数（越低越好），"
        "并与朴素基准比较。",
        "Forecasts from past origins scored against the figures published later: interval coverage (nominal "
        "50/80/95%), CRPS and Brier score (lower is better), beside naive baselines.",
    ),
    "report_not_run": ("本文件夹中没有{what}结果。获得方法：运行", "No {what} in this folder. To add it, run"),
    "report_then": ("，然后再运行", ", then"),
    "report_what_compare": ("情景比较", "scenario comparison"),
    "report_what_explain": ("杠杆分析", "lever analysis"),
    "report_what_backtest": ("回测", "backtest"),
    "report_sources": ("数据来源", "Data sources"),
    "report_sources_note": (
        "拟合所用的目标地区 {n} 个公布数据（figures.csv），按来源汇总；分层拟合还借用上级地区的数据（见下方说明）：",
        "The {n} published figures of the targets' regions the fits used (figures.csv), by source; pooled fits also "
        "draw on their parent region's figures (see the notes below):",
    ),
    "report_all_data": ("全部", "all"),
    "report_col_years": ("年份", "years"),
    "report_col_figures": ("数据个数", "figures"),
    "report_col_source": ("来源", "source"),
    "report_no_sources": (
        "本文件夹未记录所用数据（早期版本的运行）；数据来源见 data/history.csv 的 source 列。",
        "This folder does not list the figures used (a run from an earlier version); see the source column of "
        "data/history.csv.",
    ),
    "report_assumptions": ("假设与说明", "Assumptions and notes"),
    "report_assumption_trend": (
        "趋势模型（共同增长模型）对每个指标同时拟合面板中所有地区的数据（数量和金额取对数，比例取 logit）：各地区围绕"
        "自身增长率随机游走；增长率由全面板共同的、可加速也可放缓的增长路径（围绕长期增长率的 AR(1)）与各地区相对其"
        "上级地区的差异组成；预测中增长率逐步回到长期水平。",
        "The trend model (common growth) fits every region of the panel at once for each indicator (log scale for "
        "counts and money, logit for shares): each region's figures are a random walk around its growth, which is "
        "a growth path common to the panel that can speed up and slow down (an AR(1) around a long-run rate) plus "
        "the region's own difference from its parent's; forecasts let growth return to the long-run rate.",
    ),
    "report_assumption_trend_panel": (
        "趋势模型把各指标按对数（比例指标按 logit）尺度的随机游走加漂移（及其阻尼变体）拟合，多个变体按 LOO 权重叠加；"
        "数据少的地区向上级地区借用增长率（分层模型）。",
        "The trend models fit each indicator on the log scale (shares on the logit scale) as a random walk with "
        "drift and its damped variants, stacked by LOO weights; regions with few figures borrow growth from "
        "their parent region (a hierarchical model).",
    ),
    "report_assumption_probability": (
        "达标概率为模型认为合理的轨迹中在期限达到目标的比例；它只和模型的回测记录一样可信。",
        "P(met) is the share of the trajectories the model finds plausible that reach the target by the "
        "deadline; it is only as good as the model's backtest record.",
    ),
    "report_assumption_ladder": (
        "培育梯队模型模拟企业在初创、科技型中小企业、后备库、高新技术企业之间的流动；政策杠杆通过企业申请、通过和退出的概率起作用。",
        "The ladder model simulates firms moving between startup, tech SME, reserve pool and certified "
        "high-tech enterprise; levers act through the firms' probabilities of applying, passing and leaving.",
    ),
    "report_assumption_lights": (
        "红绿灯阈值（{on:.1f} 与 {risk:.1f}）是阅读辅助，不属于模型。",
        "The traffic-light cut-offs ({on:.1f} and {risk:.1f}) are a reading aid, not part of the model.",
    ),
    "report_notes": ("运行记录的说明", "Notes the run recorded"),
    "report_provenance": ("复现信息", "To reproduce"),
    "report_command": ("命令", "command"),
    "report_hashes": ("输入文件 SHA-256", "input SHA-256"),
    "report_versions": ("软件版本", "versions"),
    "report_more_parts": ("本报告还包括：{folders}", "This report also includes: {folders}"),
}
"""Report phrase key -> (Chinese, English), with ``{placeholders}`` filled by `Labels.text`."""
