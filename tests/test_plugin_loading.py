"""Every way a plugin gets in, how to keep one out, and broken plugins that hurt nobody else.

These run the real `gatenet` command in fresh processes, as a user would.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gatenet import runtime

BROKEN = Path(__file__).resolve().parent / "broken_plugins"
EXPORTED = Path(__file__).resolve().parent.parent / "exported"
GATENET = [sys.executable, "-m", "gatenet.cli"]
PLUGIN = """
import gatenet


@gatenet.hookimpl
def register_gates(register):
    register(gatenet.Gate(name="{gate}", inputs=2, truth=lambda a, b: {truth}))
"""


def gatenet(*args, cwd=None, env=None, timeout=600) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    return subprocess.run(
        [*GATENET, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=environment, timeout=timeout
    )


def assert_verified_model(path: Path, table: list[int]) -> None:
    model = runtime.load(path)
    assert model.verify().verified
    assert model.predict(model.rows)[:, 0].tolist() == table


def test_a_module_a_py_file_and_the_environment_variable_each_bring_a_gate_in(tmp_path):
    (tmp_path / "by_module.py").write_text(PLUGIN.format(gate="BY_MODULE", truth="a & (1 - b)"))
    files = tmp_path / "elsewhere"
    files.mkdir()
    (files / "by_file.py").write_text(PLUGIN.format(gate="BY_FILE", truth="(1 - a) & b"))
    (tmp_path / "by_env.py").write_text(PLUGIN.format(gate="BY_ENV", truth="1 - b"))
    args = ["-p", "by_module", "--plugin", files / "by_file.py"]
    env = {"GATENET_PLUGINS": "by_env"}
    listed = json.loads(gatenet(*args, "plugins", "--json", cwd=tmp_path, env=env).stdout)
    where = {row["name"]: (row["source"], row["origin"], row["gates"]) for row in listed["plugins"]}
    assert where["by_module"] == ("-p", str(tmp_path / "by_module.py"), ["BY_MODULE"])
    assert where["by_file"] == ("-p", str(files / "by_file.py"), ["BY_FILE"])
    assert where["by_env"] == ("GATENET_PLUGINS", str(tmp_path / "by_env.py"), ["BY_ENV"])
    assert where["xor"][:2] == ("builtin", "gatenet-logic 0.1.0")
    assert listed["problems"] == []
    result = gatenet(*args, "train", "BY_MODULE", "BY_FILE", "BY_ENV", "--out", "out", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert_verified_model(tmp_path / "out" / "by_module.onnx", [0, 0, 1, 0])
    assert_verified_model(tmp_path / "out" / "by_file.onnx", [0, 1, 0, 0])
    assert_verified_model(tmp_path / "out" / "by_env.onnx", [1, 0, 1, 0])


def test_new_plugin_writes_a_package_that_installs_trains_and_passes_its_own_tests(tmp_path):
    result = gatenet("new-plugin", "andnot", "--dir", tmp_path)
    assert result.returncode == 0, result.stderr
    package = tmp_path / "gatenet-andnot"
    assert sorted(p.name for p in package.rglob("*") if p.is_file()) == [
        ".pre-commit-config.yaml",
        "README.md",
        "gatenet.yml",
        "gatenet_andnot.py",
        "pyproject.toml",
        "test_gatenet_andnot.py",
    ]
    site = tmp_path / "site"
    install = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", site, package]
    subprocess.run(install, check=True, capture_output=True)
    env = {"PYTHONPATH": str(site)}
    plugins = json.loads(gatenet("plugins", "--json", env=env).stdout)["plugins"]
    assert {
        "name": "andnot",
        "source": "entry point",
        "origin": "gatenet-andnot 0.1.0",
        "error": "",
        "gates": ["ANDNOT"],
        "circuits": {},
        "families": {},
    } in plugins
    trained = gatenet("train", "ANDNOT", "--out", tmp_path / "out", env=env)
    assert trained.returncode == 0, trained.stderr
    assert_verified_model(tmp_path / "out" / "andnot.onnx", [0, 0, 1, 0])
    own_tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", package / "tests"],
        capture_output=True,
        text=True,
        cwd=package,
        env={**os.environ, **env},
    )
    assert own_tests.returncode == 0, own_tests.stdout
    assert "3 passed" in own_tests.stdout
    skipped = json.loads(gatenet("--no-third-party", "plugins", "--json", env=env).stdout)
    assert {
        "name": "andnot",
        "source": "skipped",
        "origin": "gatenet-andnot 0.1.0",
        "error": "--no-third-party",
        "gates": [],
        "circuits": {},
        "families": {},
    } in skipped["plugins"]
    again = gatenet("new-plugin", "andnot", "--dir", tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_plugins_can_be_turned_off_by_name(tmp_path):
    by_option = gatenet("-p", "no:xor", "list")
    assert by_option.returncode == 0 and "XOR " not in by_option.stdout and "AND " in by_option.stdout
    by_env = gatenet("list", env={"GATENET_DISABLE_PLUGINS": "xor,basic"})
    assert "XOR " not in by_env.stdout and "NAND " not in by_env.stdout and "XNOR " in by_env.stdout
    unknown = gatenet("-p", "no:xor", "train", "XOR", "--out", tmp_path)
    assert unknown.returncode == 2 and "unknown gate 'XOR'" in unknown.stderr


CHATTY_PLUGIN = """
print("import says hi")
import gatenet


