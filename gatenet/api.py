"""Everything the command line does, as plain function calls returning plain objects (for notebooks).

import gatenet
result = gatenet.train("XOR", out="models")     # a GateResult, with .history
result.history.accuracy[-1], result.first_right_step
gatenet.load("models/xor.onnx").predict([[0, 1]])
gatenet.build_circuits("HALF_ADDER_WIRED", directory="models")  # from the XOR and AND models there
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gatenet.check import DEFAULT_MARGIN
from gatenet.circuit import Circuit
from gatenet.gate import Gate
from gatenet.network import DEFAULT_RESTARTS
from gatenet.plugins import collect_gates
from gatenet.ray_jobs import runner


def gates(*names: str, family: str | None = None) -> list[Gate]:
    """Registered gates by name (any letter case) or family; all but the opt-in families by default."""
    return list(collect_gates().select(names, (family,) if family else ()))


def build_circuits(
    *names: str | Circuit,
    directory: Path | str = "exported",
    wiring: str = "digital",
    margin: float = DEFAULT_MARGIN,
) -> list:
    """Build circuits (registered names, `Circuit` objects, or all registered) from the verified gate
    models in `directory`, verify each on every row, and write the verified ones there.

    Returns one `circuit_onnx.Built` per circuit, or a one-line problem (str) for a circuit whose gate
    models are missing. Train the gates first (`gatenet train` does both).
    """
    from gatenet import circuit_onnx
    from gatenet.status import circuit_recipes
    from gatenet.store import ModelFolder

    registry = collect_gates()
    circuits = [name if isinstance(name, Circuit) else registry.find_circuit(name) for name in names]
    unknown = [name for name, circuit in zip(names, circuits, strict=True) if circuit is None]
    if unknown:
        raise ValueError(
            f"unknown circuit {', '.join(map(repr, unknown))}; circuits: {', '.join(registry.circuits)}"
        )
    for circuit in circuits:
        taken = registry.find(circuit.name) or registry.find_circuit(circuit.name)
        if taken is not None and taken is not circuit:  # its model would replace theirs
            raise ValueError(
                f"circuit {circuit.name!r}: a registered gate or circuit has that name; rename it"
            )
        if not circuit.instances:  # made here rather than registered by a plugin
            circuit.resolve(lambda name: registry.find(name) or registry.find_circuit(name))
    with ModelFolder(directory).writing("gatenet.build_circuits") as writer:
        recipes = circuit_recipes(writer.folder, circuits or list(registry.circuits.values()), wiring, margin)
        return circuit_onnx.build_into(writer, recipes)


def train(
    what: str | Gate | Sequence[str | Gate],
    out: Path | str | None = "exported",
    seed: int = 0,
    restarts: int = DEFAULT_RESTARTS,
    margin: float = DEFAULT_MARGIN,
    ray: str | None = None,
    **settings: object,
):
    """Train, export to `out` and verify one gate (returns its GateResult) or several (a list).

    Gates are names or `Gate` objects; `settings` are network settings such as hidden=(8,), steps=500.
    With `out=None` nothing is written and only the Keras check is made. `ray` ("local", "auto" or
    an address) trains on a Ray cluster, as `gatenet train --ray` does.
    """
    from gatenet.pipeline import train_gates

    single = isinstance(what, (str, Gate))
    chosen = [item if isinstance(item, Gate) else gates(item)[0] for item in ([what] if single else what)]
    results = train_gates(
        chosen, out or ".", settings, seed, margin, restarts, export=out is not None, run_jobs=runner(ray)
    )
    return results[0] if single else results


def capacity(
    *names: str | Gate,
    family: str | None = None,
    seeds: int = 4,
    margin: float = DEFAULT_MARGIN,
    ray: str | None = None,
    **axes: Sequence,
) -> list[dict]:
    """How many of the gates (or of a family) each setting learns: `gatenet sweep --family` as a call.

    gatenet.capacity(family="boolean2", hidden=[(), (2,)], learning_rate=[0.1])
    """
    from gatenet.sweeps import capacity as run_capacity

    chosen = [name for name in names if isinstance(name, Gate)]
    named = [name for name in names if not isinstance(name, Gate)]
    if named or family:
        chosen += collect_gates().select(named, (family,) if family else ())
    return run_capacity(chosen, axes, seeds, margin, run_jobs=runner(ray))


def sweep(
    gate: str | Gate,
    seeds: int = 20,
    margin: float = DEFAULT_MARGIN,
    ray: str | None = None,
    **axes: Sequence,
) -> list[dict]:
    """Train `seeds` networks for every combination of the axes, e.g. hidden_units=[2, 4, 8]."""
    from gatenet.sweeps import sweep as run_sweep

    chosen = gate if isinstance(gate, Gate) else gates(gate)[0]
    return run_sweep(chosen, axes, seeds, margin, run_jobs=runner(ray))
