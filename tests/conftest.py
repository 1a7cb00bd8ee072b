import pytest

from gatenet.plugins import get_plugin_manager


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
