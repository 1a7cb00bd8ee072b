"""Everything the command line does, as plain function calls returning plain objects (for notebooks).

import gatenet
result = gatenet.train("XOR", out="models")     # a GateResult, with .history
result.history.accuracy[-1], result.first_right_step
gatenet.load("models/xor.onnx").predict([[0, 1]])
gatenet.build(out="models")                     # `gatenet train --out models`: skips what is up to date
gatenet.build(out="models", check=True)         # `gatenet train --check`, as ModelStatus objects
gatenet.build_circuits("HALF_ADDER_WIRED", directory="models")  # from the XOR and AND models there

`train` and `build` run the one build of `gatenet.builder`, with `[tool.gatenet]` of
./pyproject.toml and the plugins' hints, so a notebook and the command line make the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gatenet.check import DEFAULT_MARGIN
from gatenet.circuit import Circuit
from gatenet.gate import Gate
from gatenet.network import DEFAULT_CHUNK, DEFAULT_ESCALATE, DEFAULT_RESTARTS
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
    escalate: int = DEFAULT_ESCALATE,
    **settings: object,
):
    """Train, export to `out` and verify one gate (returns its GateResult) or several (a list), even
    when a model of the same recipe is there already (`build` skips those).

    Gates are names or `Gate` objects; `settings` are network settings such as hidden=(8,), steps=500,
    applied over `[tool.gatenet]` and the plugin's hints, as on the command line. With `out=None`
    nothing is written and only the Keras check is made. `ray` ("local", "auto" or an address) trains
    on a Ray cluster, as `gatenet train --ray` does; `escalate` bounds the ladder a gate no seed learns
    climbs (0 turns it off), as `--escalate` does.
    """
    from gatenet import builder

    registry = collect_gates()
    single = isinstance(what, (str, Gate))
    chosen = [
        item if isinstance(item, Gate) else list(registry.select((item,)))[0]
        for item in ([what] if single else what)
    ]
    options = builder.Options(
        out or ".",
        settings,
        seed,
        restarts,
        margin,
        force=True,
        export=out is not None,
        ray=ray,
        command="gatenet.train",
        escalate=escalate,
    )
    results = {result.gate.key: result for result in builder.run(registry, chosen, [], options).trained}
    return results[chosen[0].key] if single else [results[gate.key] for gate in chosen]


def build(
    *names: str,
    family: Sequence[str] = (),
    out: Path | str = "exported",
    seed: int = 0,
    restarts: int = DEFAULT_RESTARTS,
    margin: float = DEFAULT_MARGIN,
    wiring: str = "digital",
    chunk: int = DEFAULT_CHUNK,
    force: bool = False,
    ray: str | None = None,
    check: bool = False,
    deep: bool = False,
    escalate: int = DEFAULT_ESCALATE,
    **settings: object,
):
    """`gatenet train NAME... --out OUT`: train the named gates (every default gate and circuit when
    none is named) whose model is not up to date, then build the circuits; returns a `builder.Report`
    of what was skipped, trained and built. With a `family`, the report keeps only the gates that
    failed, without histories: 65,536 results would not fit in memory (each history is in its file).

    With `check=True` (`gatenet train --check`) nothing is trained or written: it returns each
    selected gate's and circuit's `status.ModelStatus`; `deep` also runs each up-to-date model on
    every row.
    """
    from gatenet import builder

    registry = collect_gates()
    chosen, circuits = builder.select(registry, names, tuple(family))
    options = builder.Options(
        out,
        settings,
        seed,
        restarts,
        margin,
        wiring,
        chunk,
        force=force,
        ray=ray,
        command="gatenet.build",
        escalate=escalate,
    )
    if check:
        return builder.check(registry, chosen, circuits, options, deep)
    light = builder.Events(keep=lambda result: not result.verified, histories=False, fresh=False)
    return builder.run(registry, chosen, circuits, options, light if family else None)


def folder_status(
    directory: Path | str = "exported",
    family: Sequence[str] = (),
    seed: int = 0,
    restarts: int = DEFAULT_RESTARTS,
    margin: float = DEFAULT_MARGIN,
    wiring: str = "digital",
    deep: bool = False,
    escalate: int = DEFAULT_ESCALATE,
) -> list:
    """`gatenet status`: every gate and model file of the folder: up to date, stale, missing, orphaned."""
    from gatenet import builder

    options = builder.Options(
        directory, seed=seed, restarts=restarts, margin=margin, wiring=wiring, escalate=escalate
    )
    return builder.status(collect_gates(), tuple(family), options, deep)


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
