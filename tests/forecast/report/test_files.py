"""The one manifest writer and the all-or-nothing output folder."""

import json
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from forecast.errors import InputError
from forecast.report.files import claim_output, provenance, staged_output, write_manifest


def test_manifest_is_indented_utf8_json_with_other_values_as_text(tmp_path):
    write_manifest(tmp_path, {"region": "廊坊", "folder": Path("a/b"), "p": 0.5})
    text = (tmp_path / "manifest.json").read_text(encoding="utf-8")
    assert '\n  "region": "廊坊"' in text  # two-space indent, Chinese kept as written
    assert json.loads(text) == {"region": "廊坊", "folder": "a/b", "p": 0.5}


def test_provenance_records_command_seed_inputs_and_versions():
    meta = provenance(command="forecast run x.yaml", seed=7, inputs={"data": "ab"})
    assert (meta["command"], meta["seed"], meta["input_sha256"]) == ("forecast run x.yaml", 7, {"data": "ab"})
    assert {"plan-forecast", "python", "pymc", "mesa"} <= set(meta["versions"])


def test_staged_output_replaces_the_folder_only_when_the_block_succeeds(tmp_path):
    out = tmp_path / "out"
    with staged_output(out) as staging:
        write_manifest(staging, {"seed": 1})
    with pytest.raises(RuntimeError), staged_output(out) as staging:
        write_manifest(staging, {"seed": 2})
        raise RuntimeError("failed half-way")
    assert json.loads((out / "manifest.json").read_text())["seed"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    with staged_output(out) as staging:
        (staging / "other.csv").write_text("x\n")
    assert [p.name for p in out.iterdir()] == ["other.csv"]  # a finished folder replaces the old one whole


def test_provenance_records_when_the_run_was_made_in_utc():
    before = datetime.now(UTC).replace(microsecond=0)
    stamp = datetime.fromisoformat(provenance(command="c", seed=1, inputs={})["created_utc"])
    assert stamp.utcoffset() == timedelta(0)  # ISO-8601 with an explicit UTC offset
    assert before <= stamp <= datetime.now(UTC)


def test_claim_output_refuses_an_existing_folder_unless_forced(tmp_path):
    claim_output(tmp_path / "new", force=False)  # a folder that does not exist is free
    with staged_output(tmp_path / "run") as staging:
        write_manifest(staging, {"seed": 1})
    with pytest.raises(InputError) as caught:
        claim_output(tmp_path / "run", force=False)
    problem = caught.value.problems[0]
    assert problem.file == str(tmp_path / "run") and "previous run" in problem.what and "--force" in problem.fix
    claim_output(tmp_path / "run", force=True)
    assert (tmp_path / "run" / "manifest.json").is_file()  # claiming removes nothing; the finished run replaces


def test_ctrl_c_inside_the_block_leaves_the_old_folder_and_no_staging(tmp_path):
    out = tmp_path / "out"
    with staged_output(out) as staging:
        write_manifest(staging, {"seed": 1})
    with pytest.raises(KeyboardInterrupt), staged_output(out) as staging:
        (staging / "half.csv").write_text("a,b\n1,")
        raise KeyboardInterrupt
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert [p.name for p in out.iterdir()] == ["manifest.json"]


def test_a_failed_first_run_leaves_nothing_at_all(tmp_path):
    with pytest.raises(ValueError), staged_output(tmp_path / "out") as staging:
        (staging / "targets.csv").write_text("x\n")
        raise ValueError("fit failed")
    assert list(tmp_path.iterdir()) == []


SIGINT_SCRIPT = """
import signal, sys, time
from pathlib import Path
from forecast.report.files import staged_output
# Ctrl-C as a terminal delivers it: a process started in the background of a shell inherits SIGINT ignored
signal.signal(signal.SIGINT, signal.default_int_handler)
with staged_output(Path(sys.argv[1])) as staging:
    (staging / "half.csv").write_text("year,value\\n2020,")
    print("ready", flush=True)
    time.sleep(60)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_a_process_interrupted_with_sigint_leaves_no_half_files(tmp_path):
    out = tmp_path / "out"
    with staged_output(out) as staging:
        write_manifest(staging, {"seed": 1})
    child = subprocess.Popen(
        [sys.executable, "-c", SIGINT_SCRIPT, str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "ready"  # the half-written file exists in staging now
        assert len(list(tmp_path.iterdir())) == 2
        child.send_signal(signal.SIGINT)
        child.wait(timeout=30)
    finally:
        child.kill()
    assert child.returncode != 0 and "KeyboardInterrupt" in child.stderr.read()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert [p.name for p in out.iterdir()] == ["manifest.json"]
    assert json.loads((out / "manifest.json").read_text())["seed"] == 1
