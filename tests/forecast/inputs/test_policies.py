"""The policy history table: the bundled file checked against its seeds and the levers' status quo, and every
malformed row reported with its place (the bad rows are synthetic)."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from forecast.errors import InputError
from forecast.inputs.bundled import bundled_path
from forecast.inputs.factors import load_factor_names
from forecast.inputs.policies import POLICY_COLUMNS, in_force, load_policies
from forecast.inputs.tables import load_regions
from models.ladder import LEVERS

SEEDS = Path(__file__).resolve().parents[4] / "shared" / "seeds"


@pytest.fixture(scope="module")
def policies() -> pd.DataFrame:
    return load_policies(factors=load_factor_names(), regions=load_regions())


def test_bundled_rows_quote_their_seed(policies: pd.DataFrame) -> None:
    """Every row citing a seed file quotes a clause that occurs in that file, word for word."""
    if not SEEDS.is_dir():
        pytest.skip("shared/seeds not beside the checkout")
    cited = policies[policies["source"].str.contains("seed ")]
    assert len(cited) >= 10
    for row in cited.itertuples():
        seed = next(p for p in SEEDS.iterdir() if p.name in row.source)
        assert row.quote in seed.read_text(encoding="utf-8"), row.policy_id


def test_national_rows_are_the_levers_status_quo(policies: pd.DataFrame) -> None:
    """The statutory schedule in models/ladder/levers.py and the national rows give the same size every year."""
    national = policies[(policies["region"] == "china") & policies["applied"]]
    assert set(national["lever"]) >= {"rd_super_deduction", "rd_super_deduction_manufacturing", "income_tax_rate"}
    for year in range(2008, 2031):
        for lever, (size, _) in in_force(policies, "china", year).items():
            assert size == LEVERS[lever].status_quo_at(year), (lever, year)


def test_named_policies_and_what_is_applied(policies: pd.DataFrame) -> None:
    langfang = in_force(policies, "langfang", 2022)
    assert langfang["certification_reward"] == (20.0, "langfang-certification_reward-2021")
    assert langfang["rd_super_deduction_manufacturing"][0] == 1.0
    assert in_force(policies, "langfang", 2020).get("certification_reward") is None
    assert in_force(policies, "hebei", 2017)["reserve_pool_intake"][0] == 2000
    assert "reserve_pool_intake" not in in_force(policies, "langfang", 2017)  # a province's count stays there
    use = policies.set_index("policy_id")["use"]
    assert use["hebei-coaching-2018"] == "recorded only: unit 'agencies' is not the lever's unit 'share'"
    assert use["langfang-service_specialists-2025"] == "recorded only: a goal row"


def _write(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "policies.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, POLICY_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


GOOD = {
    "policy_id": "x-1",
    "region": "langfang",
    "lever": "certification_reward",
    "kind": "plan",
    "size": "20",
    "unit": "10k yuan per firm",
    "start_year": "2021",
    "end_year": "2025",
    "applies_to": "newly certified firms",
    "source": "a plan",
    "quote": "20万元",
    "lever_id": "",
    "note": "",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lever": "certifcation_reward"}, "row 2, column 'lever': unknown lever 'certifcation_reward'"),
        ({"kind": "planned"}, "row 2, column 'kind': unknown kind 'planned'"),
        ({"size": "twenty"}, "row 2, column 'size': 'twenty' is not a size"),
        ({"start_year": "2021年"}, "row 2, column 'start_year': '2021年' is not a year"),
        ({"end_year": "2019"}, "row 2, column 'end_year': 2019 is before start_year 2021"),
        ({"quote": ""}, "row 2, column 'quote': empty"),
        ({"region": "langfan"}, "row 2, column 'region': unknown region 'langfan'"),
    ],
)
def test_bad_rows_are_named(tmp_path: Path, change: dict, message: str) -> None:
    path = _write(tmp_path, [{**GOOD, **change}])
    with pytest.raises(InputError) as caught:
        load_policies(path, factors=load_factor_names(), regions=load_regions(), lever_keys=set())
    assert message in str(caught.value)


def test_overlapping_applied_rows_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, [GOOD, {**GOOD, "policy_id": "x-2", "size": "10", "start_year": "2025", "end_year": ""}])
    with pytest.raises(InputError, match="policies 'x-1' and 'x-2': certification_reward in langfang: their years"):
        load_policies(path, factors=load_factor_names(), lever_keys=set())


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "policies.csv"
    path.write_text("policy_id,region\nx,langfang\n", encoding="utf-8")
    with pytest.raises(InputError, match="header: missing column 'lever'"):
        load_policies(path, factors=load_factor_names())


def test_bundled_file_is_the_packaged_one() -> None:
    assert bundled_path("policies.csv").is_file()
