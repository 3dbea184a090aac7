"""Words of the scores: the county scorecard (`forecast county`) and the backtest (`forecast backtest`)."""

SCORE_TEXT: dict[str, tuple[str, str]] = {
    # county scorecard (forecast.evaluation.county)
    "county_heading": (
        "县域科技创新能力评价指标体系（种子文件 001）{county}",
        "County S&T capacity index (seed 001){county}",
    ),
    "county_name": ("：{county}", ": {county}"),
    "col_group": ("类别", "group"),
    "col_points": ("得分 / 权重", "points"),
    "col_reading": ("计分方式", "reading"),
    "reading_band": ("{low}–{high} 档内插值", "band {low}-{high}"),
    "reading_skipped": (
        "{low}–{high}（指标体系跳过的区间）：插值",
        "{low}-{high} (a range the index skips): interpolated",
    ),
    "reading_full": ("≥ {low}：满分", ">= {low}: full weight"),
    "reading_capped": ("按评分，最高 {low} 分", "points capped at {low}"),
    "reading_assessed": ("按评分", "points as assessed"),
    "reading_missing": ("缺失：最多可加 {low} 分", "missing: could add 0-{low}"),
    "county_cut": ("{name} 类 ≥ {cut:g} 分", "{name} from {cut:g}"),
    "county_score": (
        "总分 {score:.2f}（满分 100）：{klass} 类（分类界线为假设：{cuts}；指标体系未给出）",
        "score {score:.2f} of 100: class {klass} (cut-offs assumed: {cuts}; the index gives none)",
    ),
    "county_missing": (
        "缺少 {n} 项指标（{names}）：最多可再加 {weight:g} 分，"
        "总分在 {score:.2f}–{best:.2f} 之间（{klass}–{best_class} 类）",
        "missing {n} indicators ({names}): they could add up to {weight:g} points, so the score lies in "
        "{score:.2f}-{best:.2f} (class {klass}-{best_class})",
    ),
    "county_next": (
        "达到 {name} 类需 {cut:g} 分：还差 {gap:.2f} 分",
        "class {name} needs {cut:g} points: {gap:.2f} more",
    ),
    "county_trend_known": (
        "{name}：{start}–{end} 年共 {n} 年数据，趋势模型可以预测此指标（用 --by 年份）",
        "{name}: trend {start}-{end} ({n} years): the trend model knows this indicator (projected with --by YEAR)",
    ),
    "county_trend_unknown": (
        "{name}：{start}–{end} 年共 {n} 年数据，趋势模型没有此指标的历史数据，无法预测",
        "{name}: trend {start}-{end} ({n} years): the trend model does not know this indicator (no history to pool "
        "with)",
    ),
    "county_no_projection": (
        "无法预测到 {year} 年：数据中没有趋势模型可预测的指标的 {n} 年或以上序列（可预测：{candidates}）；"
        "请提供这些指标的多年数据",
        "no projection to {year}: the figures hold no series ({n} or more years) of an indicator the trend model "
        "projects ({candidates}); give several years of them to project the class",
    ),
    "county_none_here": ("此历史数据中没有", "none in this history"),
    "county_projection_heading": (
        "预测到 {year} 年（趋势模型，{draws} 次抽样；分别拟合的指标视为相互独立）：",
        "Projection to {year} (trend model, {draws} draws; indicators fitted separately are treated as independent):",
    ),
    "col_county_series": ("本县数据", "county series"),
    "county_series_cell": ("{first}–{last} 年，最新 {latest:g}", "{first}-{last}, latest {latest:g}"),
    "col_projected": ("{year} 年：中位数（80% 区间）", "{year}: median (80%)"),
    "col_points_median": ("得分（中位数）", "points (median)"),
    "county_held": (
        "保持最新数据的指标 {n} 项（{points:.2f} 分）；缺失指标不得分",
        "held at their latest figure: {n} indicators ({points:.2f} points); missing ones score nothing",
    ),
    "county_not_projected": ("未预测：{name}：{why}", "not projected: {name}: {why}"),
    "county_one_year": (
        "只有一年数据（{year} 年）；预测需要 {n} 年或以上",
        "one year of figures ({year}); a projection needs {n} or more",
    ),
    "county_no_history": (
        "趋势模型不预测此指标（没有可合并的历史数据）",
        "the trend model does not project this indicator (no history to pool with)",
    ),
    "county_classes": ("{year} 年各类别的概率：{classes}", "classes in {year}: {classes}"),
    "county_p_next": (
        "{year} 年达到 {name} 类的概率 = {p:.2f} ± {e:.2f}（总分 ≥ {cut:g}；蒙特卡洛误差）",
        "P(class {name} by {year}) = {p:.2f} ± {e:.2f} (score {cut:g} or more; Monte Carlo error)",
    ),
    # backtest (forecast.evaluation.backtest)
    "col_origin": ("起点", "origin"),
    "col_method": ("方法", "method"),
    "col_cov": ("{level}% 覆盖率", "cov{level}"),
    "col_crps": ("CRPS", "CRPS"),
    "col_brier": ("Brier", "Brier"),
    "col_points_scored": ("数据点", "points"),
    "col_fits_warned": ("有警告的拟合", "fits with warnings"),
    "col_crps_baseline": ("CRPS（带漂移随机游走）", "CRPS random walk+drift"),
    "col_vs_baseline": ("模型相对基准", "model vs it"),
    "all_origins": ("全部起点", "all origins"),
    "backtest_by_indicator": ("趋势模型按指标（全部起点）：", "The model by indicator, all origins:"),
    "backtest_coverage": (
        "名义覆盖率：50% 区间 0.50，80% 区间 0.80，95% 区间 0.95。",
        "Nominal coverage: cov50 0.50, cov80 0.80, cov95 0.95.",
    ),
    "backtest_crps": (
        "CRPS 按模型的尺度计算（数量和金额取对数，百分比取 logit(x/100)）：无单位，可跨指标比较；"
        "0.10 约相当于 10% 的偏差。",
        "CRPS is on the model's scale (log for counts and money, logit(x/100) for percentages): unit-free and "
        "comparable across indicators; 0.10 is about a 10% miss.",
    ),
    "backtest_brier": (
        "Brier：阈值事件为“数据 ≥ 起点时最新数据按每年 0/5/10/20% 增长后的值”；越低越好。",
        "Brier: threshold events 'figure >= last figure at the origin grown at 0/5/10/20% a year'; lower is better.",
    ),
    "backtest_excluded": ("未计入任何评分的数据：{parts}。", "Left out of every score: {parts}."),
    "backtest_excluded_part": ("{n} 个数据点（{reason}）", "{n} points ({reason})"),
    "excluded_too_few": ("起点之前的数据少于 {n} 个", "fewer than {n} figures up to the origin"),
    "excluded_lower_bound": ("下限数据，不是确切结果", "lower bound, not a point outcome"),
    "excluded_earlier_basis": (
        "按2018年经济普查修订前的GDP口径公布，不是所预测的量",
        "on the GDP basis before the post-census revision, not the quantity forecast",
    ),
    "excluded_no_forecast": ("模型未给出预测", "the model gave no forecast"),
    "excluded_no_ladder_start": (
        "起点之前没有阶梯模型的起始状态（同一年份的高新技术企业数和科技型中小企业数）",
        "no ladder start state (certified firms and tech SMEs in one clean year) up to the origin",
    ),
    "backtest_ladder_by_indicator": (
        "阶梯模型与趋势模型按指标（全部起点，相同数据点）：",
        "The ladder model beside the trend model by indicator, all origins, same points:",
    ),
    "backtest_ladder_note": (
        "阶梯模型：每个起点用截至起点的数据校准，按起点之后实际记录的政策运行 {runs} 次；"
        "数据点 = 模型数量 × 校准的报告噪声。",
        "Ladder: calibrated on the figures up to each origin, {runs} runs under the policies recorded after it; "
        "a figure = the run's count x the calibrated reporting noise.",
    ),
    "backtest_convergence": (
        "收敛检查{status}：起点 {origin}，{indicator}（{regions}）",
        "convergence {status}: origin {origin}, {indicator} ({regions})",
    ),
}
"""Score phrase key -> (Chinese, English), with ``{placeholders}`` filled by `Labels.text`."""

COUNTY_GROUPS: dict[str, tuple[str, str]] = {
    "创新投入": ("创新投入", "innovation input"),
    "创新主体": ("创新主体", "innovation actors"),
    "创新条件": ("创新条件", "innovation conditions"),
    "创新产出": ("创新产出", "innovation output"),
    "创新管理": ("创新管理", "innovation management"),
}
"""The county index's groups (``group`` of ``data/county_index.csv``, its Chinese part) -> (Chinese, English), as
the index's own English glosses give them."""
