"""Learn gates as networks of logic gates, ship each exact circuit as ONNX, check it, and commit it.

The logic counterpart of `gatenet.pipeline`: `gatenet.logic_learner` learns a gate's circuit (every
gate of one shape and spec in one program), `gatenet.logic_onnx` writes it with gatenet's model
contract, onnxruntime runs the file on every row, and only a model whose every output is exactly its
truth table is committed, with its record, history and test data, to the model folder. A gate with no
exact circuit is not verified and leaves the model exported before as it was.
"""

from __future__ import annotations

import functools
import itertools
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from gatenet import contract, logic_onnx, npn, runtime
from gatenet.check import EXACT_MARGIN, check_table
from gatenet.gate import Gate
from gatenet.logic_learner import LearnedCircuit, LogicHistory, learn_circuits
from gatenet.logic_spec import LogicSpec
from gatenet.netlist import Netlist, exact
from gatenet.ray_jobs import RunJobs
from gatenet.recipe import LogicRecipe
from gatenet.record import Kind, ModelRecord, Training, trained_with
from gatenet.store import GateFiles, Writer
from gatenet.test_data import test_data_set


@dataclass
class LogicResult:
    """How one gate's logic learning went; `path` is set only when a verified model was written."""

    gate: Gate
    spec: LogicSpec
    verified: bool
    netlist: Netlist | None
    first_right_step: int | None
    seconds: float
    seed: int
    path: Path | None = None
    problem: str = ""
    history: LogicHistory | None = None
    rung: int = 0  # of `spec.ladder()`: 0 when `spec` itself learned it

    kind = Kind.LOGIC
    error = None  # a logic gate fails by not being exact, not by raising (a network's result may carry one)

    @property
    def steps(self) -> int:
        return self.learned_with.steps

    @property
    def learned_with(self) -> LogicSpec:
        """The rung of the ladder that learned it: `spec`, or a larger network when `spec` failed."""
        return self.spec.ladder()[self.rung]

    @property
    def network(self) -> LogicSpec:
        """What learned it, under the name a network model's result gives it."""
        return self.spec

    @property
    def worst_margin(self) -> float:
        """0.5 for an exact circuit (every output exactly 0 or 1); NaN when there is none."""
        return EXACT_MARGIN if self.verified else float("nan")

    @property
    def gates(self) -> int | None:
        """The circuit's two-input gates, complements free (Knuth's measure)."""
        return None if self.netlist is None else self.netlist.gates

    @property
    def logic(self) -> dict | None:
        """What the record keeps of the circuit: its gates, its depth, and the rung of the ladder that
        learned it (None when there is none)."""
        if self.netlist is None:
            return None
        return {"gates": self.netlist.gates, "depth": depth(self.netlist), "rung": self.rung}


def stream_logic(
    recipes: Iterable[LogicRecipe],
    writer: Writer | None,
    chunk: int,
    run_jobs: RunJobs | None = None,
    export: bool = True,
) -> Iterator[LogicResult]:
    """Learn, export and check each recipe's gate, `chunk` gates at a time (each chunk a Ray task when
    `run_jobs` is `gatenet.ray_jobs.runner`'s), and commit each chunk's exact models as one transaction
    into `writer`'s folder (nothing is written without one); results come in the order of `recipes`.
    With `export=False` no file is made: each circuit is checked on every row in numpy only, as the
    network learner checks in Keras only (`gatenet train --no-export`)."""
    recipes = iter(recipes)
    parts = iter(lambda: list(itertools.islice(recipes, chunk)), [])
    learn = learn_chunk if export else functools.partial(learn_chunk, export=False)
    for outcomes in (run_jobs or map)(learn, parts):
        files = [gate_files for _, gate_files in outcomes if gate_files is not None]
        if writer is not None and files:
            writer.commit(files)
        for result, gate_files in outcomes:
            if writer is not None and gate_files is not None:
                result.path = writer.folder.model_path(result.gate.key)
            yield result


def learn_chunk(
    recipes: list[LogicRecipe], export: bool = True
) -> list[tuple[LogicResult, GateFiles | None]]:
    """One chunk, on any machine: the gates of each (spec, seed) learned together, and for each gate
    its result and, when its circuit is exact in the file onnxruntime runs, everything to commit
    (with `export=False`, exact on every row in numpy, and nothing to commit)."""
    started = time.perf_counter()
    learned: dict[int, Learned] = {}
    for (spec, seed), group in itertools.groupby(
        sorted(enumerate(recipes), key=lambda item: repr((item[1].spec, item[1].seed))),
        key=lambda item: (item[1].spec, item[1].seed),
    ):
        indexed = list(group)
        found = learn_gates([recipe.gate for _, recipe in indexed], spec, seed)
        learned.update(zip((index for index, _ in indexed), found, strict=True))
    seconds = (time.perf_counter() - started) / len(recipes)
    if not export:
        return [(_checked(recipe, learned[index], seconds), None) for index, recipe in enumerate(recipes)]
    return [_result(recipe, learned[index], seconds) for index, recipe in enumerate(recipes)]


