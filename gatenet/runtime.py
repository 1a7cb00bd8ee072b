"""Run exported gate models with onnxruntime alone: no TensorFlow, no Keras, no tf2onnx.

A model file carries its gate's truth table in its metadata, so a lone `.onnx` file can prove itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from gatenet import contract
from gatenet.check import DEFAULT_MARGIN, Check, check_margin, check_table
from gatenet.contract import encode_table
from gatenet.errors import first_line
from gatenet.gate import Bits, Gate
from gatenet.recipe import definition_changes
from gatenet.record import ModelRecord, short
from gatenet.store import ModelFolder, ModelRead

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
    """One exported gate model with one onnxruntime session, reused for every call.

    `data` is the file's bytes when the caller has read (and checked) them already, so the bytes
    that were hashed are the bytes that run; they are kept (`data`) for exports that read the graph.
    `margin` is the one it is verified at: its manifest entry's, never what the file says of itself
    (`declared_margin`), which a folder from someone else could set to anything; else the default.
    """

    def __init__(self, path: Path | str, data: bytes | None = None, margin: float | None = None) -> None:
        self.path = Path(path)
        self.margin = DEFAULT_MARGIN if margin is None else check_margin(margin)
        if data is None:
            if not self.path.is_file():
                raise ModelError(f"{self.path}: no such model file")
            try:
                data = self.path.read_bytes()
            except OSError as error:
                raise ModelError(f"{self.path}: cannot read ({error.strerror})") from None
        try:
            self.session = ort.InferenceSession(data, _session_options(), providers=["CPUExecutionProvider"])
        except Exception as error:
            reason = first_line(error) or type(error).__name__
            raise ModelError(f"{self.path}: not a loadable ONNX model ({reason})") from None
        self.data = data
        try:
            self._read_metadata(self.session.get_modelmeta().custom_metadata_map)
        except (KeyError, ValueError, TypeError) as error:
            raise ModelError(f"{self.path}: not a gatenet model ({error})") from None

    def _read_metadata(self, meta: dict[str, str]) -> None:
        self.metadata = dict(meta)
        self.name = meta[contract.KEY_GATE]
        self.input_names = _name_list(meta[contract.KEY_INPUTS], contract.KEY_INPUTS)
        self.output_names = _name_list(meta[contract.KEY_OUTPUTS], contract.KEY_OUTPUTS)
        self.sampled = _sample_size(meta.get(contract.KEY_VERIFICATION))
        self.table = None  # a circuit verified on a sample: too many rows to store
        if contract.KEY_TRUTH in meta or not self.sampled:
            self.table = contract.decode_table(json.loads(meta[contract.KEY_TRUTH]), self.inputs)
            if self.table.shape[1] != self.outputs:
                raise ValueError(f"truth table has {self.table.shape[1]} outputs, names {self.outputs}")
        self.declared_margin = check_margin(float(meta[contract.KEY_MARGIN]), contract.KEY_MARGIN)
        for kind, found, name, width in [
            ("input", self.session.get_inputs(), contract.INPUT_NAME, self.inputs),
            ("output", self.session.get_outputs()[:1], contract.OUTPUT_NAME, self.outputs),
        ]:
            if [value.name for value in found] != [name] or found[0].shape[1:] != [width]:
                raise ValueError(f"expected {kind} {name!r} of shape [N, {width}], as the metadata says")

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
        if self.table is None:
            raise ModelError(
                f"{self.path}: verified on a sample of {self.sampled} rows when it was built, so it stores "
                "no truth table; check it against its circuit with `verify_rows` (gatenet verify does)"
            )
        return self.verify_rows(self.rows, self.table, margin)

    def verify_rows(self, rows: np.ndarray, expected: np.ndarray, margin: float | None = None) -> Check:
        """Check the model on `rows` against `expected` outputs, e.g. a circuit's on its sample."""
        probabilities = self.probabilities(rows)
        return check_table(expected, probabilities, self.margin if margin is None else margin)

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
            raise self._refusal(self._shape_problem(array))
        if array.shape[0] == 0:
            raise self._refusal(", got an empty batch")
        # x * (1 - x) is zero only for 0 and 1 (NaN and inf included, and integers cannot wrap to 0).
        if array.dtype.kind != "b" and np.count_nonzero(array * (1 - array)):
            bad = np.unique(array[(array != 0) & (array != 1)])[:5].tolist()
            raise self._refusal(f"; inputs must be 0 or 1, got {bad}")
        return array.astype(np.float32, copy=False)

    def _shape_problem(self, array: np.ndarray) -> str:
        """What is wrong with the rows' shape in the caller's terms, not numpy's (`(1, 0)`)."""
        if array.ndim == 2:
            return f", got rows of {array.shape[1]} bits"
        example = [[index % 2 for index in range(self.inputs)]]
        if array.ndim == 1:
            return f", got one flat list of {array.shape[0]} values; give a list of rows, e.g. {example}"
        return f", got an array of shape {array.shape}; give a list of rows, e.g. {example}"

    def _refusal(self, problem: str) -> ValueError:
        names = ", ".join(self.input_names)
        return ValueError(f"gate {self.name!r}: expected rows of {self.inputs} bits ({names}){problem}")


