"""Finds gate plugins through the `gatenet` entry-point group and collects the gates they register."""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field

import pluggy

from gatenet import hookspecs
from gatenet.gate import Gate, GateError

ENTRY_POINT_GROUP = "gatenet"

pm = pluggy.PluginManager("gatenet")
pm.add_hookspecs(hookspecs)
_entry_points_loaded = False


def get_plugin_manager() -> pluggy.PluginManager:
    """The plugin manager, with the installed entry-point plugins loaded on first use."""
    global _entry_points_loaded
    if not _entry_points_loaded:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        _entry_points_loaded = True
    return pm


@dataclass
class Registry:
    """The gates every plugin registered, keyed by lower-case name, and what went wrong on the way."""

    gates: dict[str, Gate] = field(default_factory=dict)
    plugin_of: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def find(self, name: str) -> Gate | None:
        return self.gates.get(name.lower())

    def default_gates(self) -> list[Gate]:
        """What `gatenet train` trains with no names: every gate that is not in an opt-in family."""
        return [gate for _, gate in sorted(self.gates.items()) if gate.family is None]

    def families(self) -> dict[str, list[Gate]]:
        """Opt-in families of gates, by lower-case family name."""
        found: dict[str, list[Gate]] = {}
        for _, gate in sorted(self.gates.items()):
            if gate.family is not None:
                found.setdefault(gate.family.lower(), []).append(gate)
        return found


def collect_gates(manager: pluggy.PluginManager | None = None) -> Registry:
    """Ask each plugin for its gates; a broken plugin or a name clash becomes a problem, not a crash."""
    manager = manager or get_plugin_manager()
    found: dict[str, list[tuple[Gate, str]]] = {}
    problems: list[str] = []
    for impl in manager.hook.register_gates.get_hookimpls():
        plugin = impl.plugin_name

        def register(gate: object, plugin: str = plugin) -> None:
            if not isinstance(gate, Gate):
                raise GateError(f"register() takes a gatenet.Gate, got {type(gate).__name__}")
            found.setdefault(gate.key, []).append((gate, plugin))

        try:
            impl.function(**{name: register for name in impl.argnames})
        except GateError as error:
            problems.append(f"plugin {plugin!r}: {error}")
        except Exception as error:
            problems.append(f"plugin {plugin!r}: register_gates failed: {_describe(error)}")

    registry = Registry(problems=problems)
    for key, entries in sorted(found.items()):
        if len(entries) > 1:
            owners = " and ".join(f"plugin {plugin!r}" for _, plugin in entries)
            registry.problems.append(
                f"gate name {entries[0][0].name!r} is registered by {owners}; "
                "it is left out until one of them is renamed or removed"
            )
            continue
        gate, plugin = entries[0]
        registry.gates[key] = gate
        registry.plugin_of[key] = plugin
    return registry


def _describe(error: Exception) -> str:
    """The exception and the innermost frame Python gives for it, on one line."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(error).__name__}: {error}{where}"
