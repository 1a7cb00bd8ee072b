import tempfile

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from gatenet.plugins import get_plugin_manager, new_plugin_manager

# Tests write only under temporary folders: hypothesis' example database and caches included.
set_hypothesis_home_dir(tempfile.mkdtemp(prefix="gatenet-hypothesis-"))


@pytest.fixture
def manager():
    """A plugin manager of the test's own with the default plugins loaded: what the test loads or
    registers into it reaches no other test, and needs no undoing."""
    return new_plugin_manager()


@pytest.fixture
def register_plugin():
    """Register plugin objects in-process for one test into this process's manager, the one
    `collect_gates()` and `gatenet.train` use when given none; they are unregistered afterwards."""
    manager = get_plugin_manager()
    names = []

    def register(plugin: object, name: str) -> None:
        manager.register(plugin, name=name)
        names.append(name)

    yield register
    for name in names:
        manager.unregister(name=name)


@pytest.fixture(scope="module")
def server(folder):
    """`gatenet serve`'s server for the test module's `folder` fixture; yields its URL."""
    from web_tools import gallery_server

    with gallery_server(folder) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module (the browser tests)."""
    from web_tools import chromium

    with chromium() as browser:
        yield browser


ADD12_PLUGIN = """
import gatenet
from gatenet_plugins.circuits import ripple_adder


@gatenet.hookimpl
def register_circuits(register):
    register(ripple_adder("ADD12", 12, "FULL_ADDER", 1))
"""


@pytest.fixture(scope="session")
def add12_folder(tmp_path_factory):
    """A folder with FULL_ADDER and ADD12 built from it: 25 inputs, too many rows to tabulate, so it is
    verified on a sample and stores no truth table. Returns (folder, its plugin file, the Built)."""
    from folder_tools import copy_models
    from gatenet_plugins.circuits import ripple_adder

    import gatenet

    root = tmp_path_factory.mktemp("add12")
    folder = copy_models(root / "models", ["FULL_ADDER"])
    (root / "add12.py").write_text(ADD12_PLUGIN)
    (built,) = gatenet.build_circuits(ripple_adder("ADD12", 12, "FULL_ADDER", 1), directory=folder)
    return folder, root / "add12.py", built
