"""What the gallery shows of a model folder: one consistent snapshot of its manifest, as JSON documents.

The server and the static site both build their pages' data here, so the page reads the same documents
from either. The index (`gallery.json`) comes from the manifest and, for what only a model file says
(its description, a circuit's sample size), from the file's metadata, read without building a model:
every model file is read once and checked against its entry's SHA-256. Nothing more is held per model,
so memory does not grow with an onnxruntime session per model: a model gets its session
(`gatenet.runtime.GateModel`) only when it runs (`/api/predict`), and the last SESSIONS are kept. A file
handed out (a model, a history) is read again and checked against the manifest as it goes.

When the manifest changes, `Catalog.read(directory, previous)` reads again only the model files whose
entry's SHA-256 changed.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gatenet import contract
from gatenet.c_bitsliced import netlist_of
from gatenet.record import Kind, ModelRecord
from gatenet.runtime import GateModel, ModelError, model_from_entry
from gatenet.store import MANIFEST, READ_ATTEMPTS, FolderError, ModelFolder, parse_history

GALLERY = "gallery.json"
DETAILS = "details"
MODELS = "models"
PLAYGROUND = "playground"  # where a playground folder's models go, below the gallery's own
FORMAT = 1  # of gallery.json: raised when the page must change to read it
SESSIONS = 32  # models kept loaded for /api/predict, each an onnxruntime session of about 360 KB
METADATA_FIELD = 14  # ModelProto.metadata_props in onnx.proto: repeated {1: key, 2: value}
DRAWN_GATES = 400  # the most gates of a logic model's circuit sent to the page to draw, as SVG


@dataclass(frozen=True)
class FileFacts:
    """What the index needs from a model file that its manifest entry does not say."""

    sha256: str
    description: str
    sampled: int | None  # rows it was verified on, for a circuit too large for its truth table
    size: int


class Catalog:
    """Every model of a folder, from one committed state of its manifest; models load on demand."""

    def __init__(
        self, folder: ModelFolder, entries: dict[str, ModelRecord], facts: dict[str, FileFacts]
    ) -> None:
        self.folder = folder
        self.entries = entries  # lower-case gate name -> manifest entry
        self.models = facts  # lower-case gate name -> what its file says; the keys are the models
        self._loaded: OrderedDict[str, GateModel] = OrderedDict()
        self._indexes: dict[bool, bytes] = {}
        self._lock = threading.Lock()

    @classmethod
    def read(cls, directory: Path | str, known: Mapping[str, FileFacts] | None = None) -> Catalog:
        """Read the folder; a commit landing meanwhile is noticed (the manifest changed) and read again.

        A model file that is unlisted, missing or not what its entry says fails the whole read, as
        `gatenet verify` would: the gallery shows a folder whose files check, or says why not. Files
        read already (`known`, an earlier catalog's `models`), under the same SHA-256, are not read again.
        """
        folder = ModelFolder(directory)
        if not folder.root.is_dir():
            raise FolderError(f"{folder.root}: no such folder")
        known = known or {}
        for _ in range(READ_ATTEMPTS):
            listed = folder.entries()
            unlisted = sorted(set(folder.model_names()) - set(listed))
            if unlisted:
                raise FolderError(f"{folder.root / unlisted[0]}: integrity not checked: no manifest entry")
            entries = {folder.key_of(name): entry for name, entry in listed.items()}
            facts = {}
            for key, entry in entries.items():
                old = known.get(key)
                facts[key] = old if old and old.sha256 == entry.sha256 else _file_facts(folder, key, entry)
            if folder.entries() == listed:
                return cls(folder, entries, facts)
        raise FolderError(f"{folder.root}: kept changing while it was read; try again")

    def gallery(self, api: bool) -> dict:
        """The page's index of models (`gallery.json`); `api` says a server answers `api/` requests."""
        return {
            "format": FORMAT,
            "folder": self.folder.root.resolve().name,
            "api": api,
            "models": [self._summary(key) for key in sorted(self.models)],
        }

    def gallery_bytes(self, api: bool) -> bytes:
        """`gallery` as JSON, made once per snapshot: for 65,536 models it is tens of megabytes."""
        with self._lock:
            if api not in self._indexes:
                self._indexes[api] = json.dumps(self.gallery(api), separators=(",", ":")).encode()
            return self._indexes[api]

    def details(self, key: str) -> dict | None:
        """What one model's page needs beyond the index: its truth table and learning curve, and a logic
        model's circuit (`netlist`, or `netlist_problem`: why it is not drawn).

        Kept out of `gallery.json` because a truth table can be large (ADD8's is 1.2 MB).
        """
        entry = self.entries.get(key)
        if entry is None:
            return None
        document = {
            "truth_table": None if entry.truth_table is None else list(entry.truth_table),
            "history": self._history(key) if entry.kind.trained else None,
        }
        if entry.kind is Kind.LOGIC:
            document |= self._netlist(key)
        return document

    def file(self, name: str) -> bytes | None:
        """The bytes of a model file (`xor.onnx`), checked against the manifest as they are read, or None.

        Only the models' own file names are looked up, so `..`, absolute paths and every other file
        are never opened; a model file that is a symlink leading out of the folder is refused too.
        The page needs nothing else: truth tables and histories come validated through `details`.
        """
        key = self.folder.key_of(name)
        if key not in self.entries or name != self.folder.model_name(key):
            return None
        try:
            self.folder.inside(name)
        except FolderError:  # a symlink leading out of the folder
            return None
        return self.folder.read_checked(name, self.entries[key].sha256)

    def file_names(self) -> list[str]:
        """Every file `file` hands out."""
        return sorted(self.folder.model_name(key) for key in self.models)

    def model(self, key: str) -> GateModel | None:
        """The model `key` names, its bytes and metadata checked against its entry; None if there is none.

        The last SESSIONS used stay loaded; the others are let go, so memory stays bounded.
        """
        if key not in self.entries:
            return None
        with self._lock:
            model = self._loaded.get(key)
            if model is not None:
                self._loaded.move_to_end(key)
                return model
        name, entry = self.folder.model_name(key), self.entries[key]
        try:
            model = model_from_entry(self.folder, name, self.folder.read_checked(name, entry.sha256), entry)
        except ModelError as error:
            raise FolderError(str(error)) from None
        with self._lock:
            self._loaded[key] = model
            while len(self._loaded) > SESSIONS:
                self._loaded.popitem(last=False)
        return model

    def loaded(self) -> int:
        """How many models are loaded now (at most SESSIONS)."""
        with self._lock:
            return len(self._loaded)

    def _netlist(self, key: str) -> dict:
        """A logic model's circuit as `Netlist.to_dict` writes it, for the page to draw: read from the model
        file checked against its manifest entry (`model`), and itself checked to give the entry's truth
        table on every row, under the model's bit names; else the one line that says why not."""
        try:
            model = self.model(key)
            if model.table is None:  # nothing to check it against
                raise ValueError(f"{model.path}: verified on a sample, so its circuit cannot be checked")
            netlist = netlist_of(model)
        except (FolderError, ValueError) as error:
            return {"netlist": None, "netlist_problem": str(error)}
        if (netlist.inputs, netlist.output_names) != (model.input_names, model.output_names):
            problem = f"{model.path}: its circuit's bit names are not the model's"
        elif netlist.gates > DRAWN_GATES:
            problem = f"{netlist.gates} gates: more than the page draws ({DRAWN_GATES})"
        else:
            return {"netlist": netlist.to_dict(), "netlist_problem": None}
        return {"netlist": None, "netlist_problem": problem}

    def _history(self, key: str) -> dict:
        """A model's learning curve, from the bytes its manifest entry vouches for."""
        entry = self.entries[key]
        relative = entry.history
        digest = (entry.files or {}).get(relative)
        if digest is None:  # a manifest from gatenet 0.1 lists no SHA-256 for it: the store checks it
            return self.folder.read_history(self.folder.model_name(key))
        return parse_history(self.folder.read_checked(relative, digest), self.folder.root / relative)

    def _summary(self, key: str) -> dict:
        facts, entry = self.models[key], self.entries[key]
        name = self.folder.model_name(key)
        circuit, training = entry.circuit, entry.training
        return {
            "key": key,
            "name": entry.gate,
            "description": facts.description,
            "kind": "circuit" if circuit else "gate",  # how the page groups models
            "learner": None if circuit else entry.kind.value,
            "logic": entry.logic,  # a logic model's gate count and depth
            "inputs": list(entry.inputs),
            "outputs": list(entry.outputs),
            "margin": entry.margin,
            "worst_margin": entry.worst_margin,
            "verification": f"sampled {facts.sampled}" if facts.sampled else "exhaustive",
            "model": f"{MODELS}/{name}",
            "bytes": facts.size,
            "sha256": entry.sha256,
            "details": f"{DETAILS}/{key}.json",
            "training": None
            if training is None
            else {
                "steps": training.steps,
                "first_right_step": training.first_right_step,
                "seed": training.seed,
                "network": training.network,
                "rung": (training.build or {}).get("rung", 0),
            },
            "circuit": None
            if circuit is None
            else {
                "wiring": circuit["wiring"],
                "instances": circuit.get("instances"),
                "depth": circuit.get("depth"),
                "gates": [self._gate_name(file) for file in sorted(circuit["gates"])],
            },
        }

    def _gate_name(self, file: str) -> str:
        key = self.folder.key_of(file)
        return self.entries[key].gate if key in self.entries else key.upper()


def with_playground(gallery: dict, played: Catalog) -> dict:
    """`gallery` (a `Catalog.gallery`) with the models of the playground's folder after its own, marked
    `"folder": "playground"`, their files under playground/; one whose key the gallery has is left out."""
    shown = {model["key"] for model in gallery["models"]}
    prefixed = [
        {**model, **{url: f"{PLAYGROUND}/{model[url]}" for url in ("model", "details")}, "folder": PLAYGROUND}
        for model in played.gallery(api=gallery["api"])["models"]
        if model["key"] not in shown
    ]
    return {**gallery, "models": [*gallery["models"], *prefixed]}


def _file_facts(folder: ModelFolder, key: str, entry: ModelRecord) -> FileFacts:
    """Read one model file, check it against its entry, and take what the index needs from its metadata."""
    name = folder.model_name(key)
    data = folder.read_checked(name, entry.sha256)
    try:
        metadata = onnx_metadata(data)
    except ValueError as error:
        raise FolderError(f"{folder.root / name}: not an ONNX model ({error})") from None
    if metadata.get(contract.KEY_GATE) != entry.gate:
        raise FolderError(
            f"{folder.root / name}: its metadata and its entry in {MANIFEST} disagree on its gate"
        )
    sampled = metadata.get(contract.KEY_VERIFICATION, "").removeprefix("sampled ")
    return FileFacts(
        entry.sha256,
        metadata.get(contract.KEY_DESCRIPTION, ""),
        int(sampled) if sampled.isdigit() else None,
        len(data),
    )


def onnx_metadata(data: bytes) -> dict[str, str]:
    """The `metadata_props` of a serialized ONNX model, read from its top-level protobuf fields alone.

    Building an onnxruntime session takes about 0.6 ms and 360 KB a model, 40 s for 65,536 of them;
    walking the top-level fields takes microseconds, and the graph is skipped, never parsed.
    """
    found: dict[str, str] = {}
    for field, value in _fields(data):
        if field == METADATA_FIELD and isinstance(value, bytes):
            pair = {number: text for number, text in _fields(value) if isinstance(text, bytes)}
            found[pair.get(1, b"").decode("utf-8", "replace")] = pair.get(2, b"").decode("utf-8", "replace")
    return found


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """The (field number, value) pairs of one protobuf message: ints for numbers, bytes for the rest."""
    fields, at = [], 0
    while at < len(data):
        tag, at = _varint(data, at)
        number, kind = tag >> 3, tag & 7
        if kind == 0:
            value, at = _varint(data, at)
        elif kind in (1, 5):
            width = 8 if kind == 1 else 4
            value, at = data[at : at + width], at + width
        elif kind == 2:
            length, at = _varint(data, at)
            value, at = data[at : at + length], at + length
        else:
            raise ValueError(f"protobuf wire type {kind} at byte {at}")
        if at > len(data):
            raise ValueError("truncated")
        fields.append((number, value))
    return fields


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data) or shift > 63:
            raise ValueError("truncated varint")
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if byte < 0x80:
            return value, at
