import subprocess
import sys
from importlib.metadata import entry_points

import gatenet
from gatenet.plugins import (
    HOOKS,
    collect_gates,
    get_plugin_manager,
    new_plugin_manager,
    plugin_infos,
)

EQUALS_PLUGIN = """
import gatenet


@gatenet.hookimpl
def register_gates(register):
    register(gatenet.Gate(name="EQUALS_FILE", inputs=2, truth=lambda a, b: int(a == b)))
"""


def test_shipped_gates_come_from_entry_point_plugins(manager):
    group = {ep.name: ep.value for ep in entry_points(group="gatenet")}
    assert group["xor"] == "gatenet_plugins.xor"
    assert group["basic"] == "gatenet_plugins.basic"
    registry = collect_gates(manager)
    assert {"xor", "and", "or", "nand"} <= set(registry.gates)
    assert registry.plugin_of["xor"] == "xor"
    assert registry.plugin_of["nand"] == "basic"
    assert registry.gates["xor"].table[:, 0].tolist() == [0, 1, 1, 0]
    assert registry.problems == []


class Equals:
    @gatenet.hookimpl
    def register_gates(self, register):
        register(gatenet.Gate(name="EQUALS", inputs=2, truth=lambda a, b: int(a == b)))


def test_a_plugin_registered_in_process_adds_its_gate(register_plugin):
    register_plugin(Equals(), "equals-test")
    registry = collect_gates()
    assert registry.find("equals").table[:, 0].tolist() == [1, 0, 0, 1]
    assert registry.find("EqUaLs") is registry.find("equals")
    assert registry.plugin_of["equals"] == "equals-test"
    assert registry.find("xor") is not None
    assert ("equals-test", "in-process") in [(info.name, info.source) for info in plugin_infos()]


def test_names_match_case_insensitively_and_a_clash_names_both_plugins(manager):
    class Shadow:
        @gatenet.hookimpl
        def register_gates(self, register):
            register(gatenet.Gate(name="xor", inputs=2, truth=lambda a, b: a | b))

    manager.register(Shadow(), name="shadow")
    registry = collect_gates(manager)
    assert "xor" not in registry.gates
    assert "and" in registry.gates
    assert len(registry.problems) == 1
    assert "'XOR'" in registry.problems[0]
    assert "plugin 'xor'" in registry.problems[0] and "plugin 'shadow'" in registry.problems[0]


def test_two_gates_with_one_name_in_one_plugin_are_a_clash(manager):
    class Twice:
        @gatenet.hookimpl
        def register_gates(self, register):
            register(gatenet.Gate(name="SAME", inputs=1, truth=lambda a: a))
            register(gatenet.Gate(name="same", inputs=1, truth=lambda a: 1 - a))

    manager.register(Twice(), name="twice")
    registry = collect_gates(manager)
    assert "same" not in registry.gates
    assert registry.problems == [
        "gate name 'SAME' is registered by plugin 'twice' and plugin 'twice'; "
        "it is left out until one of them is renamed or disabled (gatenet -p no:NAME)"
    ]


def test_a_broken_plugin_is_reported_and_the_others_still_load(manager):
    class Broken:
        @gatenet.hookimpl
        def register_gates(self, register):
            register(gatenet.Gate(name="BAD", inputs=2, truth=[0, 1]))

    class Raises:
        @gatenet.hookimpl
        def register_gates(self, register):
            raise RuntimeError("no table today")

    class NotAGate:
        @gatenet.hookimpl
        def register_gates(self, register):
            register("XOR")

    manager.register(Broken(), name="broken")
    manager.register(Raises(), name="raises")
    manager.register(NotAGate(), name="not-a-gate")
    registry = collect_gates(manager)
    assert {"xor", "and", "or", "nand"} <= set(registry.gates)
    problems = "\n".join(registry.problems)
    assert "plugin 'broken': gate 'BAD': truth table has 2 rows, expected 4" in problems
    assert "plugin 'raises': register_gates failed: RuntimeError: no table today (" in problems
    assert "test_plugins.py:" in problems
    assert "plugin 'not-a-gate': register() takes a gatenet.Gate or gatenet.Family, got str" in problems


