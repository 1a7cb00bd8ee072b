"""What one model in a folder is: the typed record of its manifest entry, made and validated here only.

Every model has a kind, which says what made it and so which fields its record has:

- `Kind.NETWORK`: a small neural network trained on the gate's truth table (`Training`);
- `Kind.LOGIC`: a network of learned two-input logic gates, discretized to an exact circuit
  (`Training`, and `logic`: its gate count, its depth and the rung of its spec's ladder that learned
  it; the netlist itself is in the model file);
- `Kind.CIRCUIT`: built from the folder's gate models by a plugin's netlist (`circuit`: the recipe,
  and how it verified).

Writers make records; the manifest stores them as JSON (`to_json`); readers get them back validated
(`from_json`), so no other module reads a raw entry. A new kind adds a member to `Kind` and its fields.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from importlib import metadata

from gatenet.check import MARGIN_RULE, is_margin
from gatenet.gate import NAME_RULE, is_name

MODEL_SUFFIX = ".onnx"
SHA256 = re.compile(r"[0-9a-f]{64}")
RELATIVE_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*(/[A-Za-z0-9_][A-Za-z0-9_.\-]*)*")


class Kind(StrEnum):
    """What made a model, and so which fields its record has."""

    NETWORK = "network"
    LOGIC = "logic"
    CIRCUIT = "circuit"

    @property
    def trained(self) -> bool:
        """Whether a learner trained it (so it has `Training` and a learning curve)."""
        return self is not Kind.CIRCUIT


class ManifestError(ValueError):
    """A manifest, or an entry of it, that cannot be trusted; the message names the file, the entry
    and the field."""


@dataclass(frozen=True)
class Training:
    """How a gate model was trained. `build` and `trained_with` are None for gatenet 0.1's models."""

    seed: int
    steps: int
    first_right_step: int | None
    network: dict
    build: dict | None = None
    trained_with: dict | None = None


@dataclass(frozen=True)
class ModelRecord:
    """One model of a folder: its gate, its contract, how it verified, its files and how it was made.

    `truth_table` is None only for a circuit too large to tabulate (verified on a sample); `files` is
    None only in a manifest of format 1, which listed the model's SHA-256 alone. The file paths and
    digests are the model folder's to fill in (`with_files`) when it commits the model.
    """

    kind: Kind
    gate: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    truth_table: tuple[str, ...] | None
    margin: float
    worst_margin: float
    opset: int
    training: Training | None = None
    logic: dict | None = None
    circuit: dict | None = None
    sha256: str = ""
    test_data: str = ""
    history: str = ""
    files: dict[str, str] | None = None

    @property
    def key(self) -> str:
        """The gate's key, its lower-case name, which names its files."""
        return self.gate.lower()

    def with_files(self, sha256: str, test_data: str, history: str, files: dict[str, str]) -> ModelRecord:
        return replace(self, sha256=sha256, test_data=test_data, history=history, files=files)

    def to_json(self) -> dict:
        """The manifest entry, its fields always in one order, so the same record gives the same bytes."""
        entry: dict = {"gate": self.gate, "kind": self.kind.value, "sha256": self.sha256, "opset": self.opset}
        entry.update(inputs=list(self.inputs), outputs=list(self.outputs))
        if self.truth_table is not None:
            entry["truth_table"] = list(self.truth_table)
        entry.update(verified=True, margin=self.margin, worst_margin=self.worst_margin)
        if self.training is not None:
            training = self.training
            entry.update(seed=training.seed, steps=training.steps, first_right_step=training.first_right_step)
            entry["network"] = training.network
            for name in ("build", "trained_with"):
                if getattr(training, name) is not None:
                    entry[name] = getattr(training, name)
        for name in ("logic", "circuit"):
            if getattr(self, name) is not None:
                entry[name] = getattr(self, name)
        entry.update(test_data=self.test_data, history=self.history)
        if self.files is not None:
            entry["files"] = self.files
        return entry

    @classmethod
    def from_json(cls, name: str, entry: object, where: str, version: int) -> ModelRecord:
        """The record of the entry `name` of a manifest of format `version`, or a ManifestError naming
        `where` and the field. Formats 1 and 2 had no `kind`: a `circuit` field made a circuit, whose
        placeholder training fields are dropped."""
        if not isinstance(entry, dict):
            raise ManifestError(f"{where}: expected a mapping of fields, got {type(entry).__name__}")
        field = _Fields(entry, where)
        kind = Kind(field.get("kind", _is_kind, KINDS)) if version >= 3 else _implied_kind(entry)
        gate = field.get("gate", is_name, f"a gate name ({NAME_RULE})")
        if name != f"{gate.lower()}{MODEL_SUFFIX}":
            raise ManifestError(f"{where}: the entry is for gate {gate!r}, whose file is not {name!r}")
        field.get("verified", lambda v: v is True, "true")
        circuit = field.get("circuit", _is_circuit, CIRCUIT_MEANING) if kind is Kind.CIRCUIT else None
        sampled = str(circuit.get("verification", "")).startswith("sampled ") if circuit else False
        table = field.get("truth_table", _is_table, "a list of strings of 0 and 1", optional=sampled)
        files = field.get("files", _is_files, FILES_MEANING, optional=version < 2)
        return cls(
            kind=kind,
            gate=gate,
            inputs=tuple(field.get("inputs", _is_names, "a list of input names")),
            outputs=tuple(field.get("outputs", _is_names, "a list of output names")),
            truth_table=None if table is None else tuple(table),
            margin=field.get("margin", is_margin, MARGIN_RULE),
            worst_margin=field.get("worst_margin", _is_number, "a number"),
            opset=field.get("opset", is_whole, "a whole number"),
            training=_training(field) if kind.trained else None,
            logic=field.get("logic", _is_logic, LOGIC_MEANING) if kind is Kind.LOGIC else None,
            circuit=circuit,
            sha256=field.get("sha256", _is_sha256, "64 hex digits"),
            test_data=field.get("test_data", is_relative_path, INSIDE),
            history=field.get("history", is_relative_path, INSIDE),
            files=files,
        )


