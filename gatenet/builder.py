"""One build, called by everyone: what to train, what is up to date, what to build, with which settings.

`gatenet train`, `gatenet.build()` and `gatenet.train()` all run `run` here, so a notebook and the
command line given the same inputs write the same bytes and read the same status. A gate's network
comes from gatenet's defaults, then its plugin's hints, then `[tool.gatenet]` in ./pyproject.toml,
then the call's own settings, each overriding the one before. Gates whose model is up to date are
skipped without importing TensorFlow; circuits are built from the verified gate models after them.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from gatenet import extras, ray_jobs
from gatenet.check import DEFAULT_MARGIN
from gatenet.circuit import Circuit
from gatenet.config import project_settings
from gatenet.family import Chain, Family, chunks
from gatenet.gate import Gate
from gatenet.network import DEFAULT_CHUNK, DEFAULT_ESCALATE, DEFAULT_RESTARTS, NetworkError
from gatenet.recipe import CircuitRecipe, LogicRecipe, Recipe, recipe_for
from gatenet.record import Kind
from gatenet.registry import Registry
from gatenet.status import UP_TO_DATE, ModelStatus, check_gates, circuit_recipes, folder_status
from gatenet.store import ModelFolder, Writer

if TYPE_CHECKING:
    from gatenet.circuit_onnx import Built
    from gatenet.logic_models import LogicResult
    from gatenet.pipeline import GateResult


@dataclass(frozen=True)
class Options:
    """How to build: where, with which seeds and margin, and what to redo."""

    out: Path | str = "exported"
    network: Mapping[str, object] = field(default_factory=dict)  # the call's own network settings
    seed: int = 0
    restarts: int = DEFAULT_RESTARTS
    margin: float = DEFAULT_MARGIN
    wiring: str = "digital"  # how circuits pass bits between their gates
    chunk: int = DEFAULT_CHUNK
    force: bool = False  # retrain and rebuild what is up to date too
    export: bool = True  # False: train and check in Keras only, write nothing
    ray: str | None = None  # run the chunks on this Ray cluster ("local", "auto", an address)
    command: str = "gatenet train"  # who holds the folder's lock, as a second writer is told
    escalate: int = DEFAULT_ESCALATE  # rungs of a network's ladder a gate may climb (0: none)
    # Compact history files (`history.COMPACT_POINTS` points of the curve, no weight snapshots for a
    # replay); None: for a family, whose 65,536 full histories would hold 1.8 GB and take longer to
    # write than to train, not for gates named.
    compact_history: bool | None = None


@dataclass
class Events:
    """What a caller hears while a build runs, each as it happens (a command prints its table rows)."""

    on_start: Callable[[], None] | None = None  # the folder is locked and checked: work begins
    on_fresh: Callable[[ModelStatus], None] | None = None  # a gate or circuit skipped as up to date
    on_result: Callable[[GateResult | LogicResult], None] | None = None  # a gate trained (and committed)
    on_circuit: Callable[[Built], None] | None = None  # a circuit built
    on_wait: Callable[[str], None] | None = None  # another process holds the folder
    # Which results the report keeps, and whether with their histories and the skipped models' statuses:
    # a resumed family run of 65,536 gates keeps only its failures.
    keep: Callable[[GateResult | LogicResult], bool] = lambda result: True
    histories: bool = True
    fresh: bool = True


@dataclass
class Report:
    """What a build did: the models it skipped, trained and built, in order."""

    fresh: list[ModelStatus] = field(default_factory=list)
    trained: list[GateResult | LogicResult] = field(default_factory=list)
    circuits: list[Built | str] = field(default_factory=list)  # a str: a circuit that could not be built
    folder: ModelFolder | None = None
    problems: list[str] = field(default_factory=list)  # plugins' gates and circuits that could not load

    @property
    def failed(self) -> bool:
        """Whether a gate or a circuit did not verify, or a circuit could not be built."""
        return any(not result.verified for result in self.trained) or any(
            isinstance(built, str) or not built.check.verified for built in self.circuits
        )


@dataclass(frozen=True)
class Row:
    """One model a build touched, in the one shape its table, its JSON and the API share: skipped as up
    to date, trained, built, or failed. A circuit has no steps, seed or network."""

    gate: str
    kind: Kind
    status: str  # UP_TO_DATE, "trained", "built" or "failed"
    verified: bool
    worst_margin: float  # NaN when training failed before any check
    seconds: float
    file: str | None
    problem: str = ""
    steps: int | None = None
    first_right_step: int | None = None
    seed: int | None = None
    network: dict | None = None
    logic: dict | None = None  # a logic model's gate count and depth
    circuit: dict | None = None
    rung: int | None = None  # of the ladder of the network or logic spec asked for: 0 when it itself learned

    @classmethod
    def fresh(cls, status: ModelStatus, folder: ModelFolder) -> Row:
        record, file = status.entry, str(folder.root / status.file)
        row = cls(status.name, record.kind, UP_TO_DATE, True, record.worst_margin, 0.0, file)
        training = record.training
        if training is None:
            return replace(row, circuit=record.circuit)
        return replace(
            row,
            steps=training.steps,
            first_right_step=training.first_right_step,
            seed=training.seed,
            network=training.network,
            logic=record.logic,
            rung=(record.logic or training.build or {}).get("rung", 0),
        )

    @classmethod
    def trained(cls, result: GateResult | LogicResult) -> Row:
        kind = result.kind
        return cls(
            result.gate.name,
            kind,
            "trained" if result.verified else "failed",
            result.verified,
            result.worst_margin,
            result.seconds,
            str(result.path) if result.path else None,
            result.problem,
            result.steps,
            result.first_right_step,
            result.seed,
            result.network.to_dict(),
            logic=result.logic if kind is Kind.LOGIC else None,
            rung=result.rung,
        )

    @classmethod
    def built(cls, built: Built, folder: ModelFolder) -> Row:
        circuit, check = built.recipe.gate, built.check
        return cls(
            circuit.name,
            Kind.CIRCUIT,
            "built" if check.verified else "failed",
            check.verified,
            check.worst_margin,
            built.seconds,
            str(folder.model_path(circuit.key)) if check.verified else None,
            "" if check.verified else check.details,
            circuit=built.record,
        )

    def to_json(self) -> dict:
        """Plain data for `--json`; a gate's per-step history stays in its history file and the API."""
        margin = self.worst_margin
        document = {
            "gate": self.gate,
            "kind": self.kind.value,
            "status": self.status,
            "verified": self.verified,
            "worst_margin": None if margin != margin else round(margin, 6),
            "steps": self.steps,
            "first_right_step": self.first_right_step,
            "seconds": round(self.seconds, 4),
            "seed": self.seed,
            "file": self.file,
            "problem": self.problem,
            "network": self.network,
            "rung": self.rung,
        }
        extra = {
            name: getattr(self, name) for name in ("logic", "circuit") if getattr(self, name) is not None
        }
        return {**document, **extra}