@gatenet.hookimpl
def register_gates(register):
    print("hook says hi")
    register(gatenet.Gate(name="CHATTY", inputs=1, truth=lambda a: print("truth says hi") or a))
"""


def test_what_a_plugin_prints_goes_to_stderr_so_json_and_predict_stay_clean(tmp_path):
    (tmp_path / "chatty.py").write_text(CHATTY_PLUGIN)
    (tmp_path / "chatty_import.py").write_text("print('import says hi')\n")
    listed = gatenet("-p", tmp_path / "chatty.py", "plugins", "--json")
    assert listed.returncode == 0, listed.stderr
    assert "chatty" in [row["name"] for row in json.loads(listed.stdout)["plugins"]]
    assert listed.stderr.split("\n")[:4] == [
        "import says hi",
        "hook says hi",
        "truth says hi",
        "truth says hi",
    ]
    predicted = gatenet("-p", tmp_path / "chatty_import.py", "predict", "XOR", "1", "0", "--dir", EXPORTED)
    assert (predicted.returncode, predicted.stdout) == (0, "1\n"), predicted.stderr
    assert predicted.stderr.startswith("import says hi\n")


BROKEN_CASES = {
    "broken_import": "failed to load: ModuleNotFoundError: No module named 'does_not_exist' (",
    "broken_syntax": "failed to load: SyntaxError: ",
    "raises": "register_gates failed: RuntimeError: no table today (",
    "not_a_gate": "register() takes a gatenet.Gate or gatenet.Family, got str (",
    "bad_name": "gate 'bad-name': name must be letters, digits and underscores",
    "short_table": "gate 'SHORT': truth table has 2 rows, expected 4",
    "not_bits": "gate 'NOT_BITS': row (1, 0) gives 2, outputs must be 0 or 1",
    "truth_raises": "gate 'TRUTH_RAISES': truth function raised ZeroDivisionError",
    "wrong_outputs": "gate 'WRONG_OUTPUTS': row (0, 0) gives 0, expected 2 output bits",
    "too_many_inputs": "gate 'HUGE': has 20 inputs, at most 16 are supported",
    "misspelled": "defines register_gate, which gatenet has no hook for (hooks: register_circuits, register_",
    "wrong_args": "cannot be registered: Plugin 'wrong_args' for hook 'register_gates'",
}


@pytest.fixture(scope="module")
def broken_args(tmp_path_factory):
    folder = tmp_path_factory.mktemp("syntax")
    (folder / "broken_syntax.py").write_text("import gatenet\n\n\ndef register_gates(:\n    pass\n")
    plugins = [folder / "broken_syntax.py", *sorted(BROKEN.glob("*.py"))]
    return [arg for path in plugins for arg in ("-p", path)]


def test_broken_plugins_are_each_reported_and_the_other_gates_still_list(broken_args):
    result = gatenet(*broken_args, "list")
    assert result.returncode == 1
    listed = {line.split()[0] for line in result.stdout.splitlines()}
    assert {"AND", "NAND", "OR", "GOOD", "PARITY8"} <= listed and "XOR" not in listed
    errors = [line for line in result.stderr.splitlines() if not line.startswith("note: ")]
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: ")]
    # with XOR left out by the clash, the circuits built on it are noted as unavailable, not errors
    assert "note: circuit 'PARITY8_TREE' of plugin 'circuits' is not available: it needs 'XOR'" in "\n".join(
        notes
    )
    for plugin, problem in BROKEN_CASES.items():
        line = next((e for e in errors if e.startswith(f"error: plugin '{plugin}'")), None)
        assert line is not None and problem in line, (plugin, result.stderr)
        if plugin not in ("misspelled", "wrong_args", "broken_syntax"):
            assert f"{plugin}.py:" in line, line
    assert "broken_syntax.py:4)" in next(e for e in errors if "'broken_syntax'" in e)
    clash = [e for e in errors if "registered by plugin 'xor' and plugin 'clash'" in e]
    assert len(clash) == 1 and "gate name 'XOR'" in clash[0]
    assert len(errors) == len(BROKEN_CASES) + 1


def test_broken_plugins_do_not_stop_training_but_make_it_fail_at_the_end(broken_args, tmp_path):
    result = gatenet(*broken_args, "train", "AND", "GOOD", "--out", tmp_path)
    assert result.returncode == 1
    assert [line.split()[:2] for line in result.stdout.splitlines()[1:]] == [["AND", "yes"], ["GOOD", "yes"]]
    assert_verified_model(tmp_path / "good.onnx", [0, 0, 1, 0])
    assert sum(line.startswith("error: plugin") for line in result.stderr.splitlines()) == len(BROKEN_CASES)


def test_settings_come_from_defaults_then_plugin_then_pyproject_then_command_line(tmp_path):
    (tmp_path / "hinted.py").write_text(
        "import gatenet\n\n\n@gatenet.hookimpl\ndef register_gates(register):\n"
        "    register(gatenet.Gate(name='HINTED', inputs=2, truth=lambda a, b: a | b,"
        " network={'steps': 700, 'hidden': (4,), 'activation': 'tanh'}))\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        "[tool.gatenet]\nlearning_rate = 0.02\nsteps = 900\n\n[tool.gatenet.gates.hinted]\nhidden = [8]\n"
    )
    result = gatenet("-p", "hinted", "train", "HINTED", "--steps", "600", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    network = json.loads((tmp_path / "out" / "manifest.json").read_text())["models"]["hinted.onnx"]["network"]
    assert network == {
        "hidden": [8],  # [tool.gatenet.gates.hinted] over the plugin's (4,)
        "activation": ["tanh"],  # the plugin's hint over the default relu
        "output_activation": "sigmoid",
        "loss": "mse",
        "optimizer": "adam",
        "learning_rate": 0.02,  # [tool.gatenet] over the default 0.01
        "steps": 600,  # the command line over [tool.gatenet] and the plugin
        "hidden_bias": 0.01,
    }
    (tmp_path / "pyproject.toml").write_text("[tool.gatenet]\nsteps = 900\nlayers = 3\n")
    bad = gatenet("-p", "hinted", "train", "HINTED", "--out", "out", cwd=tmp_path)
    assert bad.returncode == 1
    assert (
        "pyproject.toml [tool.gatenet]: unknown setting layers; settings are: hidden, activation"
        in bad.stderr
    )


BUSY_PLUGIN = """
import os

