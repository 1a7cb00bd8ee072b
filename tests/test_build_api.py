"""One build for everyone: `gatenet train`, `gatenet.train()` and `gatenet.build()`, given the same gates
in a project with `[tool.gatenet]` and plugin hints, write the same bytes and read as up to date."""

import json
import subprocess
import sys
import textwrap

from folder_tools import GATENET, tree_digest

PLUGIN = textwrap.dedent(
    """
    import gatenet


    @gatenet.hookimpl
    def register_gates(register):
        register(gatenet.Gate("HINTED", ["a", "b"], lambda a, b: a ^ b, network={"hidden_bias": 0.05}))
        register(gatenet.Gate("PLAIN", ["a", "b"], lambda a, b: a | b))
    """
)
PYPROJECT = textwrap.dedent(
    """
    [tool.gatenet]
    steps = 300

    [tool.gatenet.gates.HINTED]
    hidden = [8]
    """
)
NOTEBOOK = textwrap.dedent(
    """
    import gatenet
    from gatenet.plugins import load_plugins

    load_plugins(extra=["plug.py"])
    results = gatenet.train(["HINTED", "PLAIN"], out="api_train")
    assert all(result.verified for result in results), results
    report = gatenet.build("HINTED", "PLAIN", out="api_build")
    assert [result.gate.name for result in report.trained] == ["HINTED", "PLAIN"], report
    again = gatenet.build("HINTED", "PLAIN", out="api_build")
    assert not again.trained and [status.name for status in again.fresh] == ["HINTED", "PLAIN"], again
    statuses = gatenet.build("HINTED", "PLAIN", out="api_train", check=True)
    assert all(status.state == "up to date" for status in statuses), statuses
    """
)


def run(*command, cwd):
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_command_line_and_the_python_api_make_the_same_bytes_and_status(tmp_path):
    (tmp_path / "plug.py").write_text(PLUGIN)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "notebook.py").write_text(NOTEBOOK)
    run(GATENET, "-p", "plug.py", "train", "HINTED", "PLAIN", "--out", "cli", "-q", cwd=tmp_path)
    run(sys.executable, "notebook.py", cwd=tmp_path)

    manifest = json.loads((tmp_path / "cli" / "manifest.json").read_text())["models"]
    assert manifest["hinted.onnx"]["network"]["hidden"] == [8]  # [tool.gatenet.gates.HINTED]
    assert manifest["hinted.onnx"]["network"]["hidden_bias"] == 0.05  # the plugin's hint
    assert manifest["plain.onnx"]["network"]["steps"] == 300  # [tool.gatenet]
    skip = (".gatenet/lock", ".gatenet/.gitignore")
    assert tree_digest(tmp_path / "api_train", skip) == tree_digest(tmp_path / "cli", skip)
    assert tree_digest(tmp_path / "api_build", skip) == tree_digest(tmp_path / "cli", skip)
    for folder in ("api_train", "api_build"):
        status = json.loads(run(GATENET, "-p", "plug.py", "status", "--dir", folder, "--json", cwd=tmp_path))
        states = {model["name"]: model["state"] for model in status["models"]}
        assert states["HINTED"] == states["PLAIN"] == "up to date", states
        run(GATENET, "-p", "plug.py", "train", "HINTED", "PLAIN", "--out", folder, "--check", cwd=tmp_path)


def test_a_gate_made_in_a_notebook_takes_its_project_settings(tmp_path, monkeypatch):
    """`gatenet.train(Gate(...))` of a gate no plugin registers, with a `[tool.gatenet.gates]` table
    for it: the table applies, rather than being refused as a typo for an unknown gate."""
    from gatenet import Gate, builder
    from gatenet.plugins import collect_gates

    (tmp_path / "pyproject.toml").write_text("[tool.gatenet.gates.MYGATE]\nhidden = [4]\n")
    monkeypatch.chdir(tmp_path)
    gate = Gate("MYGATE", ["a", "b"], lambda a, b: a & b)
    (recipe,), _ = builder.recipes(collect_gates(), [gate], builder.Options())
    assert tuple(recipe.network.hidden) == (4,)
