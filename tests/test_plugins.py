from importlib.metadata import entry_points

import gatenet
from gatenet.plugins import collect_gates, get_plugin_manager


def test_shipped_gates_come_from_entry_point_plugins():
    group = {ep.name: ep.value for ep in entry_points(group="gatenet")}
    assert group["xor"] == "gatenet_plugins.xor"
    assert group["basic"] == "gatenet_plugins.basic"
    registry = collect_gates()
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


def test_names_match_case_insensitively_and_a_clash_names_both_plugins(register_plugin):
    class Shadow:
        @gatenet.hookimpl
        def register_gates(self, register):
            register(gatenet.Gate(name="xor", inputs=2, truth=lambda a, b: a | b))

    register_plugin(Shadow(), "shadow")
    registry = collect_gates()
    assert "xor" not in registry.gates
    assert "and" in registry.gates
    assert len(registry.problems) == 1
    assert "'XOR'" in registry.problems[0]
    assert "plugin 'xor'" in registry.problems[0] and "plugin 'shadow'" in registry.problems[0]


def test_two_gates_with_one_name_in_one_plugin_are_a_clash(register_plugin):
    class Twice:
        @gatenet.hookimpl
        def register_gates(self, register):
            register(gatenet.Gate(name="SAME", inputs=1, truth=lambda a: a))
            register(gatenet.Gate(name="same", inputs=1, truth=lambda a: 1 - a))

    register_plugin(Twice(), "twice")
    registry = collect_gates()
    assert "same" not in registry.gates
    assert registry.problems == [
        "gate name 'SAME' is registered by plugin 'twice' and plugin 'twice'; "
        "it is left out until one of them is renamed or disabled (gatenet -p no:NAME)"
    ]


def test_a_broken_plugin_is_reported_and_the_others_still_load(register_plugin):
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

    register_plugin(Broken(), "broken")
    register_plugin(Raises(), "raises")
    register_plugin(NotAGate(), "not-a-gate")
    registry = collect_gates()
    assert {"xor", "and", "or", "nand"} <= set(registry.gates)
    problems = "\n".join(registry.problems)
    assert "plugin 'broken': gate 'BAD': truth table has 2 rows, expected 4" in problems
    assert "plugin 'raises': register_gates failed: RuntimeError: no table today (" in problems
    assert "test_plugins.py:" in problems
    assert "plugin 'not-a-gate': register() takes a gatenet.Gate or gatenet.Family, got str" in problems


def test_the_plugin_manager_is_shared():
    assert get_plugin_manager() is get_plugin_manager()