def select(
    registry: Registry, names: Sequence[str] = (), families: Sequence[str] = ()
) -> tuple[Chain, list[Circuit]]:
    """The named gates and circuits (every default gate and circuit when none is named), and the gates
    the circuits are made of, each once. An unknown or unavailable name is a ValueError naming it."""
    unavailable = [registry.unavailable[n.lower()] for n in names if n.lower() in registry.unavailable]
    if unavailable:
        raise ValueError(unavailable[0])
    circuits = [registry.find_circuit(name) for name in names if registry.find_circuit(name)]
    gate_names = tuple(name for name in names if not registry.find_circuit(name))
    if not names and not families:
        circuits = list(registry.circuits.values())
    picked = registry.select(gate_names, families) if gate_names or families or not names else Chain([])
    # Families stay lazy: a circuit's gate is added unless the selection already holds it.
    chosen = {gate.key for part in picked.parts if not isinstance(part, Family) for gate in part}
    needed = {
        instance.gate.key: instance.gate
        for circuit in circuits
        for instance in circuit.instances
        if instance.gate.key not in chosen
        and not any(part.find(instance.gate.name) for part in picked.parts if isinstance(part, Family))
    }
    return Chain([*picked.parts, list(needed.values())]), circuits


def recipes(
    registry: Registry, gates: Sequence[Gate], options: Options
) -> tuple[list[Recipe | LogicRecipe], dict[str, dict]]:
    """How each gate would be made now, and the `[tool.gatenet]` settings behind it (by gate key)."""
    known = [gate.name for gate in registry.gates.values()] + [
        gate.name for gate in gates
    ]  # a notebook's too
    settings = project_settings([gate.name for gate in gates], known=known, find=registry.find)
    return [_recipe(gate, settings[gate.key], options) for gate in gates], settings


