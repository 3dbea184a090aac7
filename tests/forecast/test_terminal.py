"""A quiet terminal and the language of a run (SYNTHETIC data, tiny draws): library warnings go to run.log, -v shows
them; --lang en writes English words, never code keys."""

import logging
import re
import warnings

import pytest
from typer.testing import CliRunner

from forecast.cli import app
from forecast.terminal import captured_text, library_output
from tests.conftest import HEADER, SYNTHETIC, write

runner = CliRunner()
SCENARIO = """
    name: synthetic
    region: langfang
    horizon: 2023
    targets:
      - indicator: high_tech_enterprises
        comparator: at_least
        target_year: 2023
        target_value: 1000
    models:
      trend: {draws: 60, tune: 60, chains: 2, model: drift}
    seed: 7
    """


def test_library_output_keeps_warnings_and_log_records_off_the_terminal(capsys):
    pymc = logging.getLogger("pymc")
    before = (list(pymc.handlers), pymc.propagate)
    with library_output() as buffer:
        warnings.warn("FutureWarning from a library", FutureWarning, stacklevel=1)
        pymc.info("Sampling 2 chains")
        logging.getLogger("forecast").info("note: LOO: Pareto k > 0.7")
        assert "Sampling 2 chains" in captured_text()
    text = buffer.getvalue()
    assert "FutureWarning from a library" in text and "Sampling 2 chains" in text and "Pareto k" in text
    assert capsys.readouterr().err == ""
    assert (list(pymc.handlers), pymc.propagate) == before and captured_text() == ""


def test_verbose_shows_them_too(capsys):
    with library_output(verbose=True):
        warnings.warn("a RuntimeWarning", RuntimeWarning, stacklevel=1)
    assert "a RuntimeWarning" in capsys.readouterr().err


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("terminal")
    rows = [("langfang", 2018, 600), ("langfang", 2019, 700), ("langfang", 2020, 800), ("hebei", 2018, 2200)]
    data = write(
        tmp / "h.csv",
        HEADER + "".join(f"{r},high_tech_enterprises,{y},{v},firms,{SYNTHETIC},,main,\n" for r, y, v in rows),
    )
    return tmp, data, write(tmp / "s.yaml", SCENARIO)


def test_run_in_english_has_words_and_a_run_log(files):
    tmp, data, scenario = files
    result = runner.invoke(app, ["run", str(scenario), "--data", str(data), "--out", str(tmp / "en"), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "P(met)" in result.output
    assert "Langfang: Certified high-tech enterprises (stock) ≥ 1,000 firms by 2023" in result.output
    assert not re.search(r"high_tech_enterprises|Pareto|FutureWarning|BLAS", result.output)
    log = (tmp / "en" / "run.log").read_text(encoding="utf-8")
    assert "note: " in log  # the fit's notes (pooling, LOO) are kept, not printed
    assert "wrote" in result.output and str(tmp / "en") in result.output


def test_verbose_run_prints_the_notes(files):
    tmp, data, scenario = files
    result = runner.invoke(app, ["run", str(scenario), "--data", str(data), "--out", str(tmp / "v"), "-v"])
    assert result.exit_code == 0, result.output
    assert "note: " in result.output and "达标概率" in result.output


def test_unknown_language_is_refused(files):
    tmp, data, scenario = files
    result = runner.invoke(app, ["run", str(scenario), "--lang", "fr", "--out", str(tmp / "fr")])
    assert result.exit_code == 2 and not (tmp / "fr").exists()


def _warn_in_a_worker() -> int:
    """Run on a Dask worker process: a library's warning, as numpy or a model might give one there."""
    import os

    warnings.warn(f"a worker's library warning (pid {os.getpid()})", RuntimeWarning, stacklevel=1)
    return os.getpid()


def test_warnings_of_dask_worker_processes_go_to_run_log_not_the_terminal(capfd):
    """Worker processes share the terminal's standard error (capfd sees it at the file descriptor): their
    warnings are forwarded to this process's log, as `ladder --workers 2` needs."""
    import os
    import time

    from distributed import default_client

    from forecast.cli.common import ladder_work

    with library_output() as buffer:
        with ladder_work(2, None, 20):
            pid = default_client().submit(_warn_in_a_worker, pure=False).result()
            deadline = time.monotonic() + 30  # forwarded records arrive on the client's event stream
            while "a worker's library warning" not in buffer.getvalue() and time.monotonic() < deadline:
                time.sleep(0.2)
    assert pid != os.getpid()  # it ran in another process
    assert f"a worker's library warning (pid {pid})" in buffer.getvalue()
    assert "a worker's library warning" not in capfd.readouterr().err


def test_a_default_run_in_a_terminal_shows_no_library_warning(files):
    """The whole command in its own process, as a planner starts it (the libraries import afresh, their first
    warnings included): standard error holds no library warning and no sampler message; run.log keeps them."""
    import subprocess
    import sys

    tmp, data, scenario = files
    out, cache = tmp / "fresh", tmp / "fresh-cache"
    command = [sys.executable, "-c", "from forecast.cli import app; app()", "run", str(scenario), "--data", str(data)]
    done = subprocess.run(
        [*command, "--out", str(out), "--cache", str(cache)], capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "达标概率" in done.stdout
    shown = done.stdout + done.stderr
    assert not re.search(r"Warning|WARNING \(|warnings\.warn|Sampling|NUTS|Pareto|BLAS", shown), done.stderr
    assert "Sampling" in (out / "run.log").read_text(encoding="utf-8")  # kept, not lost
