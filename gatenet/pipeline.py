"""From gates to verified model files: train, pick the best restart, export, check with onnxruntime, commit.

Gates that share a shape and network train together, several seeds ("restarts") of each side by
side. A model file, its test data, history and manifest entry are committed to the model folder
together, and only once the new model has passed the Keras check and the onnxruntime check, so a
failed or interrupted run keeps what was exported before.
"""

from __future__ import annotations

import contextlib
import functools
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from gatenet import contract, exporter, runtime, trainer
from gatenet.check import DEFAULT_MARGIN, Check, check_table
from gatenet.gate import Gate
from gatenet.history import History
from gatenet.network import DEFAULT_RESTARTS, NetworkSpec
from gatenet.recipe import Recipe, network_for
from gatenet.store import FolderError, GateFiles, ModelFolder, Writer
from gatenet.test_data import test_data_set


@dataclass
class GateResult:
    """How one gate's training went; `path` is set only when a verified model was written."""

    gate: Gate
    network: NetworkSpec
    verified: bool
    worst_margin: float
    first_right_step: int | None
    seconds: float
    seed: int
    path: Path | None = None
    problem: str = ""
    history: History | None = None
    error: BaseException | None = None  # what `problem` summarises, for `gatenet --debug`

    @property
    def steps(self) -> int:
        return self.network.steps


def train_gates(
    gates: Iterable[Gate],
    out_dir: Path | str = "exported",
    settings: Mapping[str, object] | None = None,
    seed: int = 0,
    margin: float = DEFAULT_MARGIN,
    restarts: int = DEFAULT_RESTARTS,
    on_result: Callable[[GateResult], None] | None = None,
    export: bool = True,
    gate_settings: Mapping[str, Mapping[str, object]] | None = None,
    writer: Writer | None = None,
) -> list[GateResult]:
    """Train, (export) and verify each gate; a gate that fails leaves its earlier model untouched.

    Each gate trains from seeds `seed` .. `seed + restarts - 1` at once and keeps its best verified
    network. With `export=False` nothing is written and only the Keras check is made.
    `gate_settings` (by lower-case gate name) apply before `settings`, which apply to every gate.
    The folder is locked, checked and repaired before any training (pass the `writer` of a folder
    already held to write there instead of `out_dir`), and each group of gates is committed to it as
    one transaction.
    """
    gates = list(gates)
    if not 0 < margin <= 0.5:
        raise ValueError(f"margin: must be in (0, 0.5], got {margin}")
    if restarts < 1:
        raise ValueError(f"restarts: must be at least 1, got {restarts}")
    results: dict[str, GateResult] = {}
    groups: dict[tuple, list[Gate]] = {}
    for gate in gates:
        network = network_for(gate, (gate_settings or {}).get(gate.key), settings)
        try:
            if export:
                ModelFolder.check_key(gate.key)
        except FolderError as error:  # this gate cannot be written; the others go on
            results[gate.key] = GateResult(
                gate, network, False, float("nan"), None, 0.0, seed, problem=str(error)
            )
            continue
        groups.setdefault((gate.inputs, gate.outputs, network), []).append(gate)
    for _, _, network in groups:
        trainer.check_network(network)
    if writer is not None or not export:
        writing = contextlib.nullcontext(writer)
    else:
        writing = ModelFolder(out_dir).writing("gatenet.train")
    seeds = list(range(seed, seed + restarts))
    if on_result is not None:
        for result in results.values():
            on_result(result)
    with writing as writer:
        for (_, _, network), group in groups.items():
            started, error = time.perf_counter(), None
            try:
                trials = trainer.train_together(group, network, seeds)
            except Exception as failure:  # one line naming the failure, not a traceback from inside Keras
                error, trials = failure, [[] for _ in group]
            share = (time.perf_counter() - started) / len(group)
            batch = []
            for gate, gate_trials in zip(group, trials, strict=True):
                started = time.perf_counter()
                if gate_trials:
                    build = Recipe(gate, network, seed, restarts, margin).build()
                    result, files = _finish(gate, network, gate_trials, margin, export, build)
                else:
                    problem = f"training failed: {type(error).__name__}: {_first_line(error)}"
                    result = GateResult(gate, network, False, float("nan"), None, 0.0, seed, problem=problem)
                    result.error, files = error, None
                result.seconds += share + time.perf_counter() - started
                results[gate.key] = result
                if files is not None:
                    batch.append((result, files))
            if batch:
                writer.commit([files for _, files in batch])
                for result, _ in batch:
                    result.path = writer.folder.model_path(result.gate.key)
            for gate in group:
                if on_result is not None:
                    on_result(results[gate.key])
    return [results[gate.key] for gate in gates]


