"""A plugin can neither take the other plugins or the command down, nor vanish without a word.

Plugins are written to tmp_path and loaded in-process, each test's into a plugin manager of its own.
"""

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

import gatenet
from gatenet import Gate, GateError
from gatenet.gate import truth_timeout
from gatenet.plugins import PluginManager, collect_gates
from gatenet.registry import Registry

HOOK = "import gatenet\n\n\n@gatenet.hookimpl\ndef register_gates(register):\n"


def plugin_file(folder: Path, name: str, body: str) -> Path:
    """A plugin file; `body` is the hook's body, indented by four, so its first line is line 6."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(HOOK + "".join(f"    {line}\n" for line in body.splitlines()))
    return path


def gate_line(name: str, truth: str = "lambda a, b: a & b") -> str:
    return f"register(gatenet.Gate(name={name!r}, inputs=2, truth={truth}))"


@pytest.fixture
def load(manager):
    """`load(*specs)` loads plugins as `gatenet -p` does, into the test's own manager, and returns it."""

    def load(*specs: object) -> PluginManager:
        manager.load(extra=[str(spec) for spec in specs])
        return manager

    return load


def problems_about(registry: Registry, plugin: str) -> list[str]:
    return [problem for problem in registry.problems if f"plugin {plugin!r}" in problem]


def test_sys_exit_on_import_or_in_the_hook_is_one_problem_and_the_other_plugins_still_load(tmp_path, load):
    on_import = tmp_path / "exits_on_import.py"
    on_import.write_text("import sys\nsys.exit(3)\n")
    in_hook = plugin_file(tmp_path, "exits_in_hook", f"{gate_line('BEFORE_EXIT')}\nimport sys\nsys.exit()")
    quietly = plugin_file(tmp_path, "exits_quietly", "raise SystemExit")
    manager = load(on_import, in_hook, quietly, plugin_file(tmp_path, "fine", gate_line("FINE")))
    registry = collect_gates(manager)
    assert problems_about(registry, "exits_on_import") == [
        f"plugin 'exits_on_import' failed to load: SystemExit: 3 ({on_import}:2)"
    ]
    assert problems_about(registry, "exits_in_hook") == [
        f"plugin 'exits_in_hook': register_gates failed: SystemExit ({in_hook}:8)"
    ]
    assert problems_about(registry, "exits_quietly") == [
        f"plugin 'exits_quietly': register_gates failed: SystemExit ({quietly}:6)"
    ]
    assert {"fine", "before_exit", "xor", "and"} <= set(registry.gates)


class CtrlC:
    @gatenet.hookimpl
    def register_gates(self, register):
        raise KeyboardInterrupt


class CtrlCInTruth:
    @gatenet.hookimpl
    def register_gates(self, register):
        register(gatenet.Gate(name="STOPPED", inputs=1, truth=self.truth))

    @staticmethod
    def truth(a):
        raise KeyboardInterrupt


@pytest.mark.parametrize("plugin", [CtrlC(), CtrlCInTruth()])
def test_ctrl_c_in_a_hook_or_its_truth_function_stops_and_names_the_plugin(manager, plugin):
    manager.register(plugin, name="ctrl-c")
    with pytest.raises(KeyboardInterrupt, match="plugin 'ctrl-c' was registering gates"):
        collect_gates(manager)
    with pytest.raises(GateError):  # gates made after the interrupted hook raise again
        Gate(name="bad-name", inputs=1, truth=[0, 1])


def test_ctrl_c_while_a_plugin_imports_stops_and_names_the_plugin(tmp_path, load):
    (tmp_path / "slow_import.py").write_text("raise KeyboardInterrupt\n")
    with pytest.raises(KeyboardInterrupt, match="plugin 'slow_import' was loading"):
        load(tmp_path / "slow_import.py")


