"""From gates to verified model files: train, retry on failure, export, check with onnxruntime, commit.

A model file and its manifest entry are only replaced once the new model has passed both checks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from gatenet import contract, exporter, runtime, trainer
from gatenet.check import DEFAULT_MARGIN, Check, check_table
from gatenet.gate import Gate
from gatenet.history import History
from gatenet.manifest import record_model, sha256, write_atomically
from gatenet.network import NetworkSpec

DEFAULT_ATTEMPTS = 3
TEST_DATA_SET = "test_data_set_0"


@dataclass
class GateResult:
    """How one gate's training went; `path` is set only when a verified model was written."""

    gate: Gate
    verified: bool
    worst_margin: float
    steps: int
    first_right_step: int | None
    seconds: float
    seed: int
    attempts: int
    path: Path | None = None
    problem: str = ""
    history: History | None = None


def train_gates(
    gates: Iterable[Gate],
    out_dir: Path | str = "exported",
    network: NetworkSpec | None = None,
    seed: int = 0,
    margin: float = DEFAULT_MARGIN,
    attempts: int = DEFAULT_ATTEMPTS,
    on_result: Callable[[GateResult], None] | None = None,
) -> list[GateResult]:
    """Train, export and verify each gate; a gate that fails leaves its earlier model untouched."""
    network = network or NetworkSpec()
    trainer.check_network(network)
    if not 0 < margin <= 0.5:
        raise ValueError(f"margin: must be in (0, 0.5], got {margin}")
    if attempts < 1:
        raise ValueError(f"attempts: must be at least 1, got {attempts}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for gate in gates:
        result = train_gate(gate, out_dir, network, seed, margin, attempts)
        if on_result is not None:
            on_result(result)
        results.append(result)
    return results


def train_gate(
    gate: Gate, out_dir: Path, network: NetworkSpec, seed: int, margin: float, attempts: int
) -> GateResult:
    """Try seeds `seed`, `seed + 1`, ... until one gives a model that verifies in Keras and ONNX."""
    started = time.perf_counter()
    path = out_dir / f"{gate.key}.onnx"
    worst_margin, problem = float("nan"), ""
    for attempt, attempt_seed in enumerate(range(seed, seed + attempts), start=1):
        try:
            trained = trainer.train(gate, network, attempt_seed)
        except Exception as error:  # one line naming the failure, not a traceback from inside Keras
            problem = f"training failed: {type(error).__name__}: {_first_line(error)}"
            break
        check = check_table(gate.table, trained.probabilities, margin)
        if check.verified:
            check = _export(gate, path, trained, network, margin)
        if check.verified:
            _write_test_data(gate, out_dir)
            record_model(out_dir, path.name, _manifest_entry(gate, path, network, check, trained))
            return GateResult(
                gate=gate,
                verified=True,
                worst_margin=check.worst_margin,
                steps=network.steps,
                first_right_step=trained.history.first_right_step,
                seconds=time.perf_counter() - started,
                seed=attempt_seed,
                attempts=attempt,
                path=path,
                history=trained.history,
            )
        worst_margin, problem = check.worst_margin, f"seed {attempt_seed}: {check.details}"
    return GateResult(
        gate=gate,
        verified=False,
        worst_margin=worst_margin,
        steps=network.steps,
        first_right_step=None,
        seconds=time.perf_counter() - started,
        seed=attempt_seed,
        attempts=attempt,
        problem=problem,
    )


def _export(gate: Gate, path: Path, trained: trainer.Trained, network: NetworkSpec, margin: float) -> Check:
    """Export to a temporary file, verify it with onnxruntime, and only then move it into place."""
    metadata = contract.model_metadata(gate, margin, trained.seed, network.to_dict())
    checks: list[Check] = []

    def onnx_verifies(candidate: Path) -> bool:
        checks.append(runtime.load(candidate).verify(margin))
        return checks[0].verified

    write_atomically(path, exporter.to_onnx(trained.model, gate, metadata), onnx_verifies)
    return replace(checks[0], details=f"onnxruntime: {checks[0].details}")


def _write_test_data(gate: Gate, out_dir: Path) -> None:
    """`<gate>/test_data_set_0/`, so any runtime's test harness can check the model without gatenet."""
    folder = out_dir / gate.key / TEST_DATA_SET
    folder.mkdir(parents=True, exist_ok=True)
    probabilities = runtime.load(out_dir / f"{gate.key}.onnx").probabilities(gate.rows)
    for name, data in exporter.test_data_set(gate.rows, probabilities).items():
        write_atomically(folder / name, data)


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else ""


def _manifest_entry(
    gate: Gate, path: Path, network: NetworkSpec, check: Check, trained: trainer.Trained
) -> dict:
    return {
        "gate": gate.name,
        "sha256": sha256(path),
        "opset": contract.OPSET,
        "inputs": list(gate.input_names),
        "outputs": list(gate.output_names),
        "truth_table": contract.encode_table(gate.table),
        "test_data": f"{gate.key}/{TEST_DATA_SET}",
        "verified": check.verified,
        "margin": check.margin,
        "worst_margin": round(check.worst_margin, 6),
        "seed": trained.seed,
        "steps": network.steps,
        "first_right_step": trained.history.first_right_step,
        "network": network.to_dict(),
    }
