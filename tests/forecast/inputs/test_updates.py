"""Merging new figures into a working history (SYNTHETIC tables): new, revised and known figures, by hand."""

import pandas as pd

from forecast.inputs.updates import history_file_table, merge_history


def history(rows) -> pd.DataFrame:
    """SYNTHETIC validated-history rows: (region, year, value, flag), all high-tech enterprises, series main."""
    return pd.DataFrame(
        [
            {
                "region": r,
                "indicator": "high_tech_enterprises",
                "year": y,
                "value": float(v),
                "unit": "firms",
                "source": "synthetic test data",
                "note": "",
                "series": "main",
                "flag": f,
                "row": i + 2,
            }
            for i, (r, y, v, f) in enumerate(rows)
        ]
    )


OLD = history(
    [
        ("hebei", 2012, 685, "non_year_end"),
        ("hebei", 2012, 825, ""),
        ("hebei", 2013, 900, ""),
        ("langfang", 2020, 905, ""),
    ]
)


def test_new_revised_and_known_figures():
    new = history(
        [
            ("hebei", 2012, 850, ""),  # revises the year-end 825; the mid-year 685 stays beside it
            ("hebei", 2013, 900.0000001, ""),  # the same figure (a conversion's rounding): known
            ("langfang", 2021, 1000, ""),  # new year
            ("handan", 2020, 300, ""),  # new region
        ]
    )
    merge = merge_history(OLD, new)
    assert list(merge.figures["status"]) == ["revised", "known", "new", "new"]
    revised = merge.of("revised").iloc[0]
    assert revised["old_values"] == (685.0, 825.0) and revised["replaced"] == 1
    hebei_2012 = merge.history.query("region == 'hebei' and year == 2012").sort_values("value")
    assert list(hebei_2012["value"]) == [685, 850] and list(hebei_2012["flag"]) == ["non_year_end", ""]
    assert len(merge.history) == len(OLD) - 1 + 3  # 825 replaced; 850, 1000 and 300 added
    assert merge.changed


def test_a_revision_with_other_caveats_is_added_beside_the_old_figures():
    merge = merge_history(OLD, history([("langfang", 2020, 880, "non_year_end")]))
    assert list(merge.figures["status"]) == ["revised"] and merge.figures["replaced"].iloc[0] == 0
    assert sorted(merge.history.query("region == 'langfang'")["value"]) == [880, 905]


def test_nothing_changes_when_every_figure_is_known():
    merge = merge_history(OLD, OLD.iloc[[1, 3]])
    assert not merge.changed
    assert merge.history[["region", "year", "value"]].equals(
        OLD.sort_values(["region", "indicator", "year", "series"], kind="stable")[["region", "year", "value"]]
    )


def test_file_table_writes_whole_numbers_plainly():
    table = history_file_table(history([("hebei", 2012, 825, ""), ("hebei", 2013, 1.25e-3, "")]))
    assert list(table["value"]) == ["825", "0.00125"] and "row" not in table
