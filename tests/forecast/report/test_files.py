"""The one manifest writer and the all-or-nothing output folder."""

import json
from pathlib import Path

import pytest

from forecast.report.files import provenance, staged_output, write_manifest


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
