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

[project.optional-dependencies]
test = ["pytest"]  # pip install -e '.[test]': the tests run with `python -m pytest` beside gatenet

[tool.setuptools]
py-modules = ["gatenet_{name}"]

[tool.pytest.ini_options]
pythonpath = ["."]  # the tests import gatenet_{name} from here, installed or not
testpaths = ["tests"]
"""

MODULE = '''\
"""gatenet plugin: the {gate} gate."""

import gatenet


@gatenet.hookimpl
def register_gates(register):
    # An example to replace: as `gatenet new-plugin` wrote it, {gate} computes "a and not b". Change the
    # inputs, the truth function and the description into your gate; the tests in tests/ take their
    # expectations from the gate, so they check whatever you define here.
    register(
        gatenet.Gate(
            name="{gate}",
            inputs=["a", "b"],
            truth=lambda a, b: a & (1 - b),  # 1 only for a=1, b=0
            description="example: a and not b (replace it with your gate)",
            network={{"steps": 1000}},  # training hints; the user can still override them
        )
    )
'''

TEST = '''\
"""Tests for gatenet-{name}. Every expectation comes from the gates the plugin registers (their truth
tables and their numbers of inputs and outputs), so the tests keep passing when you change a gate.

Run them with `python -m pytest` in this folder, after `pip install -e '.[test]'` into the environment
that has gatenet (a pytest installed elsewhere cannot import gatenet).
"""

import gatenet
import gatenet_{name}
import pytest


def registered_gates() -> list:
    """The gates the plugin's hook registers, called directly: a plain function."""
    gates = []
    gatenet_{name}.register_gates(gates.append)
    return gates


GATES = registered_gates()
by_name = pytest.mark.parametrize("gate", GATES, ids=lambda gate: gate.name)


def test_the_plugin_registers_a_gate():
    assert GATES, "register_gates registered nothing"


@by_name
def test_gatenet_finds_the_gate(gate):
    """Through the plugin's entry point once it is installed (pip install -e .)."""
    assert [found.name for found in gatenet.gates(gate.name)] == [gate.name]


@by_name
def test_the_gate_trains_exports_and_verifies(gate, tmp_path):
    result = gatenet.train(gate, out=tmp_path)
    assert result.verified, result.problem
    model = gatenet.load(tmp_path / f"{{gate.name.lower()}}.onnx")
    assert model.verify().verified
    assert (model.inputs, model.outputs) == (gate.inputs, gate.outputs)
    assert model.predict(gate.rows).tolist() == gate.table.tolist()
'''

README = """\
# gatenet-{name}

A gatenet plugin that adds the `{gate}` gate. As `gatenet new-plugin` wrote it, `{gate}` is an
example that computes "a and not b": define your gate in `gatenet_{name}.py` first.

    pip install -e '.[test]'   # into the environment that has gatenet (and its train extra)
    gatenet list               # {gate} is listed, from plugin {name}
    gatenet train {gate}       # trains, exports and verifies exported/{key}.onnx
    python -m pytest           # the plugin's own tests: their expectations come from its gates

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
