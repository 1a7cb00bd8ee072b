"""Every command-line option is checked when it is parsed: a bad value gets one line naming the option
and what was expected, before any plugin loads, TensorFlow is imported or a folder is touched."""

from __future__ import annotations

import subprocess

import pytest
from click.testing import CliRunner
from folder_tools import EXPORTED, GATENET, gatenet

from gatenet.cli import cli

TOO_BIG = str(10**20)


@pytest.fixture
def no_plugins(monkeypatch):
    """Fail the test if a command gets as far as loading plugins: parsing must refuse first."""

    def refuse(**kwargs) -> None:
        raise AssertionError("plugins loaded before the options were checked")

    monkeypatch.setattr("gatenet.cli.load_plugins", refuse)


def refused(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    assert "Traceback" not in result.output
    return errors[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--steps", TOO_BIG], f"'--steps': {TOO_BIG} is not in the range 1<=x<=2147483647"),
        (["--steps", "1e20"], "'--steps': '1e20' is not a valid whole number"),
        (["--restarts", TOO_BIG], f"'--restarts': {TOO_BIG} is not in the range 1<=x<=1000"),
        (["--seed", "-1"], "'--seed': -1 is not in the range 0<=x<=2147483647"),
        (["--seed", str(2**31)], "'--seed': 2147483648 is not in the range 0<=x<=2147483647"),
        (["--chunk", TOO_BIG], f"'--chunk': {TOO_BIG} is not in the range 1<=x<=65536"),
        (
            ["--hidden", "0"],
            "'--hidden': expected sizes like 16 or 16,8, each in [1, 65536], or none; got '0'",
        ),
        (["--hidden", "-4"], "'--hidden': expected sizes like 16 or 16,8, each in [1, 65536], or none"),
        (["--activation", ""], "'--activation': expected a Keras name like 'relu', got ''"),
        (["--activation", "relu,"], "'--activation': expected a Keras name like 'relu', got ''"),
        (["--loss", " "], "'--loss': expected a Keras name like 'relu', got ' '"),
        (["--optimizer", "../adam"], "'--optimizer': expected a Keras name like 'relu', got '../adam'"),
        (["--out", ""], "'--out': expected a folder, got ''"),
    ],
)
def test_train_refuses_values_the_trainer_cannot_run_when_parsed(no_plugins, tmp_path, args, message):
    out = ["--out", str(tmp_path / "out")] if "--out" not in args else []
    assert message in refused("train", "XOR", *out, *args)
    assert not (tmp_path / "out").exists()


def test_seeds_and_restarts_are_checked_for_status_too(no_plugins, tmp_path):
    assert "'--seed': -1 is not in the range" in refused("status", "--dir", str(tmp_path), "--seed", "-1")
    assert "'--restarts': 0 is not in the range" in refused(
        "status", "--dir", str(tmp_path), "--restarts", "0"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--layers", "1,-1"], "'--layers': -1 is not in the range 1<=x<=64"),
        (["--layers", "0"], "'--layers': 0 is not in the range 1<=x<=64"),
        (["--hidden-units", "2,0"], "'--hidden-units': 0 is not in the range 1<=x<=65536"),
        (["--hidden-units", "2,x"], "'--hidden-units': 'x' is not a valid whole number"),
        (["--steps", "250,0"], "'--steps': 0 is not in the range 1<=x<=2147483647"),
        (["--steps", "1e3"], "'--steps': '1e3' is not a valid whole number"),
        (["--learning-rate", "0.1,0"], "'--learning-rate': expected a finite number > 0, got '0'"),
        (["--learning-rate", "-0.1"], "'--learning-rate': expected a finite number > 0, got '-0.1'"),
        (["--learning-rate", "nan"], "'--learning-rate': expected a finite number > 0, got 'nan'"),
        (["--hidden", "none,8+x"], "'--hidden': expected sizes like 16 or 16+8, each in [1, 65536], or none"),
        (["--hidden", "4,0"], "got '0'"),
        (["--activation", "relu,"], "'--activation': expected a Keras name like 'relu', got ''"),
        (["--loss", "mse,,"], "'--loss': expected a Keras name like 'relu', got ''"),
        (["--seeds", TOO_BIG], f"'--seeds': {TOO_BIG} is not in the range 1<=x<=1000"),
        (["--out", ""], "'--out': expected a folder, got ''"),
    ],
)
def test_every_sweep_axis_is_checked_when_parsed(no_plugins, tmp_path, args, message):
    out = ["--out", str(tmp_path / "sweeps")] if "--out" not in args else []
    assert message in refused("sweep", "XOR", *out, *args)
    assert not (tmp_path / "sweeps").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["prune", "--yes"],
        ["verify"],
        ["predict", "XOR", "0", "1"],
        ["plot", "--out", "{tmp}/plots"],
        ["export-c", "--out", "{tmp}/c"],
        ["site", "--out", "{tmp}/site"],
    ],
)
def test_a_folder_to_read_must_exist_and_is_never_created(no_plugins, tmp_path, command):
    typo = tmp_path / "TYPO"
    args = [arg.format(tmp=tmp_path) for arg in command]
    assert f"'--dir': {typo}: no such folder" in refused(*args, "--dir", str(typo))
    assert list(tmp_path.iterdir()) == []