def run_outputs(data: bytes, rows: np.ndarray, outputs: list[str]) -> list[np.ndarray]:
    """Any named tensors of a model with gatenet's input, for looking inside it (a circuit's gates)."""
    session = ort.InferenceSession(data, _session_options(), providers=["CPUExecutionProvider"])
    return session.run(outputs, {contract.INPUT_NAME: np.asarray(rows, np.float32)})


def _sample_size(text: str | None) -> int | None:
    """The row count of `sampled N` (a circuit too large for a stored table), or None."""
    if text is None:
        return None
    kind, _, count = text.partition(" ")
    if kind != "sampled" or not count.isdigit():
        raise ValueError(f"{contract.KEY_VERIFICATION} must be 'sampled N', got {text!r}")
    return int(count)


def _name_list(text: str, key: str) -> tuple[str, ...]:
    names = json.loads(text)
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{key} must be a non-empty list of names")
    return tuple(names)


def load(path: Path | str, margin: float | None = None) -> GateModel:
    """Load one exported model file on its own; a folder's models are better read with `load_gate`.

    A lone file has no manifest to vouch for it, so its `verify()` is at `margin`, else the default
    0.4, never at the margin the file declares for itself (`declared_margin`).
    """
    return GateModel(path, margin=margin)


def load_dir(directory: Path | str = "exported", require_manifest: bool = True) -> dict[str, GateModel]:
    """Every model in a folder, keyed by lower-case gate name, each checked against `manifest.json`."""
    folder = ModelFolder(directory)
    reads = folder.read_models(folder.model_names())
    models = [_load_checked(folder, read, require_manifest) for read in reads]
    return {model.name.lower(): model for model in models}


def load_gate(name: str, directory: Path | str = "exported", require_manifest: bool = True) -> GateModel:
    """The model of one gate (any letter case) from a folder, checked against `manifest.json`.

    With `require_manifest=False` a model the manifest does not list is still loaded, unchecked.
    """
    folder = ModelFolder(directory)
    names = folder.model_names()
    file_name = folder.model_name(name.lower())
    if file_name not in names:
        available = ", ".join(folder.key_of(n).upper() for n in names) or "none"
        raise ModelError(f"{folder.root}: no model of gate {name!r} (models there: {available})")
    return _load_checked(folder, folder.read_model(file_name), require_manifest)


def _load_checked(folder: ModelFolder, read: ModelRead, require_manifest: bool) -> GateModel:
    """A model whose bytes, file name, metadata and manifest entry all agree, or a ModelError saying which."""
    unlisted = read.entry is None and read.data is not None
    problems = read.problems[1:] if unlisted and not require_manifest else read.problems
    if problems:
        raise ModelError(problems[0])
    return model_from_entry(folder, read.name, read.data, read.entry)


