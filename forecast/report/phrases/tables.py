"""Words of the printed tables: `run`, `compare`, `explain` and `audit`, the ladder's start, the sampler's checks."""

TABLE_TEXT: dict[str, tuple[str, str]] = {
    # terminal tables
    "run_heading": ("{title}（随机种子 {seed}）", "{title}  (seed {seed})"),
    "col_target": ("目标", "target"),
    "col_region": ("地区", "region"),
    "col_indicator": ("指标", "indicator"),
    "col_year": ("年份", "year"),
    "col_series": ("口径", "series"),
    "col_row": ("行", "row"),
    "col_scenario": ("情景", "scenario"),
    # a scenario's title where its file gives none in the language (forecast.report.labels.made_title)
    "scenario_title": ("{region}，至 {horizon} 年：{model}", "{region} to {horizon}: {model}"),
    "scenario_trend": ("当前趋势", "current trends"),
    "scenario_ladder": ("培育梯队模型", "ladder model"),
    "scenario_levers": ("（{levers}）", " ({levers})"),
    "scenario_lever": ("{lever} {size} {years}", "{lever} {size} {years}"),
    "col_deadline": ("期限", "deadline"),
    "col_latest": ("最新数据", "latest"),
    "col_median": ("中位数", "median"),
    "col_interval": ("80% 区间", "80% interval"),
    "col_p_met": ("达标概率", "P(met)"),
    "col_outcome": ("实际结果", "outcome"),
    "col_growth": ("年增长：预测｜近年", "yearly growth: projected | recent"),
    "growth_far": (
        "增长偏离：{target} 的预测中位数隐含年增长 {implied}，而近年实际为 {recent}；"
        "与两者都相差 10 个百分点以上，请谨慎看待",
        "growth check: {target} projects {implied} a year against {recent} lately: more than 10 points from both",
    ),
    "col_diagnostics": ("诊断", "diagnostics"),
    "col_trend_interval": ("当前趋势：中位数（80%）", "current trend: median (80%)"),
    "col_trend_p": ("达标概率（当前趋势）", "P(met) current trend"),
    "col_ladder_interval": ("培育梯队模型：中位数（80%）", "ladder: median (80%)"),
    "col_ladder_p": ("达标概率（培育梯队模型：{label}）", "P(met) ladder: {label}"),
    "col_factor": ("因素", "factor"),
    "col_setting": ("设定", "setting"),
    "col_value": ("数值", "value"),
    "col_change": ("变化", "change"),
    "met": ("达标", "met"),
    "missed": ("未达标", "missed"),
    "compare_note": (
        "（达标概率 ± 蒙特卡洛误差；括号内为相对 {first} 的变化 ± 配对蒙特卡洛误差）",
        "(P(met) ± Monte Carlo error; in brackets the change from {first} ± its paired MC error)",
    ),
    "explain_heading": (
        "{target} — 培育梯队模型：{label}（{runs} 次模拟，共同随机数）",
        "{target} — ladder: {label} ({runs} runs, common random numbers)",
    ),
    "explain_note": (
        "（变化：相对情景原设定，± 配对蒙特卡洛误差）",
        "(change: from the scenario as written, ± paired Monte Carlo error)",
    ),
    # explain: settings of the sweep and the inverse search's answer
    "setting_as_written": ("按情景设定", "as written"),
    "setting_off": ("不实施（现状水平）", "off"),
    "setting_larger": ("力度加倍", "larger"),
    "setting_low": ("低值", "low"),
    "setting_high": ("高值", "high"),
    "search_already": (
        "{lever}保持现状水平 {size} 时达标概率为 {p:.2f} ± {e:.2f}（其他政策按情景设定）："
        "不需该政策即可达到 {goal:.2f}",
        "P(met) is {p:.2f} ± {e:.2f} with {lever} at its status quo {size} (other levers as in the scenario): the "
        "goal {goal:.2f} is reached without it",
    ),
    "search_reached": (
        "达标概率 ≥ {goal:.2f} 所需的最小{lever}：{size} {unit}（精度 {resolution:.3g}）；此时达标概率 = {p:.2f} ± "
        "{e:.2f}（蒙特卡洛误差）",
        "smallest {lever} with P(met) >= {goal:.2f}: {size} {unit} (within {resolution:.3g}); there P(met) = "
        "{p:.2f} ± {e:.2f} (Monte Carlo error)",
    ),
    "search_unreachable": (
        "{lever}在 {low}–{high} {unit} 范围内均达不到达标概率 ≥ {goal:.2f}：范围端点处达标概率 = {p:.2f} ± {e:.2f}",
        "no size of {lever} within {low}-{high} {unit} reaches P(met) >= {goal:.2f}: at the far end P(met) = "
        "{p:.2f} ± {e:.2f}",
    ),
    "search_note": (
        "逆向搜索的政策为{lever}：在敏感性分析中对达标概率影响最大（可用 --lever 另选）",
        "inverse search on {lever}, the lever that moves P(met) most in the sweep (choose another with --lever)",
    ),
    "no_lever_note": (
        "情景未设定任何政策：用 --lever NAME 指定逆向搜索的政策",
        "the scenario sets no lever: give --lever NAME for the inverse search",
    ),
    "note": ("说明：{text}", "note: {text}"),
    # ladder start state (forecast.ladder.start.StartState.sources)
    "start_line": ("培育梯队起点：{stage} = {count:,}（{source}）", "ladder note: {stage} = {count:,} ({source})"),
    "source_observed": (
        "公布数据：{indicator} {year}年，数据第 {row} 行",
        "observed: {indicator} {year} (data row {row})",
    ),
    "source_given": ("情景文件设定（models.ladder.initial）", "given in the scenario (models.ladder.initial)"),
    "source_assumed": (
        "假设：{cohorts} × 年新进入率 {rate} × 科技型中小企业数（无公布数据）",
        "assumed: {cohorts} x yearly startup entry rate {rate} x registered tech SMEs (no published figure)",
    ),
    "gap_parameter": (
        "梯队模型与趋势模型对{target}的判断不一致：梯队 {ladder}，趋势 {trend}（80%区间不重叠）；"
        "差距主要取决于“{factor}”"
        "（秩相关 {rho}；该参数最有利的五分之一运行的中位数为 {favourable}）",
        "ladder and trend disagree on {target}: ladder {ladder}, trend {trend} (80% intervals apart); "
        "the gap rests most on {factor} (rank correlation {rho}; the fifth of runs where it is most favourable "
        "has median {favourable})",
    ),
    "gap_register": (
        "梯队模型与趋势模型对{target}的判断不一致：梯队 {ladder}，趋势 {trend}（80%区间不重叠）；"
        "差距主要来自登记口径假设："
        "若改变“科技型中小企业数是否包含高新技术企业”的假设，梯队中位数约为 {switched}"
        "（数据未载明，见 data/registers.csv）",
        "ladder and trend disagree on {target}: ladder {ladder}, trend {trend} (80% intervals apart); the gap rests "
        "most on the register assumption: switching whether the register counts certified firms would put the ladder's "
        "median near "
        "{switched} (the data do not say which holds; data/registers.csv)",
    ),
    "gap_unexplained": (
        "梯队模型与趋势模型对{target}的判断不一致：梯队 {ladder}，趋势 {trend}（80%区间不重叠）；"
        "运行中没有变化的参数可解释差距",
        "ladder and trend disagree on {target}: ladder {ladder}, trend {trend} (80% intervals apart); no parameter "
        "varies across the runs to explain it",
    ),
    "ladder_notes_in_log": (
        "培育梯队模型的其余 {n} 条技术说明（英文）已写入输出文件夹的 run.log（-v 可在终端显示）",
        "{n} more technical notes of the ladder model are in run.log in the output folder (-v shows them here)",
    ),
    # audit (forecast audit)
    "col_data_up_to": ("数据截至", "data up to"),
    "col_p_method": ("达标概率（{method}）", "P(met) {method}"),
    "method_model": ("趋势模型", "model"),
    "method_ladder": ("阶梯模型", "ladder model"),
    "method_last_value": ("最新值不变", "last value"),
    "method_random_walk_drift": ("带漂移随机游走", "random walk with drift"),
    "method_linear_trend": ("线性趋势", "linear trend"),
    "audit_brier": (
        "{n} 个目标的 Brier 分数（越低越好；一律给 0.5 得 0.25）：{scores}",
        "Brier score over {targets} (lower is better; always saying 0.5 scores 0.25): {scores}",
    ),
    "audit_reliability": ("可靠性（按预测概率分箱）：", "Reliability (bins of forecast probability):"),
    "audit_none": (
        "这些数据中没有可以回顾评估的规划目标。",
        "No target in the catalogue can be audited with these data.",
    ),
    "audit_skipped": ("期限已过但未评估的目标 {n} 个：", "Skipped {targets} whose deadline has passed:"),
    # sampler checks (models.diagnostics.Diagnostics.status) and results without a fit
    "status_ok": ("通过", "ok"),
    "status_warning": ("警告：{problems}", "WARNING: {problems}"),
    "status_r_hat": ("R-hat {value} > {limit}", "R-hat {value} > {limit}"),
    "status_ess_bulk": ("主体有效样本量 {value} < {limit}", "bulk ESS {value} < {limit}"),
    "status_ess_tail": ("尾部有效样本量 {value} < {limit}", "tail ESS {value} < {limit}"),
    "status_divergences": ("{count} 次发散转移", "{count} divergent transitions"),
    "status_no_figures": (
        "{region}截至{until}无{indicator}数据",
        "no figures for {indicator} in {region} up to {until}",
    ),
    "until_now": ("目前", "now"),
    "status_deadline_early": ("期限早于第一个数据", "deadline before the first figure"),
    "convergence_warning": (
        "收敛检查{status}：请谨慎看待这些概率；可增加 draws/tune",
        "convergence {status}: treat these probabilities with care; raise draws/tune",
    ),
    "p_all_met": (
        "全部 {n} 个目标达标的概率 = {p:.2f} ± {e:.2f}（{note}）",
        "P(all {n} targets met) = {p:.2f} ± {e:.2f} ({note})",
    ),
    "joint_separate": ("分别拟合的指标视为相互独立", "indicators fitted separately are treated as independent"),
    "joint_shared": ("所有目标使用同一组轨迹", "all targets share one set of trajectories"),
    "joint_partly": (
        "联合拟合的指标逐抽样一致，分别拟合的指标视为相互独立",
        "indicators fitted jointly are drawn together; those fitted separately are treated as independent",
    ),
    # forecast runs (forecast.report.runs)
    "col_folder": ("文件夹", "folder"),
    "col_command": ("命令", "command"),
    "col_created": ("时间（UTC）", "date (UTC)"),
    "col_seed": ("随机种子", "seed"),
    "col_data_hash": ("数据", "data"),
    "col_headline": ("主要结果", "headline"),
    "runs_none": (
        "{root} 下没有运行记录（运行文件夹内有 manifest.json）",
        "no runs under {root} (a run folder holds a manifest.json)",
    ),
    "runs_count": ("{root} 下共 {count} 次运行", "{count} run(s) under {root}"),
    "runs_all_met": ("全部达标 {p}", "all met {p}"),
    "runs_score": ("得分 {score}，{grade} 类", "score {score}, class {grade}"),
    "runs_ladder": ("{target}（梯队模型）", "{target} (ladder)"),
    # forecast fit (forecast.report.run.format_fit_summaries)
    "fit_line": (
        "{indicators}（数据截至 {year} 年，{regions} 个地区）：{models}；{status}",
        "{indicators} (data to {year}, {regions} region(s)): {models}; {status}",
    ),
    "fit_weights": ("模型权重 {weights}", "weights {weights}"),
    "fit_model": ("模型：{model}", "model: {model}"),
    "fit_saved": ("后验已保存在 {folder}", "posteriors saved in {folder}"),
    "fit_unsaved": ("未指定后验缓存文件夹：没有保存", "no posterior cache given: nothing saved"),
    "variant_common": ("共同增长", "common growth"),
    "variant_joint": ("联合模型（GDP、研发强度、研发经费）", "joint (GDP, R&D intensity, R&D spending)"),
    "variant_drift": ("带漂移随机游走", "random walk with drift"),
    "variant_damped": ("阻尼趋势", "damped trend"),
    "variant_local_trend": ("局部线性趋势", "local linear trend"),
}
"""Table phrase key -> (Chinese, English), with ``{placeholders}`` filled by `Labels.text`."""
