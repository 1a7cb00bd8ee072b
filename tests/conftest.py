import tempfile

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from gatenet.plugins import get_plugin_manager

# Tests write only under temporary folders: hypothesis' example database and caches included.
set_hypothesis_home_dir(tempfile.mkdtemp(prefix="gatenet-hypothesis-"))


@pytest.fixture
def register_plugin():
    """Register plugin objects in-process for one test, the way a test of a plugin would."""
    manager = get_plugin_manager()
    names = []

    def register(plugin: object, name: str) -> None:
        manager.register(plugin, name=name)
        names.append(name)

    yield register
    for name in names:
        manager.unregister(name=name)
