"""Past runs (`forecast.inputs.runs.load_run_records`) as a terminal table."""

from __future__ import annotations

import pandas as pd


def format_runs(records: pd.DataFrame, root: str) -> str:
    """Newest first: folder, command, scenario, date (UTC), seed, data hash, headline probabilities."""
    if records.empty:
        return f"no runs under {root} (a run folder holds a manifest.json)"
    shown = pd.DataFrame(
        {
            "folder": records["folder"],
            "command": records["command"],
            "scenario": records["scenario"],
            "date (UTC)": [c.replace("T", " ").replace("+00:00", "") if c else "-" for c in records["created_utc"]],
            "seed": records["seed"].replace("", "-"),
            "data": records["data_sha256"].replace("", "-"),
            "headline": [h or p or "-" for h, p in zip(records["headline"], records["problem"], strict=True)],
        }
    )
    count = f"{len(records)} run{'' if len(records) == 1 else 's'}"
    return "\n".join([shown.to_string(index=False), "", f"{count} under {root}"])
