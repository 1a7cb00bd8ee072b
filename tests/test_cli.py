import json
import shutil

import pytest
from click.testing import CliRunner
from folder_tools import gatenet

from gatenet.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_list_shows_the_shipped_gates_and_their_plugins():
    result = run("list")
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert {"XOR", "AND", "OR", "NAND"} <= set(lines)
    assert lines["XOR"].split()[5] == "xor" and lines["NAND"].split()[5] == "basic"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli")
    result = run("train", "xor", "AND", "--out", str(out))
    return out, result


def test_train_prints_a_line_per_gate_and_writes_verified_models(trained):
    out, result = trained
    assert result.exit_code == 0, result.output
    header, *rows = result.output.splitlines()
    assert header.split() == [
        "gate",
        "verified",
        "worst",
        "margin",
        "steps",
        "all",
        "right",
        "at",
        "seconds",
        "file",
    ]
    assert [row.split()[0] for row in rows] == ["XOR", "AND"]
    for row in rows:
        name, verified, margin, steps, right_at, seconds, path = row.split()
        assert verified == "yes" and float(margin) >= 0.4 and steps == "1000"
        assert 0 <= int(right_at) <= 1000 and float(seconds) > 0
        assert path == str(out / f"{name.lower()}.onnx")
    assert sorted(json.loads((out / "manifest.json").read_text())["models"]) == ["and.onnx", "xor.onnx"]


def test_verify_passes_good_models_and_fails_a_tampered_one(trained, tmp_path):
    out, _ = trained
    result = run("verify", "--dir", str(out))
    assert result.exit_code == 0
    assert [line.split()[:2] for line in result.output.splitlines()] == [
        ["and.onnx", "verified"],
        ["xor.onnx", "verified"],
    ]
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    data = bytearray((copy / "xor.onnx").read_bytes())
    data[-40] ^= 0xFF
    (copy / "xor.onnx").write_bytes(bytes(data))
    result = run("verify", "--dir", str(copy))
    assert result.exit_code == 1
    assert f"xor.onnx                 FAILED     {copy / 'xor.onnx'}: SHA-256 differs from manifest.json" in (
        result.output
    )
    assert "and.onnx                 verified" in result.output


def test_verify_needs_a_folder_with_models(tmp_path):
    result = run("verify", "--dir", str(tmp_path / "missing"))
    assert result.exit_code == 2 and f"'--dir': {tmp_path / 'missing'}: no such folder" in result.output
    result = run("verify", "--dir", str(tmp_path))
    assert result.exit_code == 1 and "holds no .onnx models" in result.output


def test_unknown_gate_names_list_the_known_ones(tmp_path):
    result = run("train", "XOR", "NOPE", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert (
        "unknown gate 'NOPE'; known gates: AND, FULL_ADDER, HALF_ADDER, IMPLIES, MAJORITY3, NAND, NOR, NOT"
        in (result.output)
    )
    assert "families: boolean1, boolean2, boolean3" in result.output
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--hidden", "16,x"],
            "Invalid value for '--hidden': expected sizes like 16 or 16,8, each in [1, 65536], or none; "
            "got '16,x'",
        ),
        (["--optimizer", "adamm"], "Error: optimizer: Keras has no optimizer called 'adamm'"),
        (["--steps", "0"], "Invalid value for '--steps': 0 is not in the range 1<=x<=2147483647"),
        (["--margin", "0.7"], "Invalid value for '--margin': expected a number in (0, 0.5]"),
        (["--learning-rate", "inf"], "Invalid value for '--learning-rate': expected a finite number"),
        (["--hidden-bias", "nan"], "Invalid value for '--hidden-bias': expected a finite number, got 'nan'"),
        (
            ["--hidden", "8,8", "--activation", "relu,tanh,relu"],
            "activation: give one activation, or one per",
        ),
    ],
)
def test_bad_settings_get_one_clear_line(tmp_path, args, message):
    result = run("train", "XOR", "--out", str(tmp_path), *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_gate_that_does_not_verify_makes_train_fail_after_the_others(tmp_path):
    result = run(
        "train", "XOR", "AND", "--steps", "3", "--restarts", "1", "--no-escalate", "--out", str(tmp_path)
    )
    assert result.exit_code == 1
    assert "error: gate 'XOR' not verified: no seed of 0 verified; the best, seed 0: row " in result.output
    assert "the model exported before is left as it was" in result.output
    assert not (tmp_path / "xor.onnx").exists()


def test_no_export_trains_checks_and_writes_nothing(tmp_path):
    result = gatenet("train", "AND", "--no-export", "--json", "--out", str(tmp_path / "never"))
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)["results"]
    assert row["gate"] == "AND" and row["verified"] is True and row["file"] is None
    assert not (tmp_path / "never").exists()
