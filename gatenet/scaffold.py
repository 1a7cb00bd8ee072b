"""`gatenet new-plugin`: a complete, installable plugin package that works as generated."""

from __future__ import annotations

import re
from pathlib import Path

PYPROJECT = """\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "gatenet-{name}"
version = "0.1.0"
description = "The {gate} gate for gatenet"
requires-python = ">=3.11"
# Install gatenet itself from its repository first: the name "gatenet" on PyPI is another project,
# so it is deliberately not listed as a dependency here.
dependencies = []

[project.entry-points.gatenet]
{name} = "gatenet_{name}"

[tool.setuptools]
py-modules = ["gatenet_{name}"]
"""

MODULE = '''\
"""gatenet plugin: the {gate} gate."""

import gatenet


@gatenet.hookimpl
def register_gates(register):
    register(
        gatenet.Gate(
            name="{gate}",
            inputs=["a", "b"],
            truth=lambda a, b: a & (1 - b),  # 1 only for a=1, b=0; change it to your own gate
            description="a and not b",
            network={{"steps": 1000}},  # training hints; the user can still override them
        )
    )
'''

TEST = '''\
"""Tests for gatenet-{name}: run them with pytest after `pip install -e .`."""

from gatenet import runtime
from gatenet.pipeline import train_gates
from gatenet.plugins import collect_gates


def test_the_gate_is_found_through_the_entry_point():
    registry = collect_gates()
    assert registry.find("{gate}") is not None, registry.problems
    assert registry.plugin_of["{key}"] == "{name}"


def test_the_truth_table():
    assert collect_gates().find("{gate}").table[:, 0].tolist() == [0, 0, 1, 0]


def test_the_gate_trains_exports_and_verifies(tmp_path):
    (result,) = train_gates([collect_gates().find("{gate}")], tmp_path)
    assert result.verified, result.problem
    model = runtime.load(tmp_path / "{key}.onnx")
    assert model.verify().verified
    assert model.predict([[1, 0], [1, 1]]).tolist() == [[1], [0]]
'''

README = """\
# gatenet-{name}

A gatenet plugin that adds the `{gate}` gate.

    pip install -e .           # with gatenet (and its train extra) already installed
    gatenet list               # {gate} is listed, from plugin {name}
    gatenet train {gate}       # trains, exports and verifies exported/{key}.onnx
    pytest                     # the plugin's own tests

Commit `exported/` with the plugin. `gatenet train` then retrains only what changed, and
`gatenet train --check {gate}` says whether the committed model is still what the plugin makes:

    pip install pre-commit && pre-commit install   # check before every commit
    (.github/workflows/gatenet.yml runs the same check in CI)
"""

# gatenet's own hook (in gatenet's .pre-commit-hooks.yaml) runs the same command; this local form
# needs no URL for gatenet, and runs the gatenet installed beside the plugin.
PRE_COMMIT = """\
# pre-commit install: then every commit checks that exported/ is what `gatenet train` would make.
repos:
  - repo: local
    hooks:
      - id: gatenet-check
        name: gatenet models are up to date
        entry: gatenet train --check {gate}
        language: system
        pass_filenames: false
        always_run: true
"""

WORKFLOW = """\
# Fails when exported/ is not what `gatenet train` makes from this plugin: retrain and commit.
name: gatenet
on: [push, pull_request]
jobs:
  models-up-to-date:
    runs-on: ubuntu-latest
    env:
      # Where you install gatenet from: its repository, not PyPI (the name there is another project).
      GATENET: git+https://github.com/YOUR-ORG/gatenet
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: pip install "$GATENET" -e .     # the base install is enough: no TensorFlow
      - run: gatenet train --check {gate}
"""

NAME = re.compile(r"[a-z][a-z0-9_]*")


def new_plugin(name: str, directory: Path) -> Path:
    """Write `gatenet-NAME/` inside `directory`; refuses to overwrite anything."""
    if not NAME.fullmatch(name):
        raise ValueError(
            f"plugin name {name!r}: use lower-case letters, digits and underscores, starting with a letter"
        )
    root = Path(directory) / f"gatenet-{name}"
    if root.exists():
        raise ValueError(f"{root} already exists; pick another name or folder")
    values = {"name": name, "gate": name.upper(), "key": name}
    files = {
        "pyproject.toml": PYPROJECT,
        f"gatenet_{name}.py": MODULE,
        f"tests/test_gatenet_{name}.py": TEST,
        "README.md": README,
        ".pre-commit-config.yaml": PRE_COMMIT,
        ".github/workflows/gatenet.yml": WORKFLOW,
    }
    for relative, template in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**values))
    return root
