"""Scenario files: every bundled one is valid; each malformed one gets its own message."""

import pytest

from forecast.errors import InputError
from forecast.inputs.bundled import bundled_scenarios
from forecast.inputs.catalogue import load_targets
from forecast.inputs.tables import load_history, load_indicators, load_regions
from forecast.scenario import check_scenario, load_scenario
from tests.conftest import write

SCENARIOS = sorted(bundled_scenarios().values())


@pytest.fixture(scope="module")
def context():
    return {
        "regions": load_regions(),
        "catalogue": load_targets(),
        "history": load_history(),
        "indicators": load_indicators(),
    }


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_bundled_scenario_is_valid(path, context):
    scenario, digest = load_scenario(path)
    targets = check_scenario(scenario, str(path), **context)
    assert targets and len(digest) == 64


def test_every_seed_region_has_a_scenario():
    regions = {load_scenario(p)[0].region for p in SCENARIOS}
    assert {"langfang", "handan", "hebei", "zhangjiakou"} <= regions


BASE = """
name: test
region: langfang
horizon: 2025
targets:
  - ref: langfang-2025-high_tech_enterprises
seed: 1
"""
LADDER = BASE + "models:\n  ladder:\n    runs: 50\n    firm_scale: 10\n"

SCHEMA_ERRORS = [
    (
        "typo in a top-level key",
        BASE.replace("horizon", "horizn"),
        ["line 3, horizn: unknown key 'horizn'", "did you mean 'horizon'"],
    ),
    (
        "typo in a nested key",
        BASE + "models:\n  trend:\n    drawz: 10\n",
        ["line 9, models.trend.drawz: unknown key 'drawz'", "did you mean 'draws'"],
    ),
    (
        "typo in an inline target",
        BASE.replace(
            "  - ref: langfang-2025-high_tech_enterprises",
            "  - indicator: tech_smes\n    comparator: at_least\n    target_year: 2025\n    target_vale: 1",
        ),
        ["targets[0].target_vale: unknown key", "did you mean 'target_value'"],
    ),
    ("wrong type", BASE.replace("seed: 1", "seed: lots"), ["line 6, seed:", "valid integer"]),
    (
        "negative draws",
        BASE + "models:\n  trend:\n    draws: -5\n",
        ["models.trend.draws", "greater than or equal to 50"],
    ),
    (
        "unknown comparator",
        BASE.replace(
            "  - ref: langfang-2025-high_tech_enterprises",
            "  - indicator: tech_smes\n    comparator: atleast\n    target_year: 2025\n    target_value: 1",
        ),
        ["targets[0].comparator", "'at_least'"],
    ),
    ("missing required key", BASE.replace("seed: 1\n", ""), ["seed: required key 'seed' is missing", "add 'seed:'"]),
    (
        "lever end before start",
        BASE + "levers:\n  - lever: certification_reward\n    size: 20\n    start: 2024\n    end: 2022\n",
        ["levers[0]", "end 2022 is before start 2024"],
    ),
    ("not a mapping", "- just\n- a list\n", ["a scenario must be a mapping"]),
    ("invalid YAML", "name: [unclosed\n", ["not valid YAML", "line"]),
    (
        "unknown uncertainty",
        BASE + "uncertainties:\n  pass_rat: {low: 0.5, high: 0.9}\n",
        ["line 8, uncertainties.pass_rat: unknown ladder parameter 'pass_rat'", "did you mean 'pass_rate'"],
    ),
    (
        "typo in an uncertainty's key",
        BASE + "uncertainties:\n  pass_rate: {lo: 0.5}\n",
        ["line 8, uncertainties.pass_rate.lo: unknown key 'lo'", "did you mean 'low'"],
    ),
    (
        "uncertainty high below low",
        BASE + "uncertainties:\n  pass_rate: {low: 0.9, high: 0.5}\n",
        ["line 8, uncertainties.pass_rate", "high 0.5 is below low 0.9"],
    ),
    (
        "typo in the ladder section",
        LADDER.replace("firm_scale", "firm_scal"),
        ["line 10, models.ladder.firm_scal: unknown key 'firm_scal'", "did you mean 'firm_scale'"],
    ),
    (
        "too few runs",
        LADDER.replace("runs: 50", "runs: 1"),
        ["line 9, models.ladder.runs", "greater than or equal to 2"],
    ),
    (
        "zero firm scale",
        LADDER.replace("firm_scale: 10", "firm_scale: 0"),
        ["line 10, models.ladder.firm_scale", "greater than or equal to 1"],
    ),
    (
        "unknown calibration",
        LADDER + "    calibration: bayes\n",
        ["line 11, models.ladder.calibration", "'prior' or 'posterior'"],
    ),
    (
        "unknown stage",
        LADDER + "    initial: {startups: 10}\n",
        ["line 11, models.ladder.initial.startups: unknown stage 'startups'", "did you mean 'startup'"],
    ),
    (
        "negative stage count",
        LADDER + "    initial: {reserve: -3}\n",
        ["line 11, models.ladder.initial.reserve", "greater than or equal to 0"],
    ),
]


@pytest.mark.parametrize("case,text,messages", SCHEMA_ERRORS, ids=[c[0] for c in SCHEMA_ERRORS])
def test_schema_error_is_named_with_its_place(tmp_path, case, text, messages):
    path = write(tmp_path / "bad.yaml", text)
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    rendered = str(caught.value)
    assert str(path) in rendered
    for message in messages:
        assert message in rendered