@dataclass(frozen=True)
class _Fields:
    """Reads an entry's fields one by one, each checked, each failure one line naming the field."""

    entry: dict
    where: str

    def get(self, name: str, valid: Callable[[object], bool], meaning: str, optional: bool = False):
        if name not in self.entry:
            if optional:
                return None
            raise ManifestError(f"{self.where}: missing field {name!r}")
        value = self.entry[name]
        if not valid(value):
            raise ManifestError(f"{self.where}: {name} must be {meaning}, got {short(value)}")
        return value


def _training(field: _Fields) -> Training:
    return Training(
        seed=field.get("seed", _is_int, "a whole number"),
        steps=field.get("steps", is_whole, "a whole number"),
        first_right_step=field.get(
            "first_right_step", lambda v: v is None or is_whole(v), "a whole number or null"
        ),
        network=field.get("network", lambda v: isinstance(v, dict), "a mapping of network settings"),
        build=field.get(
            "build",
            _is_build,
            "a mapping of whole numbers seed, restarts and export (and escalate and rung)",
            optional=True,
        ),
        trained_with=field.get(
            "trained_with", _is_versions, "a mapping of library names to versions", optional=True
        ),
    )


def _implied_kind(entry: dict) -> Kind:
    return Kind.CIRCUIT if "circuit" in entry else Kind.NETWORK


BUILD_FIELDS = {"seed", "restarts", "export"}
LADDER_FIELDS = {"escalate", "rung"}  # a network model's escalation ceiling and the rung that made it
INSIDE = "a relative path inside the folder"
FILES_MEANING = "a mapping of relative paths inside the folder to SHA-256 digests"
KINDS = " or ".join(kind.value for kind in Kind)
LOGIC_MEANING = "a mapping with whole numbers gates and depth"
CIRCUIT_MEANING = "a mapping with wiring (digital or analog) and the SHA-256 of each gate model"


def _is_kind(value: object) -> bool:
    return value in {kind.value for kind in Kind}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_whole(value: object) -> bool:
    """A whole number: an int (not a bool) of at least 0."""
    return _is_int(value) and value >= 0


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _is_sha256(value: object) -> bool:
    return isinstance(value, str) and SHA256.fullmatch(value) is not None


def _is_names(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_text(item) for item in value)


def _is_table(value: object) -> bool:
    return _is_names(value) and all(set(column) <= {"0", "1"} for column in value)


def is_model_name(value: object) -> bool:
    """A model's file name, `xor.onnx`: a gate name, lower-cased, and the suffix."""
    return (
        isinstance(value, str)
        and value.endswith(MODEL_SUFFIX)
        and is_name(value.removesuffix(MODEL_SUFFIX))
        and value == value.lower()
    )


def is_relative_path(value: object) -> bool:
    """A plain relative path: no `..`, nothing absolute, no backslash or odd character."""
    return isinstance(value, str) and RELATIVE_PATH.fullmatch(value) is not None and ".." not in value


def _is_files(value: object) -> bool:
    return isinstance(value, dict) and all(
        is_relative_path(path) and _is_sha256(digest) for path, digest in value.items()
    )


def _is_build(value: object) -> bool:
    return (
        isinstance(value, dict)
        and BUILD_FIELDS <= set(value) <= BUILD_FIELDS | LADDER_FIELDS
        and all(map(_is_int, value.values()))
    )


def _is_circuit(value: object) -> bool:
    return (
        isinstance(value, dict)
        and value.get("wiring") in ("digital", "analog")
        and isinstance(value.get("gates"), dict)
        and all(is_relative_path(name) and _is_sha256(digest) for name, digest in value["gates"].items())
    )


def _is_logic(value: object) -> bool:
    return isinstance(value, dict) and all(is_whole(value.get(name)) for name in ("gates", "depth"))


def _is_versions(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


@functools.cache
def trained_with(*names: str) -> dict[str, str]:
    """The installed versions of the libraries that made a model: recorded beside its recipe, not part
    of it (docs/model-folder.md says why)."""
    return {name: metadata.version(name) for name in names}


def short(value: object) -> str:
    """A value as JSON for an error line, cut to 60 characters."""
    text = json.dumps(value) if not isinstance(value, float) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
