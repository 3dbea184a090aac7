"""New figures merged into a working history: what is new, what is revised, what is already known.

Both tables are validated histories (`forecast.inputs.tables.read_history`: unit aliases
converted, encodings read, regions checked). A figure's key is
``(region, indicator, year, series)``; one key may hold several figures with different
caveats (a mid-year count beside a year-end one), so the rule, per figure of the new
file:

* **already known**: its value equals (to a relative 1e-6, the rounding of a unit
  conversion) one of the working history's figures for its key. Nothing changes.
* **revised**: the working history has figures for its key, none with this value. The
  new figure replaces the old figures of its key that carry the same caveats (``flag``);
  old figures with other caveats stay beside it. The old and new values are listed.
* **new**: the working history has no figure for its key. It is added.

The merged history keeps the working history's columns, sorted by region, indicator,
year and series as the loader sorts a history (`merge_history`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

KEY = ["region", "indicator", "year", "series"]
FILE_COLUMNS = ["region", "indicator", "year", "value", "unit", "source", "note", "series", "flag"]
"""The columns a history file is written with (``data/history.csv``'s)."""
SAME_VALUE_RTOL = 1e-6
STATUSES = ("new", "revised", "known")


class Merge(NamedTuple):
    """The merged history, and one row per figure of the new file saying what happened to it."""

    history: pd.DataFrame
    figures: pd.DataFrame
    """The new file's figures with ``status`` (`STATUSES`), ``old_values`` (the working history's values for the
    key, as a tuple) and ``replaced`` (how many old figures the figure replaces)."""

    @property
    def changed(self) -> bool:
        return bool((self.figures["status"] != "known").any())

    def of(self, status: str) -> pd.DataFrame:
        return self.figures[self.figures["status"] == status]


def _flag_set(cell) -> frozenset[str]:
    return frozenset(f.strip() for f in str(cell or "").split(";") if f.strip())


def merge_history(old: pd.DataFrame, new: pd.DataFrame) -> Merge:
    """Merge the validated history `new` into `old` by the rules of the module docstring."""
    groups = {key: rows for key, rows in old.groupby(KEY, sort=False)}
    statuses, old_values, replaced_counts, replaced_rows = [], [], [], set()
    for record in new.to_dict("records"):
        rows = groups.get(tuple(record[k] for k in KEY))
        if rows is None:
            statuses.append("new")
            old_values.append(())
            replaced_counts.append(0)
            continue
        values = rows["value"].to_numpy(dtype=float)
        old_values.append(tuple(float(v) for v in values))
        if np.isclose(values, record["value"], rtol=SAME_VALUE_RTOL, atol=0).any():
            statuses.append("known")
            replaced_counts.append(0)
            continue
        same_caveats = rows.index[[_flag_set(f) == _flag_set(record["flag"]) for f in rows["flag"]]]
        replaced_rows.update(same_caveats)
        statuses.append("revised")
        replaced_counts.append(len(same_caveats))
    figures = new.assign(status=statuses, old_values=old_values, replaced=replaced_counts)
    added = figures[figures["status"] != "known"][list(old.columns)]
    merged = pd.concat([old.drop(index=sorted(replaced_rows)), added], ignore_index=True)
    merged = merged.sort_values(KEY, kind="stable").reset_index(drop=True)
    return Merge(merged, figures.reset_index(drop=True))


def history_file_table(history: pd.DataFrame) -> pd.DataFrame:
    """A history as its file holds it: `FILE_COLUMNS`, whole numbers without a decimal point."""
    table = history[FILE_COLUMNS].copy()
    table["value"] = [_number(v) for v in table["value"]]
    return table


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))