def model_from_entry(folder: ModelFolder, name: str, data: bytes, entry: ModelRecord | None) -> GateModel:
    """The model file `name` of a folder, from bytes already checked against its manifest `entry` (None
    for a model the manifest does not list): its metadata must name the gate of its file name, and agree
    with every field of its entry, the margin included; else a ModelError naming the field and both values.
    """
    model = GateModel(folder.root / name, data, None if entry is None else entry.margin)
    claims = folder.model_name(model.name.lower())
    if claims != name:
        raise ModelError(f"{model.path}: holds a model of gate {model.name!r}, which belongs in {claims}")
    if entry is not None:
        says = {
            "gate": model.name,
            "inputs": model.input_names,
            "outputs": model.output_names,
            "truth_table": None if model.table is None else tuple(encode_table(model.table)),
            "margin": model.declared_margin,
        }
        for field, value in says.items():
            if getattr(entry, field) != value:
                raise ModelError(
                    f"{model.path}: its metadata says {field} {short(value)}, "
                    f"its entry in manifest.json {short(getattr(entry, field))}"
                )
    return model


@dataclass(frozen=True)
class FileCheck:
    """One file's verdict in `verify_dir`: a check, or the reason it could not be checked."""

    path: Path
    check: Check | None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.check is not None and self.check.verified and not self.problem


def verify_dir(
    directory: Path | str,
    margin: float | None = None,
    gates: Mapping[str, Gate] | None = None,
    require_manifest: bool = True,
) -> list[FileCheck]:
    """Verify every model in a folder: its files against `manifest.json`, its outputs against its table.

    `gates` (lower-case name -> the gate as its plugin defines it now) finds models trained for an
    older definition of their gate.
    """
    if margin is not None:
        check_margin(margin)
    folder = ModelFolder(directory)
    gates = gates or {}
    return [
        verify_read(folder, read, gates.get(folder.key_of(read.name)), margin, require_manifest)
        for read in folder.read_models(folder.model_names())
    ]


def verify_read(
    folder: ModelFolder,
    read: ModelRead,
    gate: Gate | None = None,
    margin: float | None = None,
    require_manifest: bool = True,
) -> FileCheck:
    """One model's verdict, from a read of the folder: its files, its metadata against its entry, and
    its outputs on every row at `margin` (else its manifest entry's, else the default)."""
    try:
        model = _load_checked(folder, read, require_manifest)
    except ModelError as error:
        return FileCheck(folder.root / read.name, None, str(error))
    return _check_file(model, gate, margin)


def _check_file(model: GateModel, gate: Gate | None, margin: float | None) -> FileCheck:
    """One model's verdict: against its own table, or (a sampled circuit) against its plugin's outputs."""
    try:
        if model.table is not None:
            return FileCheck(model.path, model.verify(margin), _stale(model, gate))
        if hasattr(gate, "verification_rows"):
            rows = gate.verification_rows()
            return FileCheck(model.path, model.verify_rows(rows, gate.outputs_for(rows), margin))
    except ValueError as error:  # the plugin's definition is broken (a CircuitError): this file only
        return FileCheck(model.path, None, f"its definition in the plugin fails: {error}")
    why = f"built on a sample of {model.sampled} rows; check it with the plugin of circuit {model.name}"
    return FileCheck(model.path, None, why)


def _stale(model: GateModel, gate: Gate | None) -> str:
    """Why a model no longer matches its gate's current definition, or "" when it does (or is unknown)."""
    changes = out_of_date(model, gate)
    return f"retrain: {'; '.join(changes)}" if changes else ""


def out_of_date(model: GateModel, gate: Gate | None) -> list[str]:
    """How `gate`, as its plugin defines it now, differs from what `model` was trained for: empty when
    it does not, or no plugin defines it. A caller that runs the model says so, since the model still
    computes the old gate."""
    if gate is None:
        return []
    table = None if model.table is None else encode_table(model.table)
    return definition_changes(gate, table, model.input_names, model.output_names)