def _finish(
    gate: Gate,
    network: NetworkSpec,
    trials: list[trainer.Trained],
    margin: float,
    export: bool,
    build: dict,
) -> tuple[GateResult, GateFiles | None]:
    """Keep the restart with the widest margin that verifies in Keras and, when exporting, in ONNX.

    Returns the gate's result and, when a model was exported and verified, the files to commit.
    """
    checked = sorted(
        ((check_table(gate.table, trial.probabilities, margin), trial) for trial in trials),
        key=lambda pair: pair[0].worst_margin,
        reverse=True,
    )
    seeds = f"{trials[0].seed}..{trials[-1].seed}" if len(trials) > 1 else str(trials[0].seed)
    error = None
    problem = f"no seed of {seeds} verified; the best, seed {checked[0][1].seed}: {checked[0][0].details}"
    for check, trial in checked:
        if not check.verified:
            break
        result = GateResult(
            gate,
            network,
            True,
            check.worst_margin,
            trial.history.first_right_step,
            0.0,
            trial.seed,
            history=trial.history,
        )
        if not export:
            return result, None
        try:
            onnx_check, model = _export(trial, margin, build)
        except Exception as failure:  # this gate's export failed; the others go on
            problem, error = f"seed {trial.seed}: export failed: {type(failure).__name__}: {failure}", failure
            break
        if not onnx_check.verified:
            problem = f"seed {trial.seed}: onnxruntime: {onnx_check.details}"
            continue
        result.worst_margin = onnx_check.worst_margin
        return result, _gate_files(result, model, onnx_check, margin, build)
    best_check, best = checked[0]
    failed = GateResult(
        gate, network, False, best_check.worst_margin, None, 0.0, best.seed, problem=problem, error=error
    )
    return failed, None


def _export(trained: trainer.Trained, margin: float, build: dict) -> tuple[Check, bytes]:
    """The model as ONNX bytes, and onnxruntime's check of those bytes in memory."""
    gate = trained.gate
    metadata = contract.model_metadata(gate, margin, trained.seed, trained.network.to_dict(), build)
    model = exporter.to_onnx(trained, metadata)
    return runtime.GateModel(Path(f"{gate.name} (exported, in memory)"), model).verify(margin), model


def _gate_files(result: GateResult, model: bytes, check: Check, margin: float, build: dict) -> GateFiles:
    """Everything to commit for a verified model. The test data's outputs are the ones onnxruntime
    gave when it checked the model, so nothing runs twice."""
    gate = result.gate
    history = {"gate": gate.name, "seed": result.seed, "worst_margin": round(check.worst_margin, 6)}
    history.update(result.history.to_dict())
    return GateFiles(
        gate.key,
        model,
        test_data_set(gate.rows, check.probabilities),
        (json.dumps(history) + "\n").encode(),
        _manifest_entry(result, margin, build),
    )


def _first_line(error: BaseException | None) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else ""


def _manifest_entry(result: GateResult, margin: float, build: dict) -> dict:
    gate = result.gate
    return {
        "gate": gate.name,
        "opset": contract.OPSET,
        "inputs": list(gate.input_names),
        "outputs": list(gate.output_names),
        "truth_table": contract.encode_table(gate.table),
        "verified": result.verified,
        "margin": margin,
        "worst_margin": round(result.worst_margin, 6),
        "seed": result.seed,
        "steps": result.steps,
        "first_right_step": result.first_right_step,
        "network": result.network.to_dict(),
        "build": build,
        "trained_with": _library_versions(),
    }


@functools.cache
def _library_versions() -> dict[str, str]:
    """What trained and exported the model: recorded, not part of the recipe (docs/model-folder.md)."""
    return {
        name: metadata.version(name) for name in ("tensorflow", "keras", "tf2onnx", "onnx", "onnxruntime")
    }
