"""`forecast update` end to end on SYNTHETIC files; the fits are drawn from the prior (no MCMC: `fake_fits`), so the
tests check the command's bookkeeping, not the model's numbers (tests/forecast/evaluation/test_update.py checks
the verdicts by hand)."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from forecast.cli import app
from forecast.inputs.bundled import bundled_path
from forecast.inputs.tables import file_hash
from tests.conftest import HEADER, SYNTHETIC, write
from tests.forecast.test_cli import fake_fits  # noqa: F401  (the fixture)

runner = CliRunner()
SCENARIO = """
    name: synthetic update
    region: langfang
    horizon: 2023
    targets:
      - indicator: high_tech_enterprises
        comparator: at_least
        target_year: 2023
        target_value: 1000
    models:
      trend: {draws: 50, tune: 50, chains: 1, model: drift}
    seed: 7
    """


def table(rows, header=HEADER) -> str:
    return header + "".join(f"{r},high_tech_enterprises,{y},{v},{u},{SYNTHETIC},,main,\n" for r, y, v, u in rows)


@pytest.fixture
def past_run(tmp_path, fake_fits, monkeypatch):  # noqa: F811
    """A working history, and a run of a scenario on it under tmp/out (its manifest records the command line from
    sys.argv, set here as a shell would)."""
    old = [("langfang", 2018, 600, "firms"), ("langfang", 2019, 700, "firms"), ("langfang", 2020, 800, "firms")]
    old += [("hebei", 2017, 1950, "firms"), ("hebei", 2018, 2200, "firms"), ("hebei", 2019, 2500, "firms")]
    (tmp_path / "work").mkdir()
    history = write(tmp_path / "work" / "history.csv", table(old))
    scenario = write(tmp_path / "s.yaml", SCENARIO)
    out = tmp_path / "out"
    args = ["run", str(scenario), "--data", str(history), "--out", str(out / "s"), "--draws", "60"]
    monkeypatch.setattr("sys.argv", ["forecast", *args])
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return history, out


def test_update_lists_revisions_merges_and_shows_moves(tmp_path, past_run):
    history, out = past_run
    new = write(tmp_path / "new.csv", table([("langfang", 2020, 820, "家"), ("langfang", 2021, 900, "家")]))
    args = ["update", "--data", str(new), "--into", str(history), "--out-root", str(out), "--lang", "en"]
    result = runner.invoke(app, [*args, "--draws", "50", "--tune", "50"])
    assert result.exit_code == 0, result.output
    assert "1 new figures, 1 revised, 0 already known" in result.output
    assert "Revised past figures" in result.output
    revision = next(line for line in result.output.splitlines() if line.strip().startswith("Langfang"))
    assert "800" in revision and "820 firms" in revision
    assert "New figures against the trend model's expectation" in result.output
    # the run's scenario refitted with the run's own --draws 60 (recorded in its manifest's command)
    assert "synthetic update: each target's P(met) since its last run" in result.output
    assert "Langfang: Certified high-tech enterprises (stock) ≥ 1,000 firms by 2023" in result.output
    merged = pd.read_csv(history)
    assert sorted(merged.loc[merged["region"] == "langfang", "value"]) == [600, 700, 820, 900]
    assert (history.parent / "run.log").is_file()
    again = runner.invoke(app, [*args, "--dry-run"])
    assert again.exit_code == 0 and "nothing new or revised" in again.output


def test_moves_use_the_runs_draws(tmp_path, past_run, monkeypatch):
    import forecast.evaluation.update as update

    seen = []
    real = update.forecast_targets

    def spy(scenario, *args, **kwargs):
        seen.append(scenario.models.trend.draws)
        return real(scenario, *args, **kwargs)

    monkeypatch.setattr(update, "forecast_targets", spy)
    history, out = past_run
    new = write(tmp_path / "new.csv", table([("langfang", 2021, 900, "firms")]))
    result = runner.invoke(app, ["update", "--data", str(new), "--into", str(history), "--out-root", str(out)])
    assert result.exit_code == 0, result.output
    assert seen == [60]
    assert "上次达标概率" in result.output  # Chinese by default: langfang is in China


def test_a_refused_file_writes_nothing(tmp_path, past_run):
    history, out = past_run
    before = history.read_bytes()
    bad = write(tmp_path / "bad.csv", table([("langfang", 2021, 900, "万家")]))
    result = runner.invoke(app, ["update", "--data", str(bad), "--into", str(history), "--out-root", str(out)])
    assert result.exit_code == 2
    assert "bad.csv, row 2, column 'unit'" in result.output and "Traceback" not in result.output
    assert history.read_bytes() == before and not (history.parent / "run.log").exists()


def test_first_update_starts_the_working_history_from_the_bundled_one(tmp_path, monkeypatch, fake_fits):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    bundled = file_hash(bundled_path("history.csv"))
    new = write(tmp_path / "new.csv", table([("langfang", 2023, 1400, "家")]))
    dry = runner.invoke(app, ["update", "--data", str(new), "--dry-run", "--draws", "50", "--tune", "50"])
    assert dry.exit_code == 0, dry.output
    assert not (tmp_path / "forecast-data").exists()
    result = runner.invoke(app, ["update", "--data", str(new), "--draws", "50", "--tune", "50", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "no scenario runs under out" in result.output
    working = pd.read_csv(tmp_path / "forecast-data" / "history.csv")
    assert len(working) == len(pd.read_csv(bundled_path("history.csv"))) + 1
    assert file_hash(bundled_path("history.csv")) == bundled  # the installed package is never modified
    assert json.loads(json.dumps(list(working.columns))) == HEADER.strip().split(",")


@pytest.mark.slow
def test_a_wild_new_figure_is_flagged_by_the_fitted_model(tmp_path):
    """Real MCMC on SYNTHETIC figures growing about 13% a year: a 2020 figure typed with an extra digit (9,000 where
    about 2,800 is due) lies far above the 95% interval, a plausible 2021 figure for Langfang inside it."""
    old = [("langfang", 2018, 600, "firms"), ("langfang", 2019, 700, "firms"), ("langfang", 2020, 800, "firms")]
    old += [("hebei", y, v, "firms") for y, v in ((2016, 1700), (2017, 1950), (2018, 2200), (2019, 2500))]
    history = write(tmp_path / "history.csv", table(old))
    new = write(tmp_path / "new.csv", table([("hebei", 2020, 9000, "firms"), ("langfang", 2021, 900, "firms")]))
    args = ["update", "--data", str(new), "--into", str(history), "--dry-run", "--lang", "en"]
    result = runner.invoke(app, [*args, "--draws", "300", "--tune", "300"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.output.splitlines() if "firms" in line and "20" in line}
    assert "ABOVE the expected range" in rows["Hebei"] and "inside" in rows["Langfang"]
    assert "1 new figure(s) outside" in result.output