def test_every_gate_of_a_plugin_is_judged_on_its_own_and_every_problem_is_reported(tmp_path, load):
    path = plugin_file(
        tmp_path,
        "mixed",
        "\n".join(
            [
                gate_line("SHORT", "[0, 1]"),  # line 6
                gate_line("FIRST_GOOD"),
                gate_line("bad-name"),
                'register("XOR")',
                "unused = gatenet.Gate(name='UNUSED', inputs=0, truth=[])",  # line 10
                gate_line("SECOND_GOOD"),
                "raise RuntimeError('after two good gates')",
                gate_line("NEVER_REACHED"),
            ]
        ),
    )
    registry = collect_gates(load(path))
    assert problems_about(registry, "mixed") == [
        f"plugin 'mixed': gate 'SHORT': truth table has 2 rows, expected 4 (2^2, one per input combination) "
        f"({path}:6)",
        f"plugin 'mixed': gate 'bad-name': name must be letters, digits and underscores, starting with a "
        f"letter ({path}:8)",
        f"plugin 'mixed': register() takes a gatenet.Gate or gatenet.Family, got str ({path}:9)",
        f"plugin 'mixed': gate 'UNUSED': inputs must be at least 1, got 0 ({path}:10)",
        f"plugin 'mixed': register_gates failed: RuntimeError: after two good gates ({path}:12)",
    ]
    assert {"first_good", "second_good"} <= set(registry.gates) and "never_reached" not in registry.gates
    with pytest.raises(GateError, match="gate 'SHORT': truth table has 2 rows"):  # outside a hook, at once
        Gate(name="SHORT", inputs=2, truth=[0, 1])


def test_two_files_with_one_stem_are_a_clash_naming_both_and_the_first_keeps_its_gates(tmp_path, load):
    first = plugin_file(tmp_path / "a", "good", gate_line("FROM_A"))
    second = plugin_file(tmp_path / "b", "good", gate_line("FROM_B"))
    registry = collect_gates(load(first, second))
    assert problems_about(registry, "good") == [
        f"plugin 'good' from {second} (-p) is not loaded: plugin 'good' from {first} (-p) has that name; "
        "rename one of them"
    ]
    assert registry.plugin_of["from_a"] == "good" and "from_b" not in registry.gates


def test_a_file_named_like_a_loaded_plugin_is_a_clash_naming_both(tmp_path, load):
    path = plugin_file(tmp_path, "xor", gate_line("MY_XOR"))
    assert problems_about(collect_gates(load(path)), "xor") == [
        f"plugin 'xor' from {path} (-p) is not loaded: plugin 'xor' from gatenet-logic 0.1.0 (builtin) "
        "has that name; rename one of them"
    ]


def test_the_same_file_or_module_given_twice_loads_once_without_a_word(tmp_path, load, monkeypatch):
    log = tmp_path / "imports.log"
    for name in ("twice_file", "twice_module_for_isolation"):
        path = plugin_file(tmp_path, name, gate_line(name.upper()))
        path.write_text(f"with open({str(log)!r}, 'a') as log: log.write('{name}\\n')\n" + path.read_text())
    monkeypatch.chdir(tmp_path)
    try:
        load(tmp_path / "twice_file.py", "twice_module_for_isolation")
        manager = load(tmp_path / "sub" / ".." / "twice_file.py", "twice_module_for_isolation")
    finally:
        sys.modules.pop("twice_module_for_isolation", None)
    registry = collect_gates(manager)
    assert registry.problems == []
    assert {"twice_file", "twice_module_for_isolation"} <= set(registry.gates)
    assert sorted(log.read_text().split()) == ["twice_file", "twice_module_for_isolation"]


def test_a_truth_function_that_never_returns_is_refused_in_time_and_the_next_gate_loads(
    tmp_path, load, monkeypatch
):
    monkeypatch.setenv("GATENET_TRUTH_TIMEOUT", "0.3")
    path = plugin_file(
        tmp_path,
        "forever",
        "def spin(a, b):\n    while True:\n        try:\n            pass\n        except Exception:\n"
        f"            pass\n{gate_line('FOREVER', 'spin')}\n{gate_line('AFTER_FOREVER')}",
    )
    manager = load(path)
    started = time.monotonic()
    registry = collect_gates(manager)
    assert time.monotonic() - started < 3
    assert problems_about(registry, "forever") == [
        "plugin 'forever': gate 'FOREVER': truth function gave 0 of 4 rows in 0.3 s, the limit "
        f"(set GATENET_TRUTH_TIMEOUT to change it) ({path}:12)"
    ]
    assert "after_forever" in registry.gates


def test_the_time_limit_is_5_seconds_unless_set_and_a_bad_setting_is_a_clear_error(monkeypatch, manager):
    monkeypatch.delenv("GATENET_TRUTH_TIMEOUT", raising=False)
    assert truth_timeout() == 5
    monkeypatch.setenv("GATENET_TRUTH_TIMEOUT", "0.25")
    assert truth_timeout() == 0.25
    for bad in ("soon", "0", "-1", "inf", "nan"):
        monkeypatch.setenv("GATENET_TRUTH_TIMEOUT", bad)
        message = f"GATENET_TRUTH_TIMEOUT must be a positive number of seconds, got {bad!r}"
        with pytest.raises(ValueError, match=message):
            Gate(name="XOR", inputs=2, truth=lambda a, b: a ^ b)
    registry = collect_gates(manager)
    assert registry.problems == [f"{message}; using 5 s"]
    assert "xor" in registry.gates