CONTEXT_ERRORS = [
    (
        "unknown region",
        BASE.replace("region: langfang", "region: langfan"),
        ["unknown region 'langfan'", "did you mean 'langfang'"],
    ),
    (
        "unknown target id",
        BASE.replace("langfang-2025-high_tech_enterprises", "langfang-2025-high_tech"),
        ["no target 'langfang-2025-high_tech' in the catalogue", "forecast targets --region langfang"],
    ),
    (
        "target of another region",
        BASE.replace("langfang-2025-high_tech_enterprises", "handan-2023-rd_intensity"),
        ["is for region 'handan', not 'langfang'"],
    ),
    (
        "deadline after the horizon",
        BASE.replace("horizon: 2025", "horizon: 2024"),
        ["deadline 2025 is after the horizon 2024", "horizon: 2025"],
    ),
    (
        "impossible percentage",
        BASE.replace(
            "  - ref: langfang-2025-high_tech_enterprises",
            "  - indicator: rd_intensity\n    comparator: at_least\n    target_year: 2025\n    target_value: 276",
        ),
        ["276% is not a possible share"],
    ),
    (
        "negative count target",
        BASE.replace(
            "  - ref: langfang-2025-high_tech_enterprises",
            "  - indicator: tech_smes\n    comparator: at_least\n    target_year: 2025\n    target_value: -10",
        ),
        ["-10 is negative"],
    ),
    (
        "deadline before the data",
        BASE.replace(
            "  - ref: langfang-2025-high_tech_enterprises",
            "  - indicator: high_tech_enterprises\n    comparator: at_least\n    target_year: 2005\n    "
            "target_value: 10",
        ),
        ["deadline 2005 is not after the first figure (2010)"],
    ),
    (
        "no data for the indicator",
        BASE.replace("  - ref: langfang-2025-high_tech_enterprises", "  - ref: langfang-2025-innovation_engineers"),
        ["no data for innovation_engineers in langfang", "--data FILE"],
    ),
    (
        "non-quantitative catalogue row",
        BASE.replace("region: langfang", "region: handan").replace(
            "langfang-2025-high_tech_enterprises", "handan-2023-pm25_concentration"
        ),
        ["has no deadline or no number to reach"],
    ),
    (
        "unknown lever",
        BASE + "levers:\n  - lever: certification_rewards\n    size: 20\n",
        ["unknown lever 'certification_rewards'", "did you mean 'certification_reward'"],
    ),
    (
        "unknown series",
        BASE + "series:\n  rd_intensity: revisd\n",
        ["unknown series 'revisd'", "did you mean 'revised'"],
    ),
    (
        "lever too large",
        BASE + "levers:\n  - {lever: service_specialists, size: 2}\n",
        ["levers[0].size: 2 is outside the allowed range 0 to 1 for service_specialists"],
    ),
    (
        "uncertainty outside its domain",
        BASE + "uncertainties:\n  exit_rate_hte: {low: -0.1, high: 0.1}\n",
        ["uncertainties.exit_rate_hte.low", "outside its domain"],
    ),
    (
        "start year without figures",
        LADDER + "    start_year: 2022\n",
        ["models.ladder.start_year: no clean tech_smes figure for langfang in 2022", "initial: {tech_sme: N}"],
    ),
    (
        "start year at the horizon",
        LADDER + "    start_year: 2025\n    initial: {hte: 1, tech_sme: 1}\n",
        ["start year 2025 is not before the horizon 2025"],
    ),
]


@pytest.mark.parametrize("case,text,messages", CONTEXT_ERRORS, ids=[c[0] for c in CONTEXT_ERRORS])
def test_scenario_checked_against_catalogue_and_data(tmp_path, context, case, text, messages):
    path = write(tmp_path / "bad.yaml", text)
    scenario, _ = load_scenario(path)
    with pytest.raises(InputError) as caught:
        check_scenario(scenario, str(path), **context)
    for message in messages:
        assert message in str(caught.value)


def test_missing_scenario_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_scenario(tmp_path / "nope.yaml")


def test_bad_ladder_settings_exit_2_from_the_cli(tmp_path):
    from typer.testing import CliRunner

    from forecast.cli import app

    path = write(tmp_path / "bad.yaml", LADDER.replace("runs: 50", "runs: 0") + "uncertainties:\n  pass_rat: {}\n")
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    assert "line 9, models.ladder.runs" in result.output and "line 12, uncertainties.pass_rat" in result.output


UNREADABLE = [
    ("GBK text", BASE.replace("name: test", "name: 廊坊基线").encode("gbk"), ["is not UTF-8 text", "GBK", "Save as"]),
    ("binary", bytes(range(256)), ["is a binary file", "YAML text"]),
    ("python tag", b"!!python/object/apply:os.system ['echo hi']\n", ["not valid YAML"]),
    ("deep nesting", b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n", ["nesting deeper than"]),
    (
        "alias bomb",
        b"a: &a [x, x, x, x, x, x, x, x, x]\n"
        + b"".join(
            f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n".encode() for p, c in zip("abcdefg", "bcdefgh", strict=True)
        ),
        ["more than 20,000 entries"],
    ),
    ("huge number", BASE.replace("seed: 1", "seed: " + "9" * 5000).encode(), ["cannot be read as a scenario"]),
    ("infinite value", (BASE + "models: {trend: {target_accept: .inf}}\n").encode(), ["target_accept"]),
    ("folder", None, ["is a folder"]),
]


@pytest.mark.parametrize("case,data,messages", UNREADABLE, ids=[c[0] for c in UNREADABLE])
def test_unreadable_scenario_is_refused_with_the_fix(tmp_path, case, data, messages):
    path = tmp_path / "bad.yaml"
    if data is None:
        path.mkdir()
    else:
        path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    rendered = str(caught.value)
    assert str(path) in rendered
    for message in messages:
        assert message in rendered


def test_utf8_scenario_with_a_bom_and_chinese_text_loads(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.replace("name: test", "name: 廊坊基线").encode("utf-8"))
    assert load_scenario(path)[0].name == "廊坊基线"
