"""Run exported gate models with onnxruntime alone: no TensorFlow, no Keras, no tf2onnx.

A model file carries its gate's truth table in its metadata, so a lone `.onnx` file can prove itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from gatenet import contract
from gatenet.check import Check, check_table
from gatenet.gate import Bits
from gatenet.manifest import read_manifest, sha256

_OUTPUTS = [contract.OUTPUT_NAME]


class ModelError(ValueError):
    """A model file that cannot be used; the message names the file."""


def _session_options() -> ort.SessionOptions:
    """Tiny models: one thread avoids thread-pool hand-offs that cost more than the arithmetic."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    return options


class GateModel(Bits):
    """One exported gate model with one onnxruntime session, reused for every call."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ModelError(f"{self.path}: no such model file")
        try:
            self.session = ort.InferenceSession(
                str(self.path), _session_options(), providers=["CPUExecutionProvider"]
            )
        except Exception as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ModelError(f"{self.path}: not a loadable ONNX model ({reason})") from None
        try:
            self._read_metadata(self.session.get_modelmeta().custom_metadata_map)
        except (KeyError, ValueError, TypeError) as error:
            raise ModelError(f"{self.path}: not a gatenet model ({error})") from None

    def _read_metadata(self, meta: dict[str, str]) -> None:
        self.metadata = dict(meta)
        self.name = meta[contract.KEY_GATE]
        self.input_names = _name_list(meta[contract.KEY_INPUTS], contract.KEY_INPUTS)
        self.output_names = _name_list(meta[contract.KEY_OUTPUTS], contract.KEY_OUTPUTS)
        self.table = contract.decode_table(json.loads(meta[contract.KEY_TRUTH]), self.inputs)
        if self.table.shape[1] != self.outputs:
            raise ValueError(f"truth table has {self.table.shape[1]} outputs, names {self.outputs}")
        self.margin = float(meta[contract.KEY_MARGIN])
        inputs = self.session.get_inputs()
        if [i.name for i in inputs] != [contract.INPUT_NAME] or inputs[0].shape[1:] != [self.inputs]:
            raise ValueError(f"expected one input {contract.INPUT_NAME!r} of shape [N, {self.inputs}]")

    def probabilities(self, rows: object) -> np.ndarray:
        """Probabilities, float32 [N, outputs], for rows of input bits."""
        return self.session.run(_OUTPUTS, {contract.INPUT_NAME: self._as_rows(rows)})[0]

    def predict(self, rows: object) -> np.ndarray:
        """Output bits, uint8 [N, outputs], for rows of input bits."""
        return (self.probabilities(rows) > 0.5).astype(np.uint8)

    def probabilities_between(self, points: np.ndarray) -> np.ndarray:
        """Probabilities at real-valued points in [0, 1]^inputs, for drawing the model between the bits.

        `predict` and `probabilities` take exact bits only; this is for pictures such as decision surfaces.
        """
        array = np.asarray(points, dtype=np.float32)
        if array.ndim != 2 or array.shape[1] != self.inputs or not np.all((array >= 0) & (array <= 1)):
            raise ValueError(f"gate {self.name!r}: expected points of shape [N, {self.inputs}] within [0, 1]")
        return self.session.run(_OUTPUTS, {contract.INPUT_NAME: array})[0]

    def verify(self, margin: float | None = None) -> Check:
        """Check the model against the truth table stored in its own metadata."""
        probabilities = self.probabilities(self.rows)
        return check_table(self.table, probabilities, self.margin if margin is None else margin)

    def _as_rows(self, rows: object) -> np.ndarray:
        """Rows as float32 [N, inputs]; anything but 0 and 1 is refused, never rounded.

        The happy path is a handful of numpy calls: on a 4-row table they cost about what the model does.
        """
        try:
            array = rows if isinstance(rows, np.ndarray) else np.asarray(rows)
        except ValueError:
            raise self._refusal("; the rows have different lengths") from None
        if array.dtype.kind not in "biuf":
            kind = "text" if array.dtype.kind in "US" else f"{array.dtype} values"
            raise self._refusal(f"; inputs must be the numbers 0 or 1, got {kind}")
        if array.ndim != 2 or array.shape[1] != self.inputs:
            raise self._refusal(f", got an array of shape {array.shape}")
        if array.shape[0] == 0:
            raise self._refusal(", got an empty batch")
        # x * (1 - x) is zero only for 0 and 1 (NaN and inf included, and integers cannot wrap to 0).
        if array.dtype.kind != "b" and np.count_nonzero(array * (1 - array)):
            bad = np.unique(array[(array != 0) & (array != 1)])[:5].tolist()
            raise self._refusal(f"; inputs must be 0 or 1, got {bad}")
        return array.astype(np.float32, copy=False)

    def _refusal(self, problem: str) -> ValueError:
        names = ", ".join(self.input_names)
        return ValueError(f"gate {self.name!r}: expected rows of {self.inputs} bits ({names}){problem}")


def _name_list(text: str, key: str) -> tuple[str, ...]:
    names = json.loads(text)
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{key} must be a non-empty list of names")
    return tuple(names)


def load(path: Path | str) -> GateModel:
    """Load one exported model."""
    return GateModel(path)


def load_dir(directory: Path | str = "exported") -> dict[str, GateModel]:
    """Every model in a folder, keyed by lower-case gate name, each checked against `manifest.json`."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    models = [_load_listed(path, manifest) for path in sorted(directory.glob("*.onnx"))]
    return {model.name.lower(): model for model in models}


def load_gate(name: str, directory: Path | str = "exported") -> GateModel:
    """The model of one gate (any letter case) from a folder, checked against `manifest.json`."""
    directory = Path(directory)
    path = directory / f"{name.lower()}.onnx"
    if not path.is_file():
        available = ", ".join(sorted(p.stem.upper() for p in directory.glob("*.onnx"))) or "none"
        raise ModelError(f"{path}: no model of gate {name!r} in {directory} (models there: {available})")
    return _load_listed(path, read_manifest(directory))


def _load_listed(path: Path, manifest: dict) -> GateModel:
    """Load a model, refusing it when a manifest exists and does not vouch for these exact bytes."""
    if manifest:
        entry = manifest.get(path.name)
        if entry is None:
            raise ModelError(f"{path}: not listed in manifest.json")
        if entry.get("sha256") != sha256(path):
            raise ModelError(f"{path}: SHA-256 differs from manifest.json")
    return load(path)


@dataclass(frozen=True)
class FileCheck:
    """One file's verdict in `verify_dir`: a check, or the reason it could not be checked."""

    path: Path
    check: Check | None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.check is not None and self.check.verified


def verify_dir(directory: Path | str, margin: float | None = None) -> list[FileCheck]:
    """Verify every model in a folder, and each one's SHA-256 against `manifest.json` if present."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    results = []
    for path in sorted(directory.glob("*.onnx")):
        try:
            results.append(FileCheck(path, _load_listed(path, manifest).verify(margin)))
        except ModelError as error:
            results.append(FileCheck(path, None, str(error)))
    for name in sorted(set(manifest) - {result.path.name for result in results}):
        results.append(
            FileCheck(directory / name, None, f"{directory / name}: listed in manifest.json but missing")
        )
    return results
