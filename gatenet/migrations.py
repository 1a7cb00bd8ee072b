"""Ordered, named migrations of a model folder's manifest, from the format that wrote it to the one
this gatenet writes (`manifest.FORMAT`), in the manner of llm's `migrations.py`.

Readers read every format in `manifest.READABLE_FORMATS` as it is and change nothing. The next writer
(`gatenet train`, `prune`, `recover`) applies, in order, each migration whose `to_format` is above the
folder's, then writes the manifest once, in the current format. A migration is a plain function of
the folder and its entries, registered with `@migration(to_format)`; its name says what it does, and
is what a failure names. A new manifest format adds one migration here and raises `manifest.FORMAT`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from gatenet import durable
from gatenet.manifest import sha256
from gatenet.record import ModelRecord

if TYPE_CHECKING:
    from gatenet.store import ModelFolder

Records = dict[str, ModelRecord]
Step = Callable[["ModelFolder", Records], Records]


@dataclass(frozen=True)
class Migration:
    """One step: the format it brings a manifest to, its name, and what it does to the entries."""

    to_format: int
    name: str
    apply: Step


MIGRATIONS: list[Migration] = []


def migration(to_format: int) -> Callable[[Step], Step]:
    """Register a step that brings the entries of a manifest of format `to_format - 1` to `to_format`."""

    def register(step: Step) -> Step:
        MIGRATIONS.append(Migration(to_format, step.__name__, step))
        return step

    return register


def pending(version: int) -> list[Migration]:
    """The migrations a manifest of format `version` needs, in order."""
    return sorted((step for step in MIGRATIONS if step.to_format > version), key=lambda step: step.to_format)


def migrate(folder: ModelFolder, version: int, entries: Records) -> Records | None:
    """The entries brought to `manifest.FORMAT`, or None when they are in it already."""
    steps = pending(version)
    if not steps:
        return None
    entries = dict(entries)  # records are frozen: a step replaces them, so the folder's cache stays as read
    for step in steps:
        entries = step.apply(folder, entries)
    return entries


@migration(2)
def m001_sha256_of_every_file(folder: ModelFolder, entries: Records) -> Records:
    """gatenet 0.1 listed the SHA-256 of each model only: add those of its test data and history, as
    the files are now, so every file is checked from then on."""
    from gatenet.store import FolderError

    for name, entry in entries.items():
        if entry.files is not None:
            continue
        try:
            files = {
                relative: sha256(durable.read_file(folder.inside(relative)))
                for relative in folder.relative_files(entry.key)
            }
        except FileNotFoundError as error:
            raise FolderError(
                f"{error.filename}: missing (migration m001_sha256_of_every_file); "
                f"retrain gate {entry.gate} into a new folder"
            ) from None
        entries[name] = replace(entry, files=files)
    return entries


@migration(3)
def m002_kind_of_every_model(folder: ModelFolder, entries: Records) -> Records:
    """Format 2 told a circuit's model from a gate's by its `circuit` field, and gave circuits
    placeholder training fields. Reading it made each record's kind explicit and dropped those
    (`ModelRecord.from_json`), so the records are format 3's already: writing them is the step."""
    return entries
