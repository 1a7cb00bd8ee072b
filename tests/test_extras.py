"""The optional extras: declared once, matching pyproject.toml, and failing with one line that says how to
install what is missing."""

import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from gatenet import extras
from gatenet.plugins import BUILTIN_DISTRIBUTION

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def requirement_names(requirements: list[str]) -> set[str]:
    """The distribution names of requirement strings, normalized as import names are spelled."""
    return {re.match(r"[A-Za-z0-9_.-]+", text)[0].lower().replace("-", "_") for text in requirements}


def test_the_distribution_name_is_the_one_pyproject_builds_and_the_one_plugins_call_builtin():
    assert PYPROJECT["project"]["name"] == extras.DISTRIBUTION == BUILTIN_DISTRIBUTION == "gatenet-logic"
    installed = importlib.metadata.distribution(extras.DISTRIBUTION)
    names = {entry.name for entry in installed.entry_points if entry.group == "gatenet"}
    assert {"xor", "basic", "circuits"} <= names
    assert {entry.name for entry in installed.entry_points if entry.group == "console_scripts"} == {"gatenet"}


def test_every_extra_of_pyproject_is_declared_once_with_modules_it_installs():
    declared = PYPROJECT["project"]["optional-dependencies"]
    assert set(extras.EXTRAS) == set(declared) - {"dev"}
    for name, extra in extras.EXTRAS.items():
        assert extra.name == name
        assert set(extra.modules) <= requirement_names(declared[name]), name
        # the test install has them all, so nothing is reported missing
        assert extra.missing() is None, name


def test_a_hint_names_the_extra_the_missing_module_and_the_command():
    assert extras.install_command("serve") == "pip install 'gatenet-logic[serve]'"
    assert extras.hint("train", "tf2onnx") == (
        "training needs the 'train' extra (tf2onnx is missing): pip install 'gatenet-logic[train]'"
    )
    assert extras.hint("c", "onnx", "building circuits") == (
        "building circuits needs the 'c' extra (onnx is missing): pip install 'gatenet-logic[c]'"
    )
    with pytest.raises(KeyError, match="no extra 'gpu' \\(extras: train, plot, ray, c, serve\\)"):
        extras.hint("gpu", "cuda")


def test_a_module_blocked_in_sys_modules_is_missing_and_require_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if not installed
    assert extras.missing("serve") == "uvicorn"
    with pytest.raises(ImportError) as raised:
        extras.require("serve")
    assert isinstance(raised.value, extras.MissingExtra)
    assert raised.value.name == "uvicorn" and raised.value.extra == "serve"
    assert str(raised.value) == (
        "gatenet serve needs the 'serve' extra (uvicorn is missing): pip install 'gatenet-logic[serve]'"
    )


def test_an_import_error_becomes_the_extras_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ImportError) as failed:
        import ray  # noqa: F401
    error = extras.error("ray", failed.value)
    assert str(error) == "--ray needs the 'ray' extra (ray is missing): pip install 'gatenet-logic[ray]'"
    assert "\n" not in str(error)


def test_a_lazy_module_imports_on_first_use(tmp_path, monkeypatch):
    (tmp_path / "gatenet_lazy_probe.py").write_text("VALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "gatenet_lazy_probe", raising=False)
    lazy = extras.LazyModule("gatenet_lazy_probe", "plot")
    assert lazy.available
    assert "gatenet_lazy_probe" not in sys.modules
    assert lazy.VALUE == 42
    assert "gatenet_lazy_probe" in sys.modules
    assert lazy.load() is sys.modules["gatenet_lazy_probe"]


def test_a_lazy_module_that_is_not_installed_fails_on_use_with_the_hint(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))  # nothing there
    lazy = extras.LazyModule("gatenet_not_installed_probe", "plot", "drawing a schematic")
    assert not lazy.available
    with pytest.raises(extras.MissingExtra, match=r"^drawing a schematic needs the 'plot' extra "):
        lazy.load()
    with pytest.raises(ImportError, match="gatenet_not_installed_probe is missing"):
        getattr(lazy, "anything")  # noqa: B009  (attribute access is what imports)


def test_no_install_hint_names_the_wrong_distribution():
    """The distribution is gatenet-logic: `pip install 'gatenet[...]'` installs someone else's package."""
    package = Path(__file__).resolve().parents[1] / "gatenet"
    by_hand = [
        f"{path.relative_to(package)}:{number}"
        for path in package.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "pip install 'gatenet[" in line or "gatenet[" in line and "pip install" in line
    ]
    assert by_hand == []


def test_train_without_the_train_extra_is_one_error_line_and_no_table(tmp_path):
    """As on the base install: the error prints alone, with no table heading before it."""
    code = "import sys; sys.modules['tensorflow'] = None; from gatenet.cli import cli; cli(sys.argv[1:])"
    args = ["train", "XOR", "--out", str(tmp_path / "models")]
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: training needs the 'train' extra"), result.stderr
