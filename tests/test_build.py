"""The model folder as a build artifact: `gatenet train` redoes only what changed, `--check` and
`status` say what is stale and why, `prune` removes orphans, and a pre-commit hook enforces it."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from folder_tools import GATENET, ROOT, copy_models, gatenet, run_cli

PLUGIN = """
import gatenet

@gatenet.hookimpl
def register_gates(register):
    register(gatenet.Gate("BUILD_A", 2, {a_truth}))
    register(gatenet.Gate("BUILD_B", 2, [0, 1, 1, 1], network={b_hints}))
"""
GATES = ["BUILD_A", "BUILD_B", "--restarts", "1"]


class Project:
    """A folder with a plugin file, a pyproject.toml and the models trained from them."""

    def __init__(self, root: Path) -> None:
        self.root, self.out = root, root / "exported"
        self.plugin(a_truth="[0, 0, 0, 1]", b_hints="{}")
        self.settings("[tool.gatenet]\nsteps = 300\n")

    def plugin(self, a_truth: str, b_hints: str) -> None:
        (self.root / "build_gates.py").write_text(PLUGIN.format(a_truth=a_truth, b_hints=b_hints))

    def settings(self, text: str) -> None:
        (self.root / "pyproject.toml").write_text(text)

    def run(self, *args: str) -> subprocess.CompletedProcess:
        env = {"GATENET_PLUGINS": str(self.root / "build_gates.py")}
        return gatenet(*args, env=env, cwd=self.root)

    def train(self, *args: str) -> subprocess.CompletedProcess:
        result = self.run("train", *GATES, *args)
        assert result.returncode == 0, result.stderr
        return result

    def check(self) -> tuple[int, str]:
        result = self.run("train", *GATES, "--check")
        return result.returncode, result.stdout

    def snapshot(self) -> dict[str, tuple[bytes, int]]:
        """Every file of the folder but gatenet's own, with its bytes and modification time."""
        return {
            str(path.relative_to(self.out)): (path.read_bytes(), path.stat().st_mtime_ns)
            for path in self.out.rglob("*")
            if path.is_file() and ".gatenet" not in path.parts
        }

    def changed(self, before: dict) -> set[str]:
        """Which gates had a file rewritten since `before`."""
        after = self.snapshot()
        return {
            name.split("/")[0].removesuffix(".onnx") for name in after if after[name] != before.get(name)
        } - {"manifest.json"}


@pytest.fixture
def project(tmp_path):
    project = Project(tmp_path)
    project.train()
    return project


def test_an_up_to_date_folder_is_left_alone_without_importing_tensorflow(project):
    before = project.snapshot()
    probe = (
        "import sys; from gatenet.cli import cli\n"
        "try:\n    cli(['train', *sys.argv[1:]])\nexcept SystemExit as exit_:\n    code = exit_.code\n"
        "print('tensorflow' in sys.modules, code)"
    )
    env = {**os.environ, "GATENET_PLUGINS": str(project.root / "build_gates.py")}
    result = subprocess.run(
        [sys.executable, "-c", probe, *GATES], capture_output=True, text=True, cwd=project.root, env=env
    )
    assert result.stdout.splitlines()[-1] == "False 0", result.stdout + result.stderr
    rows = [line.split() for line in result.stdout.splitlines()[1:-1]]
    assert [row[:4] for row in rows] == [["BUILD_A", "up", "to", "date"], ["BUILD_B", "up", "to", "date"]]
    assert project.snapshot() == before  # no byte and no modification time changed
    assert project.check() == (0, "exported: 2 up to date, 0 stale or missing\n")
    forced = project.train("--force")
    assert "up to date" not in forced.stdout
    assert project.changed(before) == {"build_a", "build_b"}


def test_each_kind_of_change_makes_exactly_that_gate_stale(project):
    # The plugin's truth table.
    project.plugin(a_truth="[0, 1, 1, 0]", b_hints="{}")
    code, output = project.check()
    assert code == 1
    assert output.splitlines()[0] == "BUILD_A: stale: the BUILD_A plugin's truth table changed"
    assert not any(line.startswith("BUILD_B") for line in output.splitlines())  # only the stale one listed
    status = project.run("status", "--dir", str(project.out), "--restarts", "1", "--json")
    states = {model["name"]: model["state"] for model in json.loads(status.stdout)["models"]}
    assert states["BUILD_A"] == "stale" and states["BUILD_B"] == "up to date"
    before = project.snapshot()
    project.train()
    assert project.changed(before) == {"build_a"}
    assert project.check()[0] == 0

    # A plugin hint.
    project.plugin(a_truth="[0, 1, 1, 0]", b_hints="{'hidden': [32]}")
    code, output = project.check()
    assert code == 1 and output.splitlines()[0] == "BUILD_B: stale: network changed (hidden [16] -> [32])"
    before = project.snapshot()
    project.train()
    assert project.changed(before) == {"build_b"}

    # A [tool.gatenet] setting for one gate.
    project.settings("[tool.gatenet]\nsteps = 300\n[tool.gatenet.gates.BUILD_A]\nsteps = 200\n")
    code, output = project.check()
    assert code == 1 and output.splitlines() == [
        "BUILD_A: stale: network changed (steps 300 -> 200)",
        "exported: 1 up to date, 1 stale or missing; run gatenet train BUILD_A BUILD_B --restarts 1",
    ]
    project.settings("[tool.gatenet]\nsteps = 300\n")

    # A file's bytes.
    history = project.out / "build_b" / "history.json"
    history.write_text(history.read_text().replace('"seed": 0', '"seed": 9'))
    code, output = project.check()
    assert code == 1 and output.splitlines()[0] == (
        "BUILD_B: stale: file modified: exported/build_b/history.json: SHA-256 differs from manifest.json"
    )
    assert output.splitlines()[1] == (
        "exported: 1 up to date, 1 stale or missing; run gatenet train BUILD_A BUILD_B --restarts 1"
    )


