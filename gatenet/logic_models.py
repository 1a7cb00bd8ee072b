"""Learn gates as networks of logic gates, ship each exact circuit as ONNX, check it, and commit it.

The logic counterpart of `gatenet.pipeline`: `gatenet.logic_learner` learns a gate's circuit (every
gate of one shape and spec in one program), `gatenet.logic_onnx` writes it with gatenet's model
contract, onnxruntime runs the file on every row, and only a model whose every output is exactly its
truth table is committed, with its record, history and test data, to the model folder. A gate with no
exact circuit is not verified and leaves the model exported before as it was.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gatenet import contract, logic_onnx, runtime
from gatenet.check import EXACT_MARGIN, check_table
from gatenet.gate import Gate
from gatenet.logic_learner import LearnedCircuit, LogicHistory, learn_circuits
from gatenet.logic_spec import LogicSpec
from gatenet.netlist import Netlist
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

    kind = Kind.LOGIC
    error = None  # a logic gate fails by not being exact, not by raising (a network's result may carry one)

    @property
    def steps(self) -> int:
        return self.spec.steps

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
        """What the record keeps of the circuit: its gates and depth (None when there is none)."""
        return None if self.netlist is None else {"gates": self.netlist.gates, "depth": depth(self.netlist)}


def stream_logic(
    recipes: Iterable[LogicRecipe], writer: Writer | None, chunk: int, run_jobs: RunJobs | None = None
) -> Iterator[LogicResult]:
    """Learn, export and check each recipe's gate, `chunk` gates at a time (each chunk a Ray task when
    `run_jobs` is `gatenet.ray_jobs.runner`'s), and commit each chunk's exact models as one transaction
    into `writer`'s folder (nothing is written without one); results come in the order of `recipes`."""
    recipes = iter(recipes)
    parts = iter(lambda: list(itertools.islice(recipes, chunk)), [])
    for outcomes in (run_jobs or map)(learn_chunk, parts):
        files = [gate_files for _, gate_files in outcomes if gate_files is not None]
        if writer is not None and files:
            writer.commit(files)
        for result, gate_files in outcomes:
            if writer is not None and gate_files is not None:
                result.path = writer.folder.model_path(result.gate.key)
            yield result


def learn_chunk(recipes: list[LogicRecipe]) -> list[tuple[LogicResult, GateFiles | None]]:
    """One chunk, on any machine: the gates of each (spec, seed) learned together, and for each gate
    its result and, when its circuit is exact in the file onnxruntime runs, everything to commit."""
    started = time.perf_counter()
    learned: dict[int, LearnedCircuit] = {}
    for (spec, seed), group in itertools.groupby(
        sorted(enumerate(recipes), key=lambda item: repr((item[1].spec, item[1].seed))),
        key=lambda item: (item[1].spec, item[1].seed),
    ):
        indexed = list(group)
        found = learn_circuits([recipe.gate for _, recipe in indexed], spec, seed)
        learned.update(zip((index for index, _ in indexed), found, strict=True))
    seconds = (time.perf_counter() - started) / len(recipes)
    return [_result(recipe, learned[index], seconds) for index, recipe in enumerate(recipes)]


def export_learned(
    recipe: LogicRecipe, learned: LearnedCircuit, writer: Writer, seconds: float = 0.0
) -> LogicResult:
    """Check and commit one circuit learned elsewhere (the Playground's live training) exactly as
    `gatenet train --kind logic` does its own: written into `writer`'s folder only when it is exact."""
    result, files = _result(recipe, learned, seconds)
    if files is not None:
        writer.commit([files])
        result.path = writer.folder.model_path(recipe.gate.key)
    return result


def _result(
    recipe: LogicRecipe, learned: LearnedCircuit, seconds: float
) -> tuple[LogicResult, GateFiles | None]:
    """The result of one gate, and its files when its circuit is exact in the file onnxruntime runs."""
    gate, spec = recipe.gate, recipe.spec
    result = LogicResult(gate, spec, False, None, learned.step, seconds, recipe.seed, history=learned.history)
    if learned.netlist is None:
        best = max(learned.history.accuracy, default=0.0)
        result.problem = (
            f"no exact circuit in {spec.restarts} restarts of {spec.steps} steps "
            f"(best {best:.0%} of rows right); try a larger logic_width or logic_depth, or logic_restarts"
        )
        return result, None
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
        result.problem = f"the exported circuit does not verify in onnxruntime: {check.details}"
        return result, None
    result.verified, result.netlist = True, learned.netlist
    history = {
        "gate": gate.name,
        "kind": Kind.LOGIC.value,
        "seed": recipe.seed,
        "gates": learned.netlist.gates,
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
            spec.steps,
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
