"""The county S&T capacity index (seed 001, part 4) and a county's own figures, read and checked.

* `load_county_index` reads ``data/county_index.csv`` (17 indicators, weights summing
  to 100; `data/CATALOGUE.md` describes it) and turns each printed scoring standard
  (``definition_zh``) into numbers: an `IndexIndicator` with its knots, the
  (figure, points) pairs at the ends of its bands. How the printed bands become knots:

  - ``≧X(P分)`` gives the knot (X, P), and P must equal the weight;
  - ``A-B单位(P-Q分)`` gives (A, P) and (B, Q), whichever way round it is printed;
  - ``X以下(P-0分)`` and the misprinted ``X件/万人(P-0分)`` (a lone figure with points
    down to 0, read as "below X") give (X, P) and (0, 0);
  - where two bands name the same figure with different points, the higher points
    count (a figure on a boundary belongs to the better band, as ``≧`` does for the top);
  - the points must not fall as the figure rises, or the file is refused.

  Indicators scored per item (platforms, parks, service bodies, management, awards:
  unit ``points``) have no bands: the county's assessed points are the figure.

* `load_county_figures` reads a county's figures file (CSV or Excel), one row per
  figure, and checks every row:

  ========== ======== ==============================================================
  column     required meaning
  ========== ======== ==============================================================
  indicator  yes      the index key (``high_tech_enterprises``) or its Chinese name
                      as printed, with or without the unit in brackets
                      (``高新技术企业数量(家)`` or ``高新技术企业数量``)
  value      yes      a plain non-negative number
  unit       yes      the index's unit key or its Chinese form (`UNIT_ALIASES`:
                      ``万元``/``亿元``, ``%``, ``家``, ``家/千家``, ``件/万人``, ``分``)
  year       no       the year of the figure; several years of one indicator form a
                      trend, and the latest year is scored
  county     no       the county's name, for a file holding several counties
  source     no       where the figure comes from
  note       no       free text
  ========== ======== ==============================================================

  Handed out with fixed columns: ``county, indicator, value, unit, year, row, note``
  (``value`` converted to the index's unit, ``year`` 0 where none was given, ``row``
  the line in the file).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.errors import InputError, Problem, did_you_mean, raise_if
from forecast.inputs.bundled import bundled_path
from forecast.inputs.tables import YEAR_RANGE, read_table

INDEX_COLUMNS = ["indicator", "group", "indicator_zh", "indicator_en", "weight", "unit", "definition_zh"]
FIGURE_REQUIRED = ["indicator", "value", "unit"]
FIGURE_OPTIONAL = {"year": "", "county": "", "source": "", "note": ""}
UNIT_ALIASES = {
    "10k_yuan": {"10k_yuan": 1.0, "万元": 1.0, "亿元": 10_000.0, "100m_yuan": 10_000.0},
    "percent": {"percent": 1.0, "%": 1.0, "％": 1.0},
    "firms": {"firms": 1.0, "家": 1.0},
    "firms_per_1000_enterprises": {"firms_per_1000_enterprises": 1.0, "家/千家": 1.0, "家": 1.0},
    "per_10k_people": {"per_10k_people": 1.0, "件/万人": 1.0},
    "points": {"points": 1.0, "分": 1.0},
}
"""Units a figure may be given in, per index unit, with the factor to the index unit (1亿元 = 10,000万元)."""

_NUMBER = r"(\d+(?:\.\d+)?)"
_TOP = re.compile(rf"^≧\s*{_NUMBER}[^(]*\({_NUMBER}分?\)$")
_RANGE = re.compile(rf"^{_NUMBER}[^\d(-]*-\s*{_NUMBER}[^(]*\({_NUMBER}-{_NUMBER}分?\)$")
_BELOW = re.compile(rf"^{_NUMBER}[^\d(-]*\({_NUMBER}-0分?\)$")


@dataclass(frozen=True)
class IndexIndicator:
    """One indicator of the county index: weight, unit and, for banded indicators, the knots
    ((figure, points) pairs, rising) between which points are interpolated."""

    key: str
    group: str
    name_zh: str
    name_en: str
    weight: float
    unit: str
    definition_zh: str
    knots: tuple[tuple[float, float], ...] = ()
    gaps: tuple[tuple[float, float], ...] = ()
    """Ranges between knots that no printed band covers (high-tech enterprises: 10-100 firms)."""

    @property
    def banded(self) -> bool:
        return bool(self.knots)


def load_county_index(path: Path | None = None) -> tuple[IndexIndicator, ...]:
    """The 17 indicators of the county index, in the printed order, bands parsed (rules in the module docstring)."""
    path = Path(path or bundled_path("county_index.csv"))
    table = read_table(path)
    missing = [c for c in INDEX_COLUMNS if c not in table.columns]
    raise_if(
        [Problem(str(path), "header", f"missing column '{c}'", "use the bundled county_index.csv") for c in missing]
    )
    problems, found = [], []
    for i, record in enumerate(table.to_dict("records")):
        where = f"row {i + 2}"
        try:
            weight = float(record["weight"])
            knots, gaps = _knots(record["definition_zh"], weight) if record["unit"] != "points" else ((), ())
        except ValueError as exc:
            problems.append(Problem(str(path), where, str(exc), "restore the row from the bundled county_index.csv"))
            continue
        if record["unit"] not in UNIT_ALIASES:
            problems.append(
                Problem(
                    str(path), where, f"unknown unit '{record['unit']}'", did_you_mean(record["unit"], UNIT_ALIASES)
                )
            )
        group = record["group"].split(" ")[0]
        found.append(
            IndexIndicator(
                record["indicator"],
                group,
                record["indicator_zh"],
                record["indicator_en"],
                weight,
                record["unit"],
                record["definition_zh"],
                knots,
                gaps,
            )
        )
    raise_if(problems)
    return tuple(found)


def _knots(definition: str, weight: float) -> tuple[tuple[tuple[float, float], ...], tuple[tuple[float, float], ...]]:
    """(figure, points) pairs from a printed scoring standard such as '≧100家(10分); 10-5家(4-3.5分); ...', and
    the ranges between them that no band covers."""
    pairs: dict[float, float] = {}
    covered: set[tuple[float, float]] = set()

    def add(x: str, p: str) -> None:
        pairs[float(x)] = max(float(p), pairs.get(float(x), -np.inf))

    for band in filter(None, (b.strip().rstrip("。").strip() for b in definition.split(";"))):
        if top := _TOP.match(band):
            if float(top[2]) != weight:
                raise ValueError(f"top band '{band}' gives {top[2]} points, not the weight {weight:g}")
            add(top[1], top[2])
        elif both := _RANGE.match(band):
            (hi, lo), (p_hi, p_lo) = sorted(both.group(1, 2), key=float, reverse=True), both.group(3, 4)
            add(hi, max(p_hi, p_lo, key=float))
            add(lo, min(p_hi, p_lo, key=float))
            covered.add((float(lo), float(hi)))
        elif below := _BELOW.match(band):
            add(below[1], below[2])
            add("0", "0")
            covered.add((0.0, float(below[1])))
        else:
            raise ValueError(f"cannot read the band '{band}'")
    knots = tuple(sorted(pairs.items()))
    if any(b[1] < a[1] for a, b in zip(knots, knots[1:], strict=False)):
        raise ValueError(f"points fall as the figure rises in '{definition}'")
    gaps = tuple((a[0], b[0]) for a, b in zip(knots, knots[1:], strict=False) if (a[0], b[0]) not in covered)
    return knots, gaps


def load_county_figures(path: Path, index: tuple[IndexIndicator, ...], county: str | None = None) -> pd.DataFrame:
    """A county's figures, checked against the index (layout and rules in the module docstring).

    Every problem is raised together as an `InputError` naming the file, row, column and fix.
    """
    path = Path(path)
    table = read_table(path)
    file = str(path)
    problems = [
        Problem(file, "header", f"missing column '{c}'", f"the header must hold {', '.join(FIGURE_REQUIRED)}")
        for c in FIGURE_REQUIRED
        if c not in table.columns
    ]
    known = set(FIGURE_REQUIRED) | set(FIGURE_OPTIONAL)
    problems += [
        Problem(file, f"column '{c}'", "unknown column", f"{did_you_mean(c, known)} (or remove the column)")
        for c in table.columns
        if c not in known
    ]
    raise_if(problems)
    for column, default in FIGURE_OPTIONAL.items():
        if column not in table:
            table[column] = default
    table["row"] = np.arange(len(table)) + 2
    table = _one_county(table, county, file)
    if table.empty:
        raise InputError(
            [Problem(file, "rows", "no figures", "add one row per indicator (see README: forecast county)")]
        )
    names = _names(index)
    rows, problems = [], []
    for record in table.to_dict("records"):
        row, found = _checked_row(record, names, file)
        problems += found
        if row is not None:
            rows.append(row)
    figures = pd.DataFrame(rows, columns=["county", "indicator", "value", "unit", "year", "row", "note"])
    for (key, year), group in figures.groupby(["indicator", "year"]):
        if len(group) > 1:
            problems.append(
                Problem(
                    file,
                    f"rows {', '.join(map(str, group['row']))}",
                    f"'{key}' is given {len(group)} times" + (f" for {year}" if year else " without a year"),
                    "keep one figure per indicator and year (add a 'year' column for a trend)",
                )
            )
    raise_if(problems)
    return figures.sort_values(["indicator", "year"]).reset_index(drop=True)


def _one_county(table: pd.DataFrame, county: str | None, file: str) -> pd.DataFrame:
    named = sorted(set(table["county"]) - {""})
    if county is not None and named:
        if county not in named:
            raise InputError([Problem(file, "--county", f"no rows for county '{county}'", did_you_mean(county, named))])
        return table[table["county"] == county]
    if len(named) > 1:
        raise InputError(
            [
                Problem(
                    file,
                    "column 'county'",
                    f"the file holds {len(named)} counties",
                    f"choose one with --county ({', '.join(named)})",
                )
            ]
        )
    return table


def _names(index: tuple[IndexIndicator, ...]) -> dict[str, IndexIndicator]:
    """Every accepted spelling of each indicator: key, Chinese name as printed, and without its bracketed unit."""
    names = {}
    for item in index:
        names[item.key] = item
        for name in {_plain(item.name_zh), _plain(item.name_zh.replace("R&D", "R;D"))}:
            names[name] = item
            names[re.sub(r"\([^()]*\)$", "", name)] = item
    return names


def _plain(text: str) -> str:
    return re.sub(r"\s+", "", str(text)).replace("(", "(").replace(")", ")")


def _checked_row(record: dict, names: dict[str, IndexIndicator], file: str) -> tuple[dict | None, list[Problem]]:
    where = lambda column: f"row {record['row']}, column '{column}'"  # noqa: E731
    item = names.get(record["indicator"]) or names.get(_plain(record["indicator"]))
    if item is None:
        keys = [n for n in names if n.isascii()]
        return None, [
            Problem(
                file,
                where("indicator"),
                f"unknown indicator '{record['indicator']}'",
                did_you_mean(record["indicator"], keys),
            )
        ]
    problems = []
    factor = UNIT_ALIASES[item.unit].get(record["unit"])
    if factor is None:
        problems.append(
            Problem(
                file,
                where("unit"),
                f"unit '{record['unit']}' does not fit '{item.key}' ({item.name_zh})",
                f"write one of {', '.join(UNIT_ALIASES[item.unit])}",
            )
        )
    value = _number(record["value"])
    if value is None or value < 0:
        problems.append(
            Problem(
                file,
                where("value"),
                f"'{record['value']}' is not a non-negative number",
                "write a plain number such as 38 or 1.25",
            )
        )
    elif item.unit == "percent" and value > 100:
        problems.append(
            Problem(file, where("value"), f"{value:g} is above 100%", "write a share as a percentage such as 1.25")
        )
    year = 0
    if record["year"]:
        number = _number(record["year"])
        if number is None or number != int(number) or not YEAR_RANGE[0] <= number <= YEAR_RANGE[1]:
            problems.append(
                Problem(
                    file,
                    where("year"),
                    f"'{record['year']}' is not a year",
                    "write a whole year such as 2022, or leave it empty",
                )
            )
        else:
            year = int(number)
    if problems:
        return None, problems
    converted = "" if factor == 1 else f"{record['value']} {record['unit']} converted to {item.unit}"
    note = "; ".join(filter(None, [record["note"], converted]))
    row = {
        "county": record["county"],
        "indicator": item.key,
        "value": value * factor,
        "unit": item.unit,
        "year": year,
        "row": record["row"],
        "note": note,
    }
    return row, []


def _number(text: str) -> float | None:
    try:
        number = float(str(text).replace(",", ""))
    except ValueError:
        return None
    return number if np.isfinite(number) else None