def test_a_model_trained_by_another_recipe_names_the_difference(project):
    default_restarts = project.run("train", "BUILD_A", "--check")
    assert default_restarts.returncode == 1
    assert default_restarts.stdout.splitlines()[0] == "BUILD_A: stale: restarts changed (1 -> 4)"
    other = project.run("train", "BUILD_A", "--restarts", "1", "--seed", "3", "--margin", "0.3", "--check")
    assert other.stdout.splitlines()[0] == (
        "BUILD_A: stale: margin changed (0.4 -> 0.3); first seed changed (0 -> 3)"
    )
    missing = project.run("train", "BUILD_A", "XOR", "--restarts", "1", "--check")
    assert missing.returncode == 1 and "XOR: missing: not trained yet" in missing.stdout


def test_orphaned_models_are_listed_and_removed_only_when_confirmed(tmp_path):
    folder = copy_models(tmp_path / "models", ["xor", "and"])
    status = gatenet("-p", "no:xor", "status", "--dir", str(folder))  # own process: own plugins
    lines = {line.split()[0]: line for line in status.stdout.splitlines()}
    assert lines["XOR"].split()[1:] == ["orphaned", "xor.onnx", "no", "plugin", "defines", "this", "gate"]
    assert lines["AND"].split()[1:] == ["up", "to", "date", "and.onnx"]
    refused = gatenet("-p", "no:xor", "prune", "--dir", str(folder), stdin=subprocess.DEVNULL)
    assert refused.returncode == 1 and "nothing removed: confirm with --yes" in refused.stderr
    assert f"orphaned: {folder}/xor.onnx (XOR: no plugin defines it)" in refused.stdout
    assert (folder / "xor.onnx").exists()
    pruned = gatenet("-p", "no:xor", "prune", "--dir", str(folder), "--yes")
    assert pruned.returncode == 0 and "removed 1 orphaned models" in pruned.stdout
    assert not (folder / "xor.onnx").exists() and not (folder / "xor").exists()
    assert list(json.loads((folder / "manifest.json").read_text())["models"]) == ["and.onnx"]
    assert run_cli("verify", "--dir", str(folder)).exit_code == 0


def test_the_pre_commit_hook_passes_when_up_to_date_and_fails_after_an_edit(tmp_path):
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "PATH": f"{GATENET.parent}{os.pathsep}{os.environ['PATH']}",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }

    def git(*args, cwd):
        subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)

    # gatenet's hook definition, in a repository of its own as pre-commit fetches it.
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    shutil.copy(ROOT / ".pre-commit-hooks.yaml", hooks)
    git("init", "-q", cwd=hooks)
    git("add", ".", cwd=hooks)
    git("commit", "-q", "-m", "hooks", cwd=hooks)
    rev = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=hooks, capture_output=True, text=True
    ).stdout.strip()

    assert gatenet("new-plugin", "hooked", "--dir", str(tmp_path)).returncode == 0
    plugin = tmp_path / "gatenet-hooked"
    env["GATENET_PLUGINS"] = str(plugin / "gatenet_hooked.py")
    trained = subprocess.run(
        [str(GATENET), "train", "HOOKED", "--restarts", "1"],
        cwd=plugin,
        env=env,
        capture_output=True,
        text=True,
    )
    assert trained.returncode == 0, trained.stderr
    (plugin / "remote.yaml").write_text(
        f"repos:\n  - repo: {hooks}\n    rev: {rev}\n    hooks:\n      - id: gatenet-check\n"
        "        args: [HOOKED, --restarts, '1']\n"
    )
    # The scaffold's own config checks with the default restarts: make its recipe the trained one.
    config = plugin / ".pre-commit-config.yaml"
    config.write_text(config.read_text().replace("--check HOOKED", "--check HOOKED --restarts 1"))
    git("init", "-q", cwd=plugin)
    git("add", ".", cwd=plugin)
    git("commit", "-q", "-m", "plugin and its model", cwd=plugin)

    def pre_commit(config_name):
        command = [sys.executable, "-m", "pre_commit", "run", "--all-files", "--config", config_name]
        return subprocess.run(command, cwd=plugin, env=env, capture_output=True, text=True)

    for config_name in ("remote.yaml", ".pre-commit-config.yaml"):
        passed = pre_commit(config_name)
        assert passed.returncode == 0, passed.stdout + passed.stderr
        assert "gatenet models are up to date" in passed.stdout and "Passed" in passed.stdout

    module = plugin / "gatenet_hooked.py"
    module.write_text(module.read_text().replace("a & (1 - b)", "a | b"))
    for config_name in ("remote.yaml", ".pre-commit-config.yaml"):
        failed = pre_commit(config_name)
        assert failed.returncode == 1, failed.stdout
        assert "HOOKED: stale: the HOOKED plugin's truth table changed" in failed.stdout
