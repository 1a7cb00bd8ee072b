"""The gates, families and circuits the plugins registered, and the rules that give each name one meaning.

No plugin wins a clash: a name two plugins give (or one plugin twice) is left out and reported, so the
user disables or renames one of them rather than getting whichever loaded last. Gates, circuits and
family members share one namespace, as a circuit's parts name any of them; families have their own.
The loader (`gatenet.plugins.collect_gates`) asks the plugins and hands what they gave to `add_gates`
and `add_circuits`; nothing here calls plugin hooks.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from gatenet.circuit import Circuit, CircuitError
from gatenet.errors import describe
from gatenet.family import Chain, Family, GateList
from gatenet.gate import Gate

Named = TypeVar("Named", Gate, Family)


@dataclass
class Registry:
    """The gates every plugin registered, keyed by lower-case name, and what went wrong on the way."""

    gates: dict[str, Gate] = field(default_factory=dict)
    plugin_of: dict[str, str] = field(default_factory=dict)  # gate or circuit key -> the plugin that gave it
    problems: list[str] = field(default_factory=list)
    circuits: dict[str, Circuit] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # not errors: e.g. circuits a disabled plugin's gates
    unavailable: dict[str, str] = field(default_factory=dict)  # circuit key -> why, for those notes
    made_families: dict[str, Family] = field(default_factory=dict)  # members made on demand, by key
    plugin_of_family: dict[str, str] = field(default_factory=dict)  # made_families key -> its plugin

    def find(self, name: str) -> Gate | None:
        """A registered gate or a member of a family, by name in any letter case."""
        return self.gates.get(name.lower()) or _Members(self.made_families).get(name.lower())

    def definitions(self) -> Mapping[str, Gate | Circuit]:
        """What a model in a folder may have been made from, by lower-case name: gates, circuits, and
        family members, which are looked up, not listed."""
        return ChainMap(self.gates, self.circuits, _Members(self.made_families))

    def find_circuit(self, name: str) -> Circuit | None:
        return self.circuits.get(name.lower())

    def default_gates(self) -> list[Gate]:
        """What `gatenet train` trains with no names: every gate that is not in an opt-in family."""
        return [gate for _, gate in sorted(self.gates.items()) if gate.family is None]

    def families(self) -> dict[str, Family]:
        """Opt-in families of gates, by lower-case family name: those made on demand, and those whose
        members a plugin registered one by one with `Gate(family=...)`."""
        found: dict[str, list[Gate]] = {}
        for _, gate in sorted(self.gates.items()):
            if gate.family is not None:
                found.setdefault(gate.family.lower(), []).append(gate)
        listed = {key: GateList(key, members) for key, members in found.items()}
        return dict(sorted({**listed, **self.made_families}.items()))

    def select(self, names: Sequence[str] = (), families: Sequence[str] = ()) -> Chain:
        """The named gates and families' members, once each; the default gates when nothing is named.

        Family members are made as they are read, so a family of 65,536 costs nothing until it is
        trained. An unknown name is a ValueError that lists what is known.
        """
        known_families = self.families()
        unknown = [family for family in families if family.lower() not in known_families]
        if unknown:
            listed = ", ".join(known_families) or "none"
            raise ValueError(f"unknown family {', '.join(map(repr, unknown))}; families: {listed}")
        chosen = [known_families[key] for key in dict.fromkeys(family.lower() for family in families)]
        unknown = [name for name in names if self.find(name) is None]
        if unknown:
            known = ", ".join(gate.name for gate in self.default_gates())
            hint = f"; families: {', '.join(known_families)}" if known_families else ""
            hint += (
                f"; circuits: {', '.join(c.name for c in self.circuits.values())}" if self.circuits else ""
            )
            raise ValueError(f"unknown gate {', '.join(map(repr, unknown))}; known gates: {known}{hint}")
        selected = [] if names or families else self.default_gates()
        selected += [self.find(name) for name in names if not any(family.find(name) for family in chosen)]
        return Chain([list({gate.key: gate for gate in selected}.values()), *chosen])


class _Members(Mapping[str, Gate]):
    """Family members by lower-case name, made when looked up; iterating lists none of them."""

    def __init__(self, families: Mapping[str, Family]) -> None:
        self.families = families

    def __getitem__(self, key: str) -> Gate:
        for family in self.families.values():
            found = family.find(key)
            if found is not None:
                return found
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def add_gates(registry: Registry, registered: Iterable[tuple[Gate | Family, str]]) -> list[str]:
    """Keep each gate and family name that one plugin registered, as (gate or family, plugin), and
    leave out a gate whose name a family member has; return the gate names left out by a clash."""
    gates: dict[str, list[tuple[Gate, str]]] = {}
    families: dict[str, list[tuple[Family, str]]] = {}
    for item, plugin in registered:
        if isinstance(item, Family):
            families.setdefault(item.key, []).append((item, plugin))
        else:
            gates.setdefault(item.key, []).append((item, plugin))
    kept = _unique(registry, gates, "gate")
    for key, (gate, plugin) in kept.items():
        registry.gates[key] = gate
        registry.plugin_of[key] = plugin
    for key, (family, plugin) in _unique(registry, families, "family").items():
        registry.made_families[key] = family
        registry.plugin_of_family[key] = plugin
        for gate_key in [gate_key for gate_key in registry.gates if family.number_of(gate_key) is not None]:
            registry.problems.append(
                f"gate name {registry.gates[gate_key].name!r} of plugin {registry.plugin_of[gate_key]!r} "
                f"is a member of family {family.name!r} of plugin {plugin!r}; the gate is left out until "
                "it is renamed"
            )
            del registry.gates[gate_key], registry.plugin_of[gate_key]
    return [entries[0][0].name for key, entries in sorted(gates.items()) if key not in kept]


def _unique(
    registry: Registry, found: dict[str, list[tuple[Named, str]]], kind: Literal["gate", "family"]
) -> dict[str, tuple[Named, str]]:
    """(item, plugin) for each name registered once; a name two plugins gave is reported and left out."""
    kept = {}
    for key, entries in sorted(found.items()):
        if len(entries) > 1:
            owners = " and ".join(f"plugin {plugin!r}" for _, plugin in entries)
            registry.problems.append(
                f"{kind} name {entries[0][0].name!r} is registered by {owners}; "
                "it is left out until one of them is renamed or disabled (gatenet -p no:NAME)"
            )
            continue
        kept[key] = entries[0]
    return kept


def add_circuits(
    registry: Registry,
    registered: Iterable[tuple[Circuit, str]],
    plugins_left_out: Sequence[str],
    gates_left_out: Sequence[str],
) -> None:
    """Add the circuits the plugins registered, as (circuit, plugin), each checked against the gates
    and the other circuits on its own.

    With a plugin left out (disabled, skipped or failed) or a gate left out by a clash, a circuit
    that needs what is missing is a note, not a new error: `gatenet -p no:xor list` works and just
    says which circuits are not available.
    """
    pending = _unclashed_circuits(registry, registered)

    def find(name: str) -> Gate | Circuit | None:
        return registry.find(name) or pending.get(name.lower())

    left_out = [
        *(f"plugin {name}" for name in plugins_left_out),
        *(f"gate {name}" for name in gates_left_out),
    ]
    for key, circuit in pending.items():
        try:
            circuit.resolve(find)
        except CircuitError as error:
            plugin = registry.plugin_of.pop(key)
            if error.missing and left_out:
                why = (
                    f"circuit {circuit.name!r} of plugin {plugin!r} is not available: it needs "
                    f"{error.missing!r}, which no loaded plugin provides (left out: {', '.join(left_out)})"
                )
                registry.notes.append(why)
                registry.unavailable[key] = why
            else:
                registry.problems.append(f"plugin {plugin!r}: {error}")
            continue
        except Exception as error:  # the plugin's own objects in the netlist (a Mapping, a __str__) broke
            plugin = registry.plugin_of.pop(key)
            registry.problems.append(f"plugin {plugin!r}: circuit {key!r}: {describe(error)}")
            continue
        registry.circuits[key] = circuit


def _unclashed_circuits(registry: Registry, registered: Iterable[tuple[Circuit, str]]) -> dict[str, Circuit]:
    """Each circuit whose name no other circuit, gate or family member has, its plugin recorded, so
    a name keeps one meaning; a clash is reported and the circuit left out."""
    found: dict[str, list[tuple[Circuit, str]]] = {}
    for circuit, plugin in registered:
        found.setdefault(circuit.key, []).append((circuit, plugin))
    kept: dict[str, Circuit] = {}
    for key, entries in sorted(found.items()):
        owners = [f"plugin {plugin!r}" for _, plugin in entries]
        if key in registry.gates:
            owners.append(f"gate {registry.gates[key].name!r} of plugin {registry.plugin_of[key]!r}")
        owners += [
            f"a member of family {family.name!r} of plugin {registry.plugin_of_family[family_key]!r}"
            for family_key, family in registry.made_families.items()
            if family.number_of(key) is not None
        ]
        if len(owners) > 1:
            registry.problems.append(
                f"circuit name {entries[0][0].name!r} is used by {' and '.join(owners)}; "
                "the circuit is left out until one of them is renamed"
            )
            continue
        kept[key] = entries[0][0]
        registry.plugin_of[key] = entries[0][1]
    return kept
