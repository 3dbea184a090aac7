"""Build `data/history.csv`, the bundled tidy history, from the sourced raw files.

Run from the repository root:

    python scripts/build_history.py [--shared ../shared/data]

Inputs are the researched files in `../shared/data/` (every row with its source) and
the plan base values in `data/targets.csv` (figures the plans themselves state, such
as Langfang's 905 high-tech enterprises in 2020). Nothing is estimated or
interpolated here: this script only renames, normalises units and marks each row's
caveats, which the raw files state in words in their `unit` column.

Output columns (the tidy layout the loader validates, see `forecast/inputs/tables.py`):

    region, indicator, year, value, unit, source, note, series, flag

* `series` names the statistical series a value belongs to. `main` is the default
  series of an indicator; `revised` marks R&D intensity recomputed after GDP
  revisions (the first-published bulletin value stays in `main`); `early_yearbook`
  an earlier yearbook edition; `national_registry` tech SMEs counted in the national
  evaluation registry (评价入库), which counts far fewer firms than the provincial and
  city registers that the plans' targets use (`main`).
* `flag` lists caveats, `;`-separated: `non_year_end` (a mid-year or "as of" count),
  `lower_bound` ("over", "more than", "breaking through"), `scope_differs` (a partial
  or doubtful scope, such as a sum over counties or a count excluding a high-tech
  zone), `plan_base` (a base value stated in a plan document).
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent / "data"
"""The bundled data folder this script writes into (it stays out of the installed package)."""
RAW_FILES = ("hebei_history.csv", "hebei_history_2.csv", "hebei_history_3.csv", "provinces_hebei_and_neighbours.csv")
COLUMNS = ["region", "indicator", "year", "value", "unit", "source", "note", "series", "flag"]

CANONICAL_UNIT = {
    "high_tech_enterprises": "firms",
    "high_tech_certifications": "firms_per_year",
    "tech_smes": "firms",
    "rd_expenditure": "100m_yuan",
    "rd_intensity": "percent",
    "gdp": "100m_yuan",
    "invention_patents_per_10k": "per_10k_people",
    "tech_contract_turnover": "100m_yuan",
}

# Words in the raw `unit` text (or quote) that mark a caveat. Checked by hand against
# every distinct unit text in the raw files; see the module docstring for meanings.
FLAG_PATTERNS = {
    "non_year_end": r"非年末|截至20\d\d年\d|截至20\d\d-\d|截至\d+月|1-\d+月",
    # "more than" only when the figure itself says so, not a neighbouring figure quoted
    # in the same note (Handan 2015: "2485 ... alongside '4000-odd at year end'").
    "lower_bound": r"下限|原文['\"“][^'\"”]*(多家|突破|超过)",
    "scope_differs": r"口径存疑|可能不同|县域监测口径|不含|口径未注明|年度归属存疑|二手转载|可能小于",
}
SERIES_PATTERNS = [
    ("revised", r"REVISED|按GDP最终核实数修订"),
    ("early_yearbook", r"yearbook, earlier edition"),
    ("national_registry", r"评价入库"),
]


def classify(indicator: str, unit_text: str) -> tuple[str, str]:
    """Return (series, flag) for a raw row from the caveats written in its unit text."""
    series = "main"
    for name, pattern in SERIES_PATTERNS:
        if re.search(pattern, unit_text):
            series = name
            break
    # GDP values from the national database are revised too, but GDP has one series.
    if indicator == "gdp" and series == "revised":
        series = "main"
    flags = [name for name, pattern in FLAG_PATTERNS.items() if re.search(pattern, unit_text)]
    return series, ";".join(flags)


def read_raw(shared: Path) -> list[dict[str, str]]:
    rows = []
    for name in RAW_FILES:
        with open(shared / name, encoding="utf-8", newline="") as handle:
            for raw in csv.DictReader(handle):
                series, flag = classify(raw["indicator"], raw["unit"])
                quote = raw.get("quote", "").strip()
                note = f"raw unit: {raw['unit']}" + (f"; quote: {quote}" if quote else "")
                rows.append(
                    {
                        "region": raw["region"].strip(),
                        "indicator": raw["indicator"].strip(),
                        "year": raw["year"].strip(),
                        "value": raw["value"].strip(),
                        "unit": CANONICAL_UNIT[raw["indicator"].strip()],
                        "source": f"{raw['source_title'].strip()} <{raw['source_url'].strip()}>",
                        "note": note,
                        "series": series,
                        "flag": flag,
                    }
                )
    return drop_exact_repeats(rows)


def drop_exact_repeats(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Drop a row only when the same figure from the same series is already present.

    The raw files overlap (Hebei's R&D figures and certification lists appear in two
    files from the same bulletins); counting one figure twice would double its weight.
    """
    seen: set[tuple] = set()
    kept = []
    for row in rows:
        key = (row["region"], row["indicator"], row["year"], float(row["value"]), row["series"], row["flag"])
        if key in seen:
            continue
        seen.add(key)
        kept.append(row)
    return kept


def plan_base_rows(targets_file: Path, existing: list[dict[str, str]]) -> list[dict[str, str]]:
    """Base values stated in the plans, for (region, indicator, year) not already observed."""
    if not targets_file.exists():
        return []
    have = {(r["region"], r["indicator"], r["year"]) for r in existing if r["series"] == "main"}
    rows = []
    with open(targets_file, encoding="utf-8", newline="") as handle:
        for t in csv.DictReader(handle):
            if t["indicator"] not in CANONICAL_UNIT or not t["base_year"] or not t["base_value"]:
                continue
            key = (t["region"], t["indicator"], str(int(float(t["base_year"]))))
            if key in have or t["region"].endswith("_template"):
                continue
            have.add(key)
            rows.append(
                {
                    "region": key[0],
                    "indicator": key[1],
                    "year": key[2],
                    "value": t["base_value"],
                    "unit": CANONICAL_UNIT[key[1]],
                    "source": f"plan document: {t['plan']} (seed {t['seed_file']})",
                    "note": f"base value stated in the plan; phrase: {t['phrase_zh']}",
                    "series": "main",
                    "flag": "plan_base",
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=HERE / "history.csv")
    args = parser.parse_args()
    rows = read_raw(args.shared)
    rows += plan_base_rows(HERE / "targets.csv", rows)
    rows.sort(key=lambda r: (r["region"], r["indicator"], int(r["year"]), r["series"], float(r["value"])))
    with open(args.out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {args.out}")


if __name__ == "__main__":
    main()