@dataclass(frozen=True)
class Learned:
    """A gate's circuit as learned, and the rung of `spec.ladder()` that learned it (0: `spec` itself)."""

    circuit: LearnedCircuit
    rung: int


def learn_gates(gates: Sequence[Gate], spec: LogicSpec, seed: int) -> list[Learned]:
    """Each gate's smallest exact circuit: one learning per NPN class, and up the ladder for the rest.

    Gates of one output and at most `npn.MAX_INPUTS` inputs that are the same function up to negating
    and permuting inputs and the output are learned once, as their class's least member, and each gets
    that circuit rewritten for it (`npn.transform_netlist`: the same gates). The 65,536 functions of
    four inputs are 222 classes. A class's networks get no noise or update from the others beside them,
    so what trains beside a class changes its circuit only through the rounding of batched float
    arithmetic (one class of 222 in the boolean4 family, learned alone and in its chunk: 7 gates
    against 8). The same command gives the same batches, and the same bytes. Gates with no exact
    circuit at one rung are learned again at the next (`LogicSpec.ladder`), until all are exact or the
    ladder ends.
    """
    targets: dict[tuple, Gate] = {}  # what is learned, once each
    plan: dict[int, tuple[tuple, npn.Transform | None]] = {}  # gate index -> its target, and how to carry it
    for inputs, indexes in _by_inputs(gates).items():
        if inputs > npn.MAX_INPUTS:
            for index in indexes:
                targets[("gate", index)] = gates[index]
                plan[index] = (("gate", index), None)
            continue
        numbers = npn.tables_to_numbers(np.stack([gates[index].table[:, 0] for index in indexes]))
        classified = npn.classify(numbers, inputs)
        for index, representative, transform in zip(
            indexes, classified.representative.tolist(), classified.transform, strict=True
        ):
            key = ("npn", inputs, representative)
            targets.setdefault(key, npn.class_gate(inputs, representative))
            plan[index] = (key, transform)
    by_key = {key: _CLASSES[key, spec, seed] for key in targets if (key, spec, seed) in _CLASSES}
    todo = [key for key in targets if key not in by_key]
    by_key.update(zip(todo, _climb([targets[key] for key in todo], spec, seed), strict=True))
    for key in todo:
        if key[0] == "npn":
            _remember((key, spec, seed), by_key[key])
    return [_carried(by_key[plan[index][0]], gate, plan[index][1]) for index, gate in enumerate(gates)]


# Classes learned in this process, for the chunks after the one that learned them: a family's 4,096-gate
# chunks would otherwise each learn the same classes again. Keyed by class, spec and seed, so one run
# (one command) always reuses what it learned first; bounded, as 5-input functions have 616,126 classes.
_CLASSES: dict[tuple, Learned] = {}
_MAX_CLASSES = 65_536


def _remember(key: tuple, learned: Learned) -> None:
    if len(_CLASSES) >= _MAX_CLASSES:
        _CLASSES.pop(next(iter(_CLASSES)))
    _CLASSES[key] = learned


def _by_inputs(gates: Sequence[Gate]) -> dict[int, list[int]]:
    """Gate indexes by input count; gates of several outputs under one count beyond any class's."""
    groups: dict[int, list[int]] = {}
    for index, gate in enumerate(gates):
        groups.setdefault(gate.inputs if gate.outputs == 1 else npn.MAX_INPUTS + 1, []).append(index)
    return groups


def _climb(targets: list[Gate], spec: LogicSpec, seed: int) -> list[Learned]:
    """Learn every target at the first rung of the ladder where it is exact (or at the last rung)."""
    found: dict[int, Learned] = {}
    todo = list(range(len(targets)))
    for rung, step in enumerate(spec.ladder()):
        if not todo:
            break
        circuits = learn_circuits([targets[index] for index in todo], step, seed)
        found.update((index, Learned(circuit, rung)) for index, circuit in zip(todo, circuits, strict=True))
        todo = [index for index in todo if found[index].circuit.netlist is None]
    return [found[index] for index in range(len(targets))]