import gatenet


@gatenet.hookimpl
def register_gates(register):
    register(gatenet.Gate(name="BUSY_IN_C", inputs=2, truth=lambda a, b: sum(range(10**10)) % 2))
    register(gatenet.Gate(name="AFTER_BUSY", inputs=2, truth=lambda a, b: a | b))
    register(gatenet.Gate(name="ENDS_PROCESS", inputs=1, truth=lambda a: os._exit(0)))
"""


def test_a_truth_function_busy_inside_c_or_ending_the_process_is_stopped_and_named(tmp_path):
    """SIGALRM cannot stop `sum(range(10**10))`, which ran `gatenet list` for minutes, and
    `os._exit(0)` in a truth function ended the command with status 0 and no word."""
    (tmp_path / "busy.py").write_text(BUSY_PLUGIN)
    started = time.monotonic()
    result = gatenet("-p", tmp_path / "busy.py", "list", env={"GATENET_TRUTH_TIMEOUT": "0.5"}, timeout=120)
    assert time.monotonic() - started < 15
    assert result.returncode == 1
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [
        "error: plugin 'busy': gate 'BUSY_IN_C': truth function was still running after 0.5 s, the limit, in "
        "code Python cannot interrupt, and was stopped (set GATENET_TRUTH_TIMEOUT to change it) "
        f"({tmp_path / 'busy.py'}:9)",
        "error: plugin 'busy': gate 'ENDS_PROCESS': truth function ended the process it ran in "
        f"(exit status 0) ({tmp_path / 'busy.py'}:11)",
    ]
    listed = [line.split()[0] for line in result.stdout.splitlines()]
    assert {"AFTER_BUSY", "XOR", "ADD8"} <= set(listed) and "BUSY_IN_C" not in listed


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        ("import os\nos._exit(0)\n", "plugin 'ends' ended the process while loading (exit status 0)"),
        (
            "import os\nimport gatenet\n\n\n@gatenet.hookimpl\n"
            "def register_gates(register):\n    os._exit(0)\n",
            "plugin 'ends' ended the process while registering gates (exit status 0)",
        ),
    ],
    ids=["on import", "in its hook"],
)
def test_a_check_fails_when_a_plugin_ends_the_process(tmp_path, plugin, message):
    """Unsupervised, `train --check` exited 0 with no output when a plugin called os._exit(0), so a
    pre-commit hook passed; `gatenet train --check` runs supervised, and fails naming the plugin."""
    from folder_tools import copy_models

    folder = copy_models(tmp_path / "models", ["XOR"])
    (tmp_path / "ends.py").write_text(plugin)
    fine = gatenet("train", "--check", "XOR", "--out", folder, timeout=300)
    assert (fine.returncode, fine.stdout) == (0, f"{folder}: 1 up to date, 0 stale or missing\n"), fine.stderr
    ended = gatenet("-p", tmp_path / "ends.py", "train", "--check", "XOR", "--out", folder, timeout=300)
    assert (ended.returncode, ended.stdout) == (1, "")
    assert ended.stderr == f"error: {message}; the command did not finish\n"