def test_the_process_has_one_manager_and_each_new_manager_shares_nothing(tmp_path):
    """`get_plugin_manager()` is the one the command line and `gatenet.train` use; a manager from
    `new_plugin_manager()` keeps its plugins, failures and clashes to itself."""
    assert get_plugin_manager() is get_plugin_manager()
    (tmp_path / "equals_file.py").write_text(EQUALS_PLUGIN)
    (tmp_path / "broken_file.py").write_text("raise RuntimeError('not today')\n")
    files = [str(tmp_path / "equals_file.py"), str(tmp_path / "broken_file.py")]
    mine = new_plugin_manager(extra=files)
    mine.load(extra=[str(tmp_path / "sub" / "equals_file.py")])  # another file with that name: a clash
    other = new_plugin_manager()
    assert mine is not other and get_plugin_manager() not in (mine, other)

    registry = collect_gates(mine)
    assert registry.plugin_of["equals_file"] == "equals_file"
    assert [problem.split(":")[0] for problem in registry.problems] == [
        "plugin 'broken_file' failed to load",
        f"plugin 'equals_file' from {tmp_path / 'sub' / 'equals_file.py'} (-p) is not loaded",
    ]
    for manager in (other, get_plugin_manager()):
        elsewhere = collect_gates(manager)
        assert "equals_file" not in elsewhere.gates and "xor" in elsewhere.gates
        assert not any("_file" in problem for problem in elsewhere.problems)
        assert not {"equals_file", "broken_file"} & {info.name for info in manager.plugin_infos()}


def test_a_plugin_disabled_before_loading_is_never_registered_and_its_circuits_are_notes():
    manager = new_plugin_manager(disabled=["xor"])
    assert not manager.has_plugin("xor") and manager.is_blocked("xor")
    info = next(info for info in manager.plugin_infos() if info.name == "xor")
    assert (info.source, info.error, info.failed) == ("disabled", "disabled on request", False)
    registry = collect_gates(manager)
    assert "xor" not in registry.gates and registry.problems == []
    assert "parity8_tree" in registry.unavailable
    assert "(left out: plugin xor)" in registry.unavailable["parity8_tree"]
    assert "xor" in collect_gates(new_plugin_manager()).gates  # the next manager is not told


PROCESS = """
import sys
from gatenet.plugins import get_plugin_manager, load_plugins

load_plugins(disabled=["xor"])
load_plugins(extra=["json"])
manager = get_plugin_manager()
print("gatenet_plugins.xor" in sys.modules, manager.has_plugin("xor"), manager.has_plugin("json"))
"""


def test_load_plugins_configures_the_process_manager_before_it_loads():
    """What `gatenet -p no:NAME` and a notebook's `load_plugins(...)` rely on: the first call's
    `disabled` keeps an installed plugin from even being imported; the next call adds to the same
    manager that `get_plugin_manager()` then gives. In a fresh process, as its manager is its own."""
    result = subprocess.run([sys.executable, "-c", PROCESS], capture_output=True, text=True, timeout=120)
    assert (result.stdout, result.returncode) == ("False False True\n", 0), result.stderr


def test_families_are_owned_in_a_namespace_of_their_own(manager):
    class Lookalike:
        @gatenet.hookimpl
        def register_gates(self, register):
            register(gatenet.Gate(name="BOOLEAN2", inputs=1, truth=lambda a: a))  # named like a family

    manager.register(Lookalike(), name="lookalike")
    registry = collect_gates(manager)
    assert registry.plugin_of_family == {f"boolean{n}": "families" for n in range(1, 5)}
    assert registry.plugin_of["boolean2"] == "lookalike" and registry.problems == []
    assert registry.find("BOOLEAN2_03").family == "boolean2"


def test_the_hooks_are_read_from_the_hookspecs():
    assert HOOKS == ("register_circuits", "register_gates")
