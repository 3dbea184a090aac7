"""Words of what a command tells a user while it works: notes before long work, progress bars' descriptions
(`forecast.progress.Message` keys)."""

PROGRESS_TEXT: dict[str, tuple[str, str]] = {
    "progress_trend_fits": ("趋势模型拟合", "trend fits"),
    "progress_checking": ("检查新数据", "checking new figures"),
    "progress_ladder_runs": ("梯队模型模拟", "ladder runs"),
    "progress_ladder": ("梯队模型：{scenario}", "ladder: {scenario}"),
    "progress_scenarios": ("梯队模型：{count} 个情景", "ladder: {count} scenarios"),
    "progress_setting": ("{factor}：{setting}", "{factor}: {setting}"),
    "progress_lever_size": ("{factor} = {size}", "{factor} = {size}"),
    "wrote_files": ("\n已写入 {n} 个文件：{folder}", "\nwrote {n} files to {folder}"),
    "wrote_report": ("已写入报告：{path}", "wrote the report: {path}"),
    "note_memory": (
        "{scenario}：{runs} 次模拟，预计内存峰值约 {gib} GiB（{processes} 个进程 × 每批 {batch} 次模拟 × "
        "每次最多 {agents} 个企业主体，{engine} 引擎）",
        "{scenario}: {runs} runs, estimated memory about {gib} GiB at peak: {processes} process(es) x {batch} "
        "run(s) a batch x up to {agents} agents a run ({engine} engine)",
    ),
    "note_resumed": (
        "{desc}：继续上次的运行，已从 {folder} 读入保存的批次（{done}/{total} 次模拟）",
        "{desc}: resumed, {done} of {total} runs loaded from saved batches in {folder}",
    ),
    "note_interrupted": (
        "已中断：{done}/{total} 次模拟的结果已保存在 {folder}；再次运行同一命令即可从中断处继续",
        "interrupted: {done} of {total} runs saved in {folder}; run the same command again to resume",
    ),
    "note_interrupted_unsaved": (
        "已中断：没有保存任何结果（没有缓存文件夹）",
        "interrupted: nothing saved (no cache)",
    ),
    "note_calibration": (
        "正在校准 {region} 的梯队模型（{draws} 次抽样 × {chains} 条链；需要几分钟，只需一次）",
        "fitting the ladder calibration for {region} ({draws} draws x {chains} chains; several minutes, once)",
    ),
    "note_calibration_saved": (
        "正在校准 {region} 的梯队模型（{draws} 次抽样 × {chains} 条链；需要几分钟，只需一次；结果保存在 {folder}）",
        "fitting the ladder calibration for {region} ({draws} draws x {chains} chains; several minutes, once; "
        "saved in {folder})",
    ),
}
"""Progress phrase key -> (Chinese, English), with ``{placeholders}`` filled by `Labels.message`."""
