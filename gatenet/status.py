"""Is the model folder what `gatenet train` would make now? Per gate: up to date, stale, missing;
per model no plugin defines any more: orphaned.

Up to date means: each file has the SHA-256 the manifest lists, and the entry records the recipe this
run would use. That is cheap (no TensorFlow, no onnxruntime) and enough for a folder you wrote. The
manifest vouches for itself, though: whoever edits a model can update its SHA-256 too. `deep=True`
also runs each up-to-date model on every row of its truth table with onnxruntime, at its entry's
margin, as `gatenet verify` does, so a folder from someone else is judged by what its models compute.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass, field

from gatenet.circuit import Circuit
from gatenet.recipe import CircuitRecipe, Recipe
from gatenet.record import ModelRecord
from gatenet.store import MANIFEST, ModelFolder, ModelRead

UP_TO_DATE, STALE, MISSING, ORPHANED = "up to date", "stale", "missing", "orphaned"


@dataclass
class ModelStatus:
    """One gate's or one model file's state, and why."""

    name: str
    state: str
    reasons: list[str] = field(default_factory=list)
    file: str | None = None
    entry: ModelRecord | None = None

    def to_dict(self) -> dict:
        return {"name": self.name, "state": self.state, "reasons": self.reasons, "file": self.file}


def circuit_recipes(
    folder: ModelFolder, circuits: Sequence[Circuit], wiring: str, margin: float
) -> list[CircuitRecipe]:
    """How each circuit would be built now: from the gate models the folder holds at this moment."""
    entries = folder.entries()
    recipes = []
    for circuit in circuits:
        names = {folder.model_name(instance.gate.key) for instance in circuit.instances}
        digests = {name: entries[name].sha256 for name in sorted(names) if name in entries}
        recipes.append(CircuitRecipe(circuit, wiring, margin, digests))
    return recipes


def check_gates(
    folder: ModelFolder, recipes: Sequence[Recipe | CircuitRecipe], deep: bool = False
) -> list[ModelStatus]:
    """The state of each gate's model against the recipe `gatenet train` would use now; with `deep`,
    an up-to-date model must also verify on every row."""
    present = set(folder.model_names())
    names = [folder.model_name(recipe.gate.key) for recipe in recipes]
    reads = {read.name: read for read in folder.read_models([name for name in names if name in present])}
    statuses = []
    for recipe, name in zip(recipes, names, strict=True):
        if name not in present:
            statuses.append(ModelStatus(recipe.gate.name, MISSING, ["not trained yet"]))
            continue
        read = reads[name]
        if read.entry is None:
            reasons = [f"not listed in {MANIFEST}"]
        else:
            reasons = [f"file modified: {problem}" for problem in read.problems]
            reasons += recipe.differences(read.entry)
            if deep and not reasons:
                reasons = _run(folder, read, recipe.gate)
        state = STALE if reasons else UP_TO_DATE
        statuses.append(ModelStatus(recipe.gate.name, state, reasons, name, read.entry))
    return statuses


def _run(folder: ModelFolder, read: ModelRead, gate: object) -> list[str]:
    """Why the model fails on its rows, or nothing when it verifies (onnxruntime is imported here)."""
    from gatenet.runtime import verify_read

    result = verify_read(folder, read, gate)
    return [] if result.ok else [f"does not verify: {result.problem or result.check.details}"]


def folder_status(
    folder: ModelFolder, recipes: Sequence[Recipe | CircuitRecipe], known: Container[str], deep: bool = False
) -> list[ModelStatus]:
    """`check_gates` for `recipes`, and every other model in the folder whose gate is not `known`
    (lower-case names of the gates plugins define) as orphaned."""
    statuses = check_gates(folder, recipes, deep)
    asked = {folder.model_name(recipe.gate.key) for recipe in recipes}
    for name in folder.model_names():
        if name in asked:
            continue
        key = folder.key_of(name)
        if key not in known:
            statuses.append(ModelStatus(key.upper(), ORPHANED, ["no plugin defines this gate"], name))
    return statuses
