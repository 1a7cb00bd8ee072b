"""What the gallery shows of a model folder: one consistent, verified snapshot, as JSON documents.

The server and the static site both build their pages' data here, so the page reads the same documents
from either. Models are read through `gatenet.runtime` (every file checked against the manifest), never
parsed by hand, and of the folder's files only the model files, as checked and loaded, are handed out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gatenet import runtime
from gatenet.manifest import sha256
from gatenet.runtime import GateModel
from gatenet.store import MODEL_SUFFIX, READ_ATTEMPTS, FolderError, ModelFolder

GALLERY = "gallery.json"
DETAILS = "details"
MODELS = "models"
FORMAT = 1  # of gallery.json: raised when the page must change to read it


@dataclass(frozen=True)
class Catalog:
    """Every model of a folder with its manifest entry and learning curve, all from one committed state."""

    folder: ModelFolder
    models: dict[str, GateModel]  # lower-case gate name -> model
    entries: dict[str, dict]  # lower-case gate name -> manifest entry
    histories: dict[str, dict | None]  # None for circuits, which are built, not trained

    @classmethod
    def read(cls, directory: Path | str) -> Catalog:
        """Read the folder; a commit landing meanwhile is noticed (the entries moved) and read again.

        A model that fails its checks fails the whole read, as `gatenet verify` would: the gallery
        shows a folder that verifies, or says why not.
        """
        folder = ModelFolder(directory)
        if not folder.root.is_dir():
            raise FolderError(f"{folder.root}: no such folder")
        for _ in range(READ_ATTEMPTS):
            before = folder.entries()
            models = runtime.load_dir(folder.root)
            histories = {
                name.removesuffix(MODEL_SUFFIX): None if "circuit" in entry else folder.read_history(name)
                for name, entry in before.items()
            }
            entries = {name.removesuffix(MODEL_SUFFIX): entry for name, entry in before.items()}
            same = folder.entries() == before and entries.keys() == models.keys()
            if same and all(entries[key]["sha256"] == sha256(model.data) for key, model in models.items()):
                return cls(folder, models, entries, histories)
        raise FolderError(f"{folder.root}: kept changing while it was read; try again")

    def gallery(self, api: bool) -> dict:
        """The page's index of models (`gallery.json`); `api` says a server answers `api/` requests."""
        return {
            "format": FORMAT,
            "folder": self.folder.root.resolve().name,
            "api": api,
            "models": [self._summary(key) for key in sorted(self.models)],
        }

    def details(self, key: str) -> dict | None:
        """What one model's page needs beyond the index: its truth table and learning curve.

        Kept out of `gallery.json` because a truth table can be large (ADD8's is 1.2 MB).
        """
        if key not in self.models:
            return None
        return {"truth_table": self.entries[key].get("truth_table"), "history": self.histories[key]}

    def file(self, name: str) -> bytes | None:
        """The bytes of a model file, as checked and loaded (`xor.onnx`), or None.

        Only the models' own file names are looked up, so `..`, absolute paths and every other file
        are never opened; a model file that is a symlink leading out of the folder is refused too.
        The page needs nothing else: truth tables and histories come validated through `details`.
        """
        key = name.removesuffix(MODEL_SUFFIX)
        if key not in self.models or name != self.folder.model_path(key).name:
            return None
        root = self.folder.root.resolve()
        if not (root / name).resolve().is_relative_to(root):
            return None
        return self.models[key].data

    def file_names(self) -> list[str]:
        """Every file `file` hands out."""
        return sorted(self.folder.model_path(key).name for key in self.models)

    def _summary(self, key: str) -> dict:
        model, entry = self.models[key], self.entries[key]
        name = self.folder.model_path(key).name
        circuit = entry.get("circuit")
        return {
            "key": key,
            "name": model.name,
            "description": model.metadata.get("gatenet.description", ""),
            "kind": "circuit" if circuit else "gate",
            "inputs": list(model.input_names),
            "outputs": list(model.output_names),
            "margin": entry["margin"],
            "worst_margin": entry["worst_margin"],
            "verification": f"sampled {model.sampled}" if model.sampled else "exhaustive",
            "model": f"{MODELS}/{name}",
            "bytes": len(model.data),
            "sha256": entry["sha256"],
            "details": f"{DETAILS}/{key}.json",
            "training": None
            if circuit
            else {
                "steps": entry["steps"],
                "first_right_step": entry["first_right_step"],
                "seed": entry["seed"],
                "network": entry["network"],
            },
            "circuit": None
            if not circuit
            else {
                "wiring": circuit["wiring"],
                "instances": circuit.get("instances"),
                "depth": circuit.get("depth"),
                "gates": [self._gate_name(file) for file in sorted(circuit["gates"])],
            },
        }

    def _gate_name(self, file: str) -> str:
        key = file.removesuffix(MODEL_SUFFIX)
        return self.models[key].name if key in self.models else key.upper()