def _recipe(gate: Gate, project: dict, options: Options) -> Recipe | LogicRecipe:
    """One gate's recipe; its hints clashing with the call's settings (per-layer activations for
    another number of layers) is one line naming the gate."""
    try:
        return recipe_for(
            gate,
            [project, dict(options.network)],
            options.seed,
            options.restarts,
            options.margin,
            options.escalate,
        )
    except NetworkError as error:
        raise NetworkError(f"gate {gate.name!r}: {error}") from None


def check(
    registry: Registry,
    gates: Sequence[Gate],
    circuits: Sequence[Circuit],
    options: Options,
    deep: bool = False,
) -> list[ModelStatus]:
    """`gatenet train --check`: each gate's and circuit's state against what `run` would make now."""
    folder = ModelFolder(options.out)
    gate_recipes, _ = recipes(registry, gates, options)
    every: list[Recipe | LogicRecipe | CircuitRecipe] = [
        *gate_recipes,
        *circuit_recipes(folder, circuits, options.wiring, options.margin),
    ]
    return check_gates(folder, every, deep)


def status(
    registry: Registry, families: Sequence[str], options: Options, deep: bool = False
) -> list[ModelStatus]:
    """`gatenet status`: every default gate and circuit, every gate of `families`, and every model in
    the folder `options.out`: up to date, stale, missing, or orphaned (no plugin defines it)."""
    from collections import ChainMap

    folder = ModelFolder(options.out)
    keys = [ModelFolder.key_of(name) for name in folder.model_names()]
    in_folder = [gate for gate in map(registry.find, keys) if gate is not None]
    gates = list({gate.key: gate for gate in [*registry.select((), families), *in_folder]}.values())
    every: list[Recipe | LogicRecipe | CircuitRecipe] = recipes(registry, gates, options)[0]
    every += circuit_recipes(folder, list(registry.circuits.values()), options.wiring, options.margin)
    return folder_status(folder, every, ChainMap(registry.definitions(), registry.unavailable), deep)


def run(
    registry: Registry,
    gates: Chain | Sequence[Gate],
    circuits: Sequence[Circuit],
    options: Options,
    events: Events | None = None,
) -> Report:
    """Train the gates whose model is not up to date (all of them with `force`), a chunk at a time,
    then build the circuits whose model is not up to date, from the folder's verified gate models.

    The folder is locked, repaired and checked first, so a bad `out` fails in a second, not after
    TensorFlow's import; an unreachable Ray cluster is refused before that, so it never holds the lock.
    """
    events = events or Events()
    if not options.export and circuits:
        raise ValueError(
            "circuits are built from the model folder; a build that writes nothing cannot build them"
        )
    ray_jobs.check_reachable(options.ray)
    report = Report(problems=list(registry.problems))
    writing = (
        ModelFolder(options.out).writing(options.command, events.on_wait)
        if options.export
        else contextlib.nullcontext()
    )
    with writing as writer:
        report.folder = writer.folder if writer is not None else None
        if events.on_start is not None:
            events.on_start()
        _train(registry, gates, options, events, writer, report)
        if circuits:
            _build_circuits(writer, circuits, options, events, report)
    return report