def _carried(learned: Learned, gate: Gate, transform: npn.Transform | None) -> Learned:
    """`learned` (its class's circuit when `transform` is given) as the circuit of `gate`, in its names."""
    circuit = learned.circuit
    if transform is None or circuit.netlist is None:
        return Learned(replace(circuit, gate=gate), learned.rung)
    netlist = npn.transform_netlist(circuit.netlist, transform)
    netlist = replace(netlist, inputs=gate.input_names, output_names=gate.output_names)
    return Learned(replace(circuit, gate=gate, netlist=netlist), learned.rung)


def export_learned(
    recipe: LogicRecipe, learned: LearnedCircuit, writer: Writer, seconds: float = 0.0
) -> LogicResult:
    """Check and commit one circuit learned elsewhere (the Playground's live training) exactly as
    `gatenet train --kind logic` does its own: written into `writer`'s folder only when it is exact.
    It was learned with `recipe.spec` itself, the ladder's first rung."""
    result, files = _result(recipe, Learned(learned, 0), seconds)
    if files is not None:
        writer.commit([files])
        result.path = writer.folder.model_path(recipe.gate.key)
    return result


def _checked(recipe: LogicRecipe, found: Learned, seconds: float) -> LogicResult:
    """The result of one gate whose circuit is checked on every row (bit-parallel, in numpy) but not
    exported: verified only when it is exact."""
    gate, spec, learned = recipe.gate, recipe.spec, found.circuit
    result = LogicResult(
        gate, spec, False, None, learned.step, seconds, recipe.seed, history=learned.history, rung=found.rung
    )
    if learned.netlist is None:
        best = max(learned.history.accuracy, default=0.0)
        last = spec.ladder()[-1]
        result.problem = (
            f"no exact circuit up to {last.restarts} restarts of {last.steps} steps at width {last.width} "
            f"(best {best:.0%} of rows right); try a larger logic_width or logic_depth, or logic_restarts"
        )
        return result
    mismatch = exact(learned.netlist, gate.table)
    if mismatch is not None:  # a circuit carried to a class member must compute it; a bug if not
        result.problem = f"the circuit is not exact: {mismatch}"
        return result
    result.verified, result.netlist = True, learned.netlist
    return result


def _result(recipe: LogicRecipe, found: Learned, seconds: float) -> tuple[LogicResult, GateFiles | None]:
    """The result of one gate, and its files when its circuit is exact in the file onnxruntime runs."""
    result = _checked(recipe, found, seconds)
    if not result.verified:
        return result, None
    gate, spec, learned = recipe.gate, recipe.spec, found.circuit
    build = recipe.build()
    extra = {
        contract.KEY_SEED: str(recipe.seed),
        contract.KEY_NETWORK: json.dumps(spec.to_dict(), sort_keys=True),
        contract.KEY_BUILD: json.dumps(build, sort_keys=True),
    }
    model = logic_onnx.netlist_model(learned.netlist, gate, EXACT_MARGIN, extra)
    (probabilities,) = runtime.run_outputs(model, gate.rows, [contract.OUTPUT_NAME])
    check = check_table(gate.table, probabilities, EXACT_MARGIN)
    if not check.verified:  # the file must compute what the netlist does; a bug if not
        result.verified, result.netlist = False, None
        result.problem = f"the exported circuit does not verify in onnxruntime: {check.details}"
        return result, None
    history = {
        "gate": gate.name,
        "kind": Kind.LOGIC.value,
        "seed": recipe.seed,
        "gates": learned.netlist.gates,
        "rung": found.rung,
    }
    history |= {
        "step": learned.history.step,
        "loss": learned.history.loss,
        "accuracy": learned.history.accuracy,
    }
    history["first_right_step"] = learned.step
    record = ModelRecord(
        kind=Kind.LOGIC,
        gate=gate.name,
        inputs=gate.input_names,
        outputs=gate.output_names,
        truth_table=tuple(contract.encode_table(gate.table)),
        margin=EXACT_MARGIN,
        worst_margin=EXACT_MARGIN,
        opset=contract.OPSET,
        training=Training(
            recipe.seed,
            result.steps,
            learned.step,
            spec.to_dict(),
            build,
            trained_with("tensorflow", "keras", "onnx", "onnxruntime"),
        ),
        logic=result.logic,
    )
    history_bytes = (json.dumps(history) + "\n").encode()
    return result, GateFiles(gate.key, model, test_data_set(gate.rows, probabilities), history_bytes, record)


def depth(netlist: Netlist) -> int:
    """The most gates any input passes through to reach an output."""
    level = [0] * len(netlist.inputs)
    for node in netlist.nodes:
        level.append(1 + max(level[node.a], level[node.b]))
    return max((level[out.signal] for out in netlist.outputs if out.signal is not None), default=0)