def test_the_alarm_gives_back_the_previous_handler_and_timer(monkeypatch):
    monkeypatch.setenv("GATENET_TRUTH_TIMEOUT", "0.2")
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.6)
        Gate(name="XOR", inputs=2, truth=lambda a, b: a ^ b)
        with pytest.raises(GateError, match="gate 'SPIN': truth function gave 0 of 2 rows in 0.2 s"):
            Gate(name="SPIN", inputs=1, truth=lambda a: a if time.sleep(9) else a, description="x")
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] < 0.45 and not fired
        time.sleep(0.5)
        assert fired == [signal.SIGALRM]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_off_the_main_thread_the_limit_is_checked_between_rows(monkeypatch):
    monkeypatch.setenv("GATENET_TRUTH_TIMEOUT", "0.1")
    errors = []

    def build() -> None:
        try:
            Gate(name="SLOW", inputs=3, truth=lambda a, b, c: time.sleep(0.04) or a)
        except GateError as error:
            errors.append(str(error))

    thread = threading.Thread(target=build)
    thread.start()
    thread.join()
    assert len(errors) == 1 and errors[0].startswith("gate 'SLOW': truth function gave ")
    assert " of 8 rows in 0.1 s, the limit" in errors[0]


def test_a_truth_function_that_exits_is_refused_like_any_other():
    with pytest.raises(
        GateError, match=r"gate 'EXITS': truth function raised SystemExit: 2 on inputs \(0,\)"
    ):
        Gate(name="EXITS", inputs=1, truth=lambda a: sys.exit(2))


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({"inputs": 200_000_000}, "gate 'BIG': has 200000000 inputs, at most 16 are supported"),
        ({"inputs": range(200_000_000)}, "gate 'BIG': has more than 16 inputs, at most 16 are supported"),
        ({"outputs": 200_000_000}, "gate 'BIG': has 200000000 outputs, at most 256 are supported"),
        ({"outputs": range(10**30)}, "gate 'BIG': has more than 256 outputs"),
        ({"truth": range(10**30)}, "gate 'BIG': truth table has more than 2 rows, expected 2"),
    ],
    ids=["inputs", "input names", "outputs", "output names", "table rows"],
)
def test_size_limits_are_checked_before_any_work_that_grows_with_them(definition, message):
    started = time.monotonic()
    with pytest.raises(GateError) as error:
        Gate(**{"name": "BIG", "inputs": 1, "truth": lambda *bits: 0, **definition})
    assert time.monotonic() - started < 1
    assert str(error.value).startswith(message)


def test_a_network_hint_that_could_never_train_is_the_gates_problem_naming_gate_and_plugin(tmp_path, load):
    path = plugin_file(
        tmp_path,
        "hints3",
        "register(gatenet.Gate(name='EMPTY_ACT', inputs=2, truth=lambda a, b: a & b, "
        "network={'activation': ''}))\n" + gate_line("NEXT_TO_IT"),
    )
    registry = collect_gates(load(path))
    (problem,) = problems_about(registry, "hints3")
    assert problem.startswith(
        "plugin 'hints3': gate 'EMPTY_ACT': network hints {'activation': ''} are not usable (activation: "
        "expected a name like 'relu'"
    )
    assert problem.endswith(f"({path}:6)")
    assert "empty_act" not in registry.gates and {"next_to_it", "xor"} <= set(registry.gates)


def test_a_plugin_that_behaves_differently_in_the_watchdogs_copy_still_registers_each_gate_once(
    tmp_path, load
):
    """Truth functions run first in a forked copy of the process; a hook that makes other gates there
    (here: named after the process id) must neither cost a time limit nor lose or change a gate."""
    path = plugin_file(
        tmp_path,
        "by_pid",
        "import os\nfor n in range(3):\n"
        "    register(gatenet.Gate(name=f'PID{os.getpid()}_{n}', inputs=1, truth=lambda a: 1 - a))",
    )
    manager = load(path)
    started = time.monotonic()
    registry = collect_gates(manager)
    assert time.monotonic() - started < 2
    assert problems_about(registry, "by_pid") == []
    mine = sorted(key for key, plugin in registry.plugin_of.items() if plugin == "by_pid")
    assert mine == [f"pid{os.getpid()}_{n}" for n in range(3)]
    assert all(registry.gates[key].table[:, 0].tolist() == [1, 0] for key in mine)