def test_serve_refuses_a_folder_that_does_not_exist_instead_of_serving_it(tmp_path):
    typo = tmp_path / "TYPO"
    # A subprocess with a timeout: wrongly accepted, the server would run until stopped.
    result = subprocess.run(
        [str(GATENET), "serve", "--dir", str(typo), "--port", "0"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == f"Error: Invalid value for '--dir': {typo}: no such folder"
    assert not typo.exists()


@pytest.mark.parametrize(
    "command",
    [
        ["train", "XOR", "--out"],
        ["plot", "--dir", str(EXPORTED), "--out"],
        ["export-c", "--dir", str(EXPORTED), "--out"],
        ["site", "--dir", str(EXPORTED), "--out"],
        ["new-plugin", "thing", "--dir"],
        ["verify", "--dir"],
        ["prune", "--dir"],
    ],
)
def test_an_empty_folder_path_is_refused_not_taken_as_the_current_folder(no_plugins, command):
    assert f"'{command[-1]}': expected a folder, got ''" in refused(*command, "")


@pytest.mark.parametrize("bit", ["\u0661", "1e0", " 1", "1 ", "01", "2", "true", ""])
def test_predict_takes_only_the_ascii_bits_0_and_1(no_plugins, bit):
    assert refused("predict", "XOR", "0", bit, "--dir", str(EXPORTED)).endswith(
        f"Invalid value for '[BITS]...': expected 0 or 1, got {bit!r}"
    )


@pytest.mark.parametrize("name", ["../base/xor", "xor.onnx", "sub/xor", "/abs/xor", "1XOR", ""])
def test_a_gate_name_is_never_a_path(no_plugins, name):
    message = f"expected a gate name (a letter, then letters, digits or underscores), got {name!r}"
    assert f"'GATE': {message}" in refused("predict", name, "0", "1", "--dir", str(EXPORTED))
    assert f"'[GATE]...': {message}" in refused("export-c", name, "--dir", str(EXPORTED))
    assert f"'[GATE|CIRCUIT]...': {message}" in refused("plot", name, "--dir", str(EXPORTED))


def test_predict_says_how_many_bits_the_gate_takes():
    for bits in ([], ["1"], ["1", "0", "1"]):
        result = CliRunner().invoke(cli, ["predict", "XOR", *bits, "--dir", str(EXPORTED)])
        assert result.exit_code == 2
        assert result.output.splitlines()[-1] == (
            "Error: XOR takes 2 bits (a, b), one per input, e.g. gatenet predict XOR 0 1; "
            f"got {len(bits) or 'none'}"
        )
    result = CliRunner().invoke(cli, ["predict", "xor", "1", "0", "--dir", str(EXPORTED)])
    assert (result.exit_code, result.output) == (0, "1\n")


@pytest.mark.parametrize("spec", ["no:", "no: ", "", " "])
def test_an_empty_plugin_name_is_refused(no_plugins, spec):
    assert f"Invalid value for '-p' / '--plugin': expected MODULE, FILE.py or no:NAME, got {spec!r}" in (
        refused("-p", spec, "list")
    )


def test_a_plugin_that_implements_no_hook_is_named_in_a_note(tmp_path):
    (tmp_path / "idle.py").write_text("VALUE = 1\n")
    for spec, origin in (("os", "os.py"), (str(tmp_path / "idle.py"), str(tmp_path / "idle.py"))):
        result = gatenet("-p", spec, "list")
        assert result.returncode == 0, result.stderr
        (note,) = [line for line in result.stderr.splitlines() if line.startswith("note:")]
        name = spec if spec == "os" else "idle"
        assert note.startswith(f"note: plugin {name!r} (")
        assert f"{origin}) implements no gatenet hook, so it gives nothing; hooks: register_circuits" in note
        assert "XOR" in result.stdout
    assert "note:" not in gatenet("list").stderr


def test_a_gates_hints_that_clash_with_the_command_line_name_the_gate(tmp_path):
    (tmp_path / "clash.py").write_text(
        "import gatenet\n\n\n@gatenet.hookimpl\ndef register_gates(register):\n"
        "    register(gatenet.Gate(name='CLASHY', inputs=2, truth=lambda a, b: a ^ b,\n"
        "        network={'activation': ['relu', 'tanh'], 'hidden': [4, 4]}))\n"
    )
    # its own process: a plugin loaded here would stay registered for the tests after this one
    result = gatenet("-p", tmp_path / "clash.py", "train", "CLASHY", "--hidden", "8", "--check", cwd=tmp_path)
    assert result.returncode == 1
    why = "activation: give one activation, or one per hidden layer (1), got ['relu', 'tanh']"
    assert result.stdout + result.stderr == f"Error: gate 'CLASHY': {why}\n"


@pytest.mark.parametrize(
    ("args", "supervised"),
    [
        (["train", "--check"], True),
        (["--debug", "-p", "plug.py", "train", "XOR", "--check"], True),
        (["-p", "train", "status", "--check"], False),  # a plugin module called train
        (["--plugin", "x.py", "train", "XOR"], False),
        (["status"], False),
    ],
)
def test_the_pre_commit_check_is_found_after_any_global_option(args, supervised):
    from gatenet.cli import _is_check

    assert _is_check(args) is supervised