def _train(
    registry: Registry,
    gates: Chain | Sequence[Gate],
    options: Options,
    events: Events,
    writer: Writer | None,
    report: Report,
) -> None:
    """Train every gate that is not up to date, network models first, then logic models; TensorFlow is
    imported only when one is not up to date."""
    project: dict[str, dict] = {}
    logic: list[LogicRecipe] = []

    def stale() -> Iterator[Gate]:
        """The network gates to train, a chunk at a time: the up-to-date ones are reported and skipped,
        and the logic ones set aside."""
        for part in chunks(gates, options.chunk):
            part_recipes, part_settings = recipes(registry, part, options)
            project.update(part_settings)
            statuses = [] if writer is None or options.force else check_gates(writer.folder, part_recipes)
            skipped = set()
            for status in statuses:
                if status.state == UP_TO_DATE:
                    skipped.add(status.name)
                    _fresh(status, events, report)
            todo = [recipe for recipe in part_recipes if recipe.gate.name not in skipped]
            logic.extend(recipe for recipe in todo if isinstance(recipe, LogicRecipe))
            yield from (recipe.gate for recipe in todo if isinstance(recipe, Recipe))

    run_jobs = functools.cache(lambda: ray_jobs.runner(options.ray))  # Ray starts only if something trains
    todo = stale()
    first = next(todo, None)
    if first is not None:
        from gatenet import pipeline

        _report(
            pipeline.stream_gates(
                itertools.chain([first], todo),
                options.out,
                options.network,
                options.seed,
                options.margin,
                options.restarts,
                export=options.export,
                gate_settings=project,
                writer=writer,
                chunk=options.chunk,
                run_jobs=run_jobs(),
                escalate=options.escalate,
                compact_history=_compact_history(gates, options),
            ),
            events,
            report,
        )
    if logic:
        from gatenet import logic_models

        results = logic_models.stream_logic(logic, writer, options.chunk, run_jobs(), options.export)
        _report(results, events, report)


def _compact_history(gates: Chain | Sequence[Gate], options: Options) -> bool:
    """Whether history files are compact: as asked, else when a family is trained."""
    if options.compact_history is not None:
        return options.compact_history
    return any(isinstance(part, Family) for part in getattr(gates, "parts", ()))


def _report(results: Iterable[GateResult | LogicResult], events: Events, report: Report) -> None:
    """Tell the caller of each trained gate, and keep what the report keeps of it."""
    for result in results:
        if events.on_result is not None:
            events.on_result(result)
        if not events.histories:
            result.history = None  # in its history file; 65,536 of them would not fit
        if events.keep(result):
            report.trained.append(result)


def _fresh(status: ModelStatus, events: Events, report: Report) -> None:
    if events.on_fresh is not None:
        events.on_fresh(status)
    if events.fresh:
        report.fresh.append(status)


def _build_circuits(
    writer: Writer, circuits: Sequence[Circuit], options: Options, events: Events, report: Report
) -> None:
    """Build the circuits whose model is not up to date, after their gates were trained."""
    circuit_list = circuit_recipes(writer.folder, circuits, options.wiring, options.margin)
    fresh = (
        []
        if options.force
        else [s for s in check_gates(writer.folder, circuit_list) if s.state == UP_TO_DATE]
    )
    for status in fresh:
        _fresh(status, events, report)
    skipped = {status.name for status in fresh}
    todo = [recipe for recipe in circuit_list if recipe.gate.name not in skipped]
    if not todo:
        return
    try:
        from gatenet import circuit_onnx
    except ImportError as error:
        missing = extras.extra("c").hint(error.name or "onnx", "building circuits")
        report.circuits += [f"circuit {recipe.gate.name!r} not built: {missing}" for recipe in todo]
        return

    def on_result(result: Built | str) -> None:
        if events.on_circuit is not None and not isinstance(result, str):
            events.on_circuit(result)

    report.circuits += circuit_onnx.build_into(writer, todo, on_result)
