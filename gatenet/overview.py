"""`gatenet show GATE`: one gate or circuit in one place: how its plugin defines it, how `gatenet train`
would make its model now, and its model in a folder (record, files, state). Gathered from the registry,
the build's own check and the folder's manifest, so it says what `status` and `train --check` say."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gatenet import builder
from gatenet.circuit import Circuit
from gatenet.gate import Gate
from gatenet.recipe import LogicRecipe
from gatenet.record import Kind, ModelRecord
from gatenet.registry import Registry
from gatenet.status import ORPHANED, ModelStatus
from gatenet.store import ModelFolder


@dataclass(frozen=True)
class Overview:
    """One gate or circuit: `definition` is None for a model no plugin defines any more (orphaned), and
    `record` None for one not trained into the folder yet."""

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    description: str
    definition: Gate | Circuit | None
    plugin: str | None
    recipe: dict | None  # what `gatenet train` would use now: the network or logic settings, or wiring
    status: ModelStatus
    record: ModelRecord | None
    files: list[Path]  # the model file and every file its record lists

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "inputs": list(self.inputs),
            "outputs": list(self.outputs),
            "description": self.description,
            "plugin": self.plugin,
            "recipe": self.recipe,
            **self.status.to_dict(),
            "record": None if self.record is None else self.record.to_json(),
            "files": [str(path) for path in self.files],
        }


def overview(registry: Registry, name: str, options: builder.Options) -> Overview:
    """`name` (any case) as its plugin defines it and as the folder `options.out` holds it; a ValueError
    naming what exists when it is neither a gate, a circuit nor a model of the folder."""
    folder = ModelFolder(options.out)
    key = name.lower()
    if key in registry.unavailable:
        raise ValueError(registry.unavailable[key])
    record = folder.entries().get(folder.model_name(key))
    gate, circuit = registry.find(name), registry.find_circuit(name)
    files = [] if record is None else folder.removal_paths(folder.model_name(key), record)
    if gate is None and circuit is None:
        if record is None:
            raise ValueError(f"no gate, circuit or model called {name!r} (gatenet list shows the gates)")
        orphan = ModelStatus(record.gate, ORPHANED, ["no plugin defines this gate"], folder.model_name(key))
        return Overview(
            record.gate, record.inputs, record.outputs, "", None, None, None, orphan, record, files
        )
    (status,) = builder.check(registry, [gate] if gate else [], [circuit] if circuit else [], options)
    if gate is not None:
        recipe = builder.recipes(registry, [gate], options)[0][0]
        logic = isinstance(recipe, LogicRecipe)
        settings = recipe.spec.to_dict() if logic else recipe.network.to_dict()
        build = {key: value for key, value in recipe.build().items() if key != "export"}
        build["margin"] = recipe.margin
        now = {"kind": Kind.LOGIC.value if logic else Kind.NETWORK.value, **settings, **build}
    else:
        now = {"kind": Kind.CIRCUIT.value, "wiring": options.wiring, "parts": circuit.part_summary()}
    made = gate or circuit
    names = (tuple(made.input_names), tuple(made.output_names), made.description)
    return Overview(made.name, *names, made, registry.plugin_of.get(key), now, status, record, files)
