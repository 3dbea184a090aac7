"""Words of `forecast update`: what the new figures hold, how they compare with the model, how P(met) moved."""

UPDATE_TEXT: dict[str, tuple[str, str]] = {
    # data updates (forecast update)
    "update_summary": (
        "{file}：新数据 {new} 条，修订 {revised} 条，已有（数值相同）{known} 条",
        "{file}: {new} new figures, {revised} revised, {known} already known (same value)",
    ),
    "revised_heading": ("修订的历史数据（旧值 → 新值）：", "Revised past figures (old → new):"),
    "checks_heading": (
        "新数据与趋势模型预期的比较（模型用更新前的数据拟合；95% 预测区间）：",
        "New figures against the trend model's expectation (fitted to the history before the update; 95% "
        "predictive interval):",
    ),
    "outside_warning": (
        "{n} 个新数据超出趋势模型的 95% 预测区间：请核对数值和单位（约二十分之一的数据会偶然落在区间外）",
        "{n} new figure(s) outside the trend model's 95% predictive interval: check the value and its unit (about "
        "one figure in twenty falls outside by chance)",
    ),
    "moves_heading": (
        "{scenario}：各目标达标概率的变化（上次运行：{folder}，{date}）",
        "{scenario}: each target's P(met) since its last run ({folder}, {date})",
    ),
    "moves_note": (
        "（达标概率 ± 蒙特卡洛误差；变化的误差为两次误差的平方和开方）",
        "(P(met) ± Monte Carlo error; the change's error combines both runs' errors)",
    ),
    "no_past_runs": (
        "{root} 下没有情景运行记录：没有可比较的达标概率",
        "no scenario runs under {root}: no probabilities to compare",
    ),
    "run_skipped": ("{scenario}：未重新拟合（{reason}）", "{scenario}: not refitted ({reason})"),
    "other_data": (
        "上次运行使用的数据与更新前的工作数据不同（数据哈希 {old}），变化也包含数据来源的差异",
        "the last run used other data than the working history before the update (data hash {old}); the change "
        "includes that difference",
    ),
    "scenario_changed": ("情景文件在上次运行后有改动", "the scenario file changed since the last run"),
    "history_written": ("已写入工作数据：{path}（{n} 条数据）", "wrote the working history: {path} ({n} figures)"),
    "nothing_new": ("没有新数据或修订：{path} 未改动", "nothing new or revised: {path} unchanged"),
    "dry_run": ("--dry-run：未写入任何文件，未重新拟合", "--dry-run: nothing written, nothing refitted"),
    "col_old": ("旧值", "old"),
    "col_new": ("新值", "new"),
    "col_figure": ("数据", "figure"),
    "col_expected": ("预期 95% 区间（中位数）", "expected 95% interval (median)"),
    "col_check": ("检查", "check"),
    "col_before": ("上次达标概率", "P(met) last run"),
    "col_after": ("现在达标概率", "P(met) now"),
    "verdict_inside": ("在预期范围内", "inside"),
    "verdict_above": ("高于预期", "ABOVE the expected range"),
    "verdict_below": ("低于预期", "BELOW the expected range"),
    "verdict_lower_bound": ("未检查：下限数据", "not checked: a lower bound"),
    "verdict_not_projected": ("未检查：趋势模型不预测此指标", "not checked: the trend model does not project it"),
    "verdict_no_earlier_figures": ("未检查：该地区此前无此指标数据", "not checked: no earlier figures of the region"),
    "verdict_before_first_figure": ("未检查：早于该地区第一个数据", "not checked: before the region's first figure"),
    "verdict_not_in_last_run": ("上次运行没有此目标", "not in the last run"),
}
"""Update phrase key -> (Chinese, English), with ``{placeholders}`` filled by `Labels.text`."""
