"""`gatenet new-plugin`'s package as its author uses it: the first thing everyone does is change the
example gate, and the generated tests must then check the new gate, not the template's table. The
plugin guide's own example (MAJORITY5) is followed here as the guide shows it."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from folder_tools import ROOT

from gatenet.scaffold import new_plugin

GUIDE = ROOT / "docs" / "plugins.md"
FLIPPED = {"truth": "truth=lambda a, b: 1 - (a & (1 - b)),"}  # the same inputs, another table


def guide_edit() -> dict[str, str]:
    """The lines the guide's fastest start tells the author to put in the example gate, by field."""
    section = GUIDE.read_text().split("## The fastest start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert blocks, "the guide's fastest start shows no edit of the example gate"
    return {line.split("=", 1)[0]: line for line in map(str.strip, blocks[0].splitlines()) if "=" in line}


def edited_plugin(folder: Path, name: str, edit: dict[str, str]) -> Path:
    """A new plugin package whose example gate has each `field=` line replaced as `edit` says."""
    package = new_plugin(name, folder)
    module = package / f"gatenet_{name}.py"
    text = module.read_text()
    for field, line in edit.items():
        text, found = re.subn(rf"{field}=.*\n", line + "\n", text, count=1)
        assert found == 1, f"the example gate has no {field}= line to change"
    module.write_text(text)
    return package


def own_tests(package: Path, module: str) -> subprocess.CompletedProcess:
    """The package's generated tests, run as its README says (python -m pytest), with the plugin found
    through GATENET_PLUGINS instead of an installation."""
    env = {**os.environ, "GATENET_PLUGINS": module}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    return subprocess.run(command, cwd=package, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(("name", "edit"), [("flipped", FLIPPED), ("majority5", None)])
def test_a_changed_gate_passes_its_own_generated_tests(tmp_path, name, edit):
    package = edited_plugin(tmp_path, name, edit or guide_edit())
    result = own_tests(package, f"gatenet_{name}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_the_guide_s_example_makes_a_majority_of_five(tmp_path):
    package = edited_plugin(tmp_path, "majority5", guide_edit())
    spec = importlib.util.spec_from_file_location("guide_majority5", package / "gatenet_majority5.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    gates = []
    module.register_gates(gates.append)
    (gate,) = gates
    assert (gate.name, gate.inputs, gate.outputs) == ("MAJORITY5", 5, 1)
    assert gate.table[:, 0].tolist() == [int(bin(row).count("1") >= 3) for row in range(32)]
