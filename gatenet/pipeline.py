"""From gates to verified model files: train, pick the best restart, export, check with onnxruntime, commit.

Gates that share a shape and network train together, several seeds ("restarts") of each side by
side. A model file, its test data and its manifest entry are replaced only once the new model has
passed the Keras check and the onnxruntime check, so a failed run keeps what was exported before.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from gatenet import contract, exporter, runtime, trainer
from gatenet.check import DEFAULT_MARGIN, Check, check_table
from gatenet.gate import Gate
from gatenet.history import History
from gatenet.manifest import record_models, sha256, write_atomically
from gatenet.network import DEFAULT_RESTARTS, NetworkError, NetworkSpec

TEST_DATA_SET = "test_data_set_0"
HISTORY_FILE = "history.json"


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

    @property
    def steps(self) -> int:
        return self.network.steps


def network_for(gate: Gate, *settings: Mapping[str, object] | None) -> NetworkSpec:
    """gatenet's defaults, then the plugin's hints for this gate, then each mapping of settings in turn."""
    network = NetworkSpec().with_changes(**gate.network)
    for layer in settings:
        try:
            network = network.with_changes(**dict(layer or {}))
        except TypeError as error:
            known = ", ".join(NetworkSpec.__dataclass_fields__)
            raise NetworkError(f"unknown network setting ({error}); settings are: {known}") from None
    return network


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
) -> list[GateResult]:
    """Train, (export) and verify each gate; a gate that fails leaves its earlier model untouched.

    Each gate trains from seeds `seed` .. `seed + restarts - 1` at once and keeps its best verified
    network. With `export=False` nothing is written and only the Keras check is made.
    `gate_settings` (by lower-case gate name) apply before `settings`, which apply to every gate.
    """
    gates = list(gates)
    if not 0 < margin <= 0.5:
        raise ValueError(f"margin: must be in (0, 0.5], got {margin}")
    if restarts < 1:
        raise ValueError(f"restarts: must be at least 1, got {restarts}")
    groups: dict[tuple, list[Gate]] = {}
    for gate in gates:
        network = network_for(gate, (gate_settings or {}).get(gate.key), settings)
        groups.setdefault((gate.inputs, gate.outputs, network), []).append(gate)
    for _, _, network in groups:
        trainer.check_network(network)
    out_dir = Path(out_dir)
    if export:
        out_dir.mkdir(parents=True, exist_ok=True)
    seeds = list(range(seed, seed + restarts))
    results: dict[str, GateResult] = {}
    for (_, _, network), group in groups.items():
        started, problem = time.perf_counter(), ""
        try:
            trials = trainer.train_together(group, network, seeds)
        except Exception as error:  # one line naming the failure, not a traceback from inside Keras
            problem = f"training failed: {type(error).__name__}: {_first_line(error)}"
            trials = [[] for _ in group]
        share = (time.perf_counter() - started) / len(group)
        entries = {}
        for gate, gate_trials in zip(group, trials, strict=True):
            started = time.perf_counter()
            result = _finish(gate, network, gate_trials, out_dir, margin, export) if gate_trials else None
            if result is None:
                result = GateResult(gate, network, False, float("nan"), None, 0.0, seed, problem=problem)
            result.seconds += share + time.perf_counter() - started
            if result.path is not None:
                _write_history(result, out_dir)
                entries[result.path.name] = _manifest_entry(result, margin)
            results[gate.key] = result
        if entries:
            record_models(out_dir, entries)
        for gate in group:
            if on_result is not None:
                on_result(results[gate.key])
    return [results[gate.key] for gate in gates]


def _finish(
    gate: Gate,
    network: NetworkSpec,
    trials: list[trainer.Trained],
    out_dir: Path,
    margin: float,
    export: bool,
) -> GateResult:
    """Keep the restart with the widest margin that verifies in Keras and, when exporting, in ONNX."""
    checked = sorted(
        ((check_table(gate.table, trial.probabilities, margin), trial) for trial in trials),
        key=lambda pair: pair[0].worst_margin,
        reverse=True,
    )
    seeds = f"{trials[0].seed}..{trials[-1].seed}" if len(trials) > 1 else str(trials[0].seed)
    problem = f"no seed of {seeds} verified; the best, seed {checked[0][1].seed}: {checked[0][0].details}"
    for check, trial in checked:
        if not check.verified:
            break
        path = None
        if export:
            path = out_dir / f"{gate.key}.onnx"
            check = _export(trial, path, margin)
            if not check.verified:
                problem = f"seed {trial.seed}: {check.details}"
                continue
            _write_test_data(gate, out_dir, check.probabilities)
        return GateResult(
            gate,
            network,
            True,
            check.worst_margin,
            trial.history.first_right_step,
            0.0,
            trial.seed,
            path,
            history=trial.history,
        )
    best_check, best = checked[0]
    return GateResult(gate, network, False, best_check.worst_margin, None, 0.0, best.seed, problem=problem)


def _export(trained: trainer.Trained, path: Path, margin: float) -> Check:
    """Export to a temporary file, verify it with onnxruntime, and only then move it into place."""
    metadata = contract.model_metadata(trained.gate, margin, trained.seed, trained.network.to_dict())
    checks: list[Check] = []

    def onnx_verifies(candidate: Path) -> bool:
        checks.append(runtime.load(candidate).verify(margin))
        return checks[0].verified

    write_atomically(path, exporter.to_onnx(trained, metadata), onnx_verifies)
    return replace(checks[0], details=f"onnxruntime: {checks[0].details}")


def _write_test_data(gate: Gate, out_dir: Path, probabilities: np.ndarray) -> None:
    """`<gate>/test_data_set_0/`, so any runtime's test harness can check the model without gatenet.

    The outputs are the ones onnxruntime gave when it verified the file, so nothing runs twice.
    """
    folder = out_dir / gate.key / TEST_DATA_SET
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in exporter.test_data_set(gate.rows, probabilities).items():
        write_atomically(folder / name, data)


def _write_history(result: GateResult, out_dir: Path) -> None:
    """`<gate>/history.json`: the learning curve behind the model, for `gatenet plot` and notebooks."""
    data = {"gate": result.gate.name, "seed": result.seed, "worst_margin": round(result.worst_margin, 6)}
    data.update(result.history.to_dict())
    write_atomically(out_dir / result.gate.key / HISTORY_FILE, (json.dumps(data) + "\n").encode())


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else ""


def _manifest_entry(result: GateResult, margin: float) -> dict:
    gate = result.gate
    return {
        "gate": gate.name,
        "sha256": sha256(result.path),
        "opset": contract.OPSET,
        "inputs": list(gate.input_names),
        "outputs": list(gate.output_names),
        "truth_table": contract.encode_table(gate.table),
        "test_data": f"{gate.key}/{TEST_DATA_SET}",
        "history": f"{gate.key}/{HISTORY_FILE}",
        "verified": result.verified,
        "margin": margin,
        "worst_margin": round(result.worst_margin, 6),
        "seed": result.seed,
        "steps": result.steps,
        "first_right_step": result.first_right_step,
        "network": result.network.to_dict(),
    }
