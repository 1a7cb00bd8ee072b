"""The model folder: the one owner of where a folder's files are and of how they change.

    exported/
      manifest.json                         every model, the SHA-256 of each of its files
      xor.onnx                              the model
      xor/history.json                      its learning curve
      xor/test_data_set_0/{input,output}_0.pb
      .gatenet/                             lock, holder, journal and staging (git-ignored)

Writers take the folder's lock, stage every new file in `.gatenet/staging/`, make them durable (one
`syncfs` for a whole chunk of gates, `gatenet.durable.Batch`), write a journal (the commit point),
move the staged files into place, sync again, write the manifest, and drop the journal. The next
writer (or `recover()`) that finds a journal with no writer alive finishes that commit; staging with
no journal is thrown away. So every gate is wholly its old version or wholly its new one, whenever
the writer dies. Readers take no lock and change nothing: they wait out a commit in progress, re-read
when the manifest moved under them, and report a commit whose writer died.

A folder may come from someone else, so everything in it is untrusted input: every path a manifest or
journal names must stay inside the folder (no `..`, no absolute path, no symlink out), and gatenet
deletes only files the manifest lists and scratch files it names itself inside `.gatenet/`.
`docs/model-folder.md` gives the argument in full.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gatenet import durable, manifest, migrations
from gatenet.manifest import sha256
from gatenet.record import MODEL_SUFFIX, ManifestError, ModelRecord, is_model_name, is_relative_path, short

if TYPE_CHECKING:
    from filelock import FileLock

MANIFEST = "manifest.json"
HISTORY = "history.json"
HISTORY_CURVES = ("step", "loss", "accuracy")
TEST_DATA_SET = "test_data_set_0"
TEST_DATA_FILES = ("input_0.pb", "output_0.pb")
PRIVATE = ".gatenet"
NAME_MAX = 255
READ_ATTEMPTS = 20
COMMIT_WAIT = 30.0  # seconds a reader waits for a commit in progress before giving up
# The only scratch names gatenet makes, all inside `.gatenet/`: a transaction's staging folder, and
# `durable.write_atomically`'s temporary file for each file it replaces there or in the manifest.
STAGED_NAME = re.compile(r"\d+-\d+")
SCRATCH_NAME = re.compile(r"\.(manifest\.json|journal\.json|\.gitignore)\.\d+\.tmp")
JOURNAL_FIELDS = {"staged", "entries", "removed"}


class FolderError(ValueError):
    """A model folder that cannot be read or written; the message names the path and the reason."""


def os_error(error: OSError, action: str = "") -> FolderError:
    """An OSError as one line naming the path and the reason."""
    where = error.filename or "?"
    reason = error.strerror or str(error)
    return FolderError(f"{where}: {action + ': ' if action else ''}{reason}")


@dataclass
class GateFiles:
    """Everything written for one gate: its model, test data, history and manifest entry.

    The store adds the record's SHA-256 digests and paths, which only it knows.
    """

    key: str
    model: bytes
    test_data: dict[str, bytes]
    history: bytes
    entry: ModelRecord


@dataclass
class ModelRead:
    """A model's bytes and the manifest entry (or None) read together from one state of the folder."""

    name: str
    data: bytes | None
    entry: ModelRecord | None
    problems: list[str]


class ModelFolder:
    """A folder of verified models: read it without a lock, change it only through `writing()`."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.private = self.root / PRIVATE
        self.journal = self.private / "journal.json"
        self.staging = self.private / "staging"
        self._parsed: tuple[bytes, int, dict[str, ModelRecord]] | None = None  # the last manifest read
        self._texts: dict[str, tuple[ModelRecord, str]] = {}  # each entry's JSON in the last manifest written

    # The layout: the only place that knows file names.

    @staticmethod
    def model_name(key: str) -> str:
        """A gate's model file name, `xor.onnx`, as the manifest lists it; a string, because pathlib
        costs a second when a folder of 65,536 models is indexed."""
        return f"{key}{MODEL_SUFFIX}"

    @staticmethod
    def key_of(name: str) -> str:
        """The gate key of a model file name: `xor.onnx` -> `xor`."""
        return name.removesuffix(MODEL_SUFFIX)

    def model_path(self, key: str) -> Path:
        return self.root / self.model_name(key)

    @staticmethod
    def layout_fields(key: str) -> dict[str, str]:
        """The manifest entry's `test_data` and `history` paths of a gate."""
        return {"test_data": f"{key}/{TEST_DATA_SET}", "history": f"{key}/{HISTORY}"}

    @staticmethod
    def relative_files(key: str) -> list[str]:
        """A gate's files besides its model, as the manifest's `files` lists them."""
        return [f"{key}/{HISTORY}", *(f"{key}/{TEST_DATA_SET}/{name}" for name in TEST_DATA_FILES)]

    @staticmethod
    def check_key(key: str) -> None:
        """Refuse a gate whose file names the filesystem cannot hold, before anything is trained."""
        longest = ModelFolder.model_name(key)
        if len(longest.encode()) > NAME_MAX:
            raise FolderError(f"gate {key!r}: name too long for a model file ({len(longest)} > {NAME_MAX})")

    def inside(self, relative: str) -> Path:
        """The path of `relative` in the folder, refused unless it stays inside: a plain relative path
        (no `..`, nothing absolute) that no symlink leads out of.

        One lstat per part of the path; only a path through a symlink is resolved (a folder of 65,536
        models is checked file by file when it is served).
        """
        if not is_relative_path(relative):
            raise FolderError(f"{self.root}: {relative!r} is not a plain relative path inside the folder")
        path = self.root / relative
        if not _linked(self.root, relative):
            return path
        try:
            outside = not path.resolve().is_relative_to(self.root.resolve())
        except (OSError, RuntimeError) as error:  # a symlink loop
            raise FolderError(f"{path}: cannot be resolved ({error})") from None
        if outside:
            raise FolderError(f"{path}: leads outside {self.root} through a symlink")
        return path

    def check_layout(self, name: str, entry: ModelRecord, where: str) -> None:
        """An entry (already valid as a manifest entry) names exactly the folder's own files for its gate.

        Only the text is checked here; `inside` checks for symlinks where a path is used."""
        key, files = entry.key, entry.files
        if any(getattr(entry, field) != path for field, path in self.layout_fields(key).items()) or (
            files is not None and sorted(files) != sorted(self.relative_files(key))
        ):
            raise ManifestError(
                f"{where}: paths must be the folder's own layout ({', '.join(self.relative_files(key))})"
            )

    def _check_private(self) -> None:
        """gatenet's own files are plain files and folders of this folder, never links out of it: a
        folder from someone else could point `.gatenet/lock` at a file the lock would truncate."""
        folders = [self.private, self.staging]
        files = [self.journal, *(self.private / name for name in ("lock", "holder.json", ".gitignore"))]
        for path in [*folders, *files]:
            try:
                info = path.lstat()
            except FileNotFoundError:
                continue
            except OSError as error:
                raise os_error(error) from None
            if stat.S_ISLNK(info.st_mode) or (stat.S_ISREG(info.st_mode) and info.st_nlink > 1):
                raise FolderError(
                    f"{path}: a link; gatenet's own files are never links, so this folder was made by "
                    "something else (remove it if the folder is yours)"
                )
            kind = ("folder", stat.S_ISDIR) if path in folders else ("regular file", stat.S_ISREG)
            if not kind[1](info.st_mode):
                raise FolderError(
                    f"{path}: not a {kind[0]}, so not gatenet's own (remove it if the folder is yours)"
                )

    # Reading.

    def entries(self) -> dict[str, ModelRecord]:
        """The manifest's entries (file name -> entry), validated; empty when there is no manifest."""
        self._settle()
        return self._entries(self._manifest_bytes())

    def model_names(self) -> list[str]:
        """Model files in the folder and models the manifest lists, by file name."""
        self._settle()
        try:
            found = {path.name for path in self.root.glob(f"*{MODEL_SUFFIX}")}
        except OSError as error:
            raise os_error(error) from None
        return sorted(found | set(self._entries(self._manifest_bytes())))

    def read_model(self, name: str) -> ModelRead:
        """One model's bytes with its manifest entry; see `read_models`."""
        return self.read_models([name])[0]

    def read_models(self, names: list[str]) -> list[ModelRead]:
        """Models' bytes with their manifest entries, all from one committed state of the folder.

        Every file of each gate is checked against its entry; `problems` says what does not match.
        A commit that lands while reading is noticed (the journal or the manifest changed) and the
        read starts again, so a reader never mistakes a commit in progress for a damaged folder.
        The manifest is read twice per batch, not per model: a folder of 65,536 models stays linear.
        """
        for _ in range(READ_ATTEMPTS):
            self._settle()
            before = self._manifest_bytes()
            entries = self._entries(before)
            reads = [self._read_model_once(name, entries) for name in names]
            if not self.journal.exists() and self._manifest_bytes() == before:
                return reads
        raise FolderError(f"{self.root}: kept changing while it was read; try again")

    def _read_model_once(self, name: str, entries: dict[str, ModelRecord]) -> ModelRead:
        entry = entries.get(name)
        try:
            path = self.inside(name)
        except FolderError as error:
            return ModelRead(name, None, entry, [str(error)])
        if path.is_dir():
            return ModelRead(name, None, entry, [f"{path}: a folder, not a model file"])
        try:
            data = durable.read_file(path)
        except FileNotFoundError:
            return ModelRead(name, None, entry, [f"{path}: listed in {MANIFEST} but missing"])
        except OSError as error:
            return ModelRead(name, None, entry, [str(os_error(error))])
        if entry is None:
            return ModelRead(name, data, None, [f"{path}: integrity not checked: no manifest entry"])
        problems = []
        if sha256(data) != entry.sha256:
            problems.append(f"{path}: SHA-256 differs from {MANIFEST}")
        for relative, digest in (entry.files or {}).items():
            try:
                self.read_checked(relative, digest)
            except FolderError as error:
                problems.append(str(error))
        return ModelRead(name, data, entry, problems)

    def read_checked(self, relative: str, digest: str) -> bytes:
        """A file of the folder, only if it is a regular file inside it with the SHA-256 `digest`."""
        path = self.inside(relative)
        try:
            data = durable.read_file(path)
        except OSError as error:
            raise os_error(error) from None
        if sha256(data) != digest:
            raise FolderError(f"{path}: SHA-256 differs from {MANIFEST}")
        return data

    def read_history(self, name: str) -> dict:
        """A model's learning curve, from the file its manifest entry vouches for."""
        read = self.read_model(name)
        if read.entry is None or read.problems:
            raise FolderError(read.problems[0] if read.problems else f"{self.root / name}: no manifest entry")
        path = self.inside(read.entry.history)
        try:
            return parse_history(durable.read_file(path), path)
        except OSError as error:
            raise os_error(error) from None

    def _manifest_bytes(self) -> bytes | None:
        path = self.root / MANIFEST
        try:
            return durable.read_file(path)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise os_error(error) from None

    def _entries(self, data: bytes | None) -> dict[str, ModelRecord]:
        """The validated entries of these manifest bytes (a new mapping; the entries are shared with a
        cache of the last bytes parsed, so callers must not change them)."""
        if data is None:
            return {}
        return dict(self._parse(data)[1])

    def _parse(self, data: bytes) -> tuple[int, dict[str, ModelRecord]]:
        """The format and validated entries of these manifest bytes, parsed once while they last."""
        if self._parsed is None or self._parsed[0] != data:
            version, entries = manifest.parse_document(data, str(self.root / MANIFEST))
            for name, entry in entries.items():
                self.check_layout(name, entry, f"{self.root / MANIFEST}: {name}")
            self._parsed = (data, version, entries)
        return self._parsed[1], self._parsed[2]

    def _settle(self) -> None:
        """Wait out a commit in progress; report one whose writer died. A reader changes nothing.

        A live writer holds the lock, so a journal with the lock free is a dead writer's: finishing
        it moves and deletes files, which only a command that writes may do (`recover`).
        """
        deadline = time.monotonic() + COMMIT_WAIT
        while self.journal.exists() or self.journal.is_symlink():
            self._check_private()
            lock = self._lock()
            try:
                acquired = _acquire_now(lock)
            except OSError:
                acquired = True  # a folder we cannot lock has no live writer of ours
            else:
                if acquired:
                    lock.release()
            if acquired:
                if self.journal.exists():
                    raise FolderError(
                        f"{self.root}: a commit was interrupted; "
                        f"`gatenet recover --dir {self.root}` (or the next gatenet train into it) finishes it"
                    )
                return
            if time.monotonic() > deadline:
                raise FolderError(f"{self.root}: a commit by {self._holder()} has not finished")
            time.sleep(0.01)

    def _scratch(self) -> list[Path]:
        """Staging folders and temporary files, by the names only gatenet's writers make."""
        found = [path for path in self._listing(self.staging) if STAGED_NAME.fullmatch(path.name)]
        return found + [path for path in self._listing(self.private) if SCRATCH_NAME.fullmatch(path.name)]

    @staticmethod
    def _listing(folder: Path) -> list[Path]:
        try:
            return list(folder.iterdir()) if folder.is_dir() and not folder.is_symlink() else []
        except OSError as error:
            raise os_error(error) from None

    def recover(self, command: str = "gatenet recover") -> bool:
        """Finish a commit whose writer died, and clear what it left behind. True when there was one."""
        with self.writing(command) as writer:
            return writer.recovered

    # Writing.

    @contextmanager
    def writing(
        self, command: str = "gatenet", on_wait: Callable[[str], None] | None = None
    ) -> Iterator[Writer]:
        """Hold the folder's lock: create the folder, finish any interrupted commit, validate the manifest.

        All of it happens before the caller does any work, so a folder that cannot be written or a
        corrupt manifest stops the command before training, with nothing changed.
        """
        if self.root.exists() and not self.root.is_dir():
            raise FolderError(f"{self.root}: is a file, not a folder")
        self._check_private()
        try:
            durable.make_dirs(self.private)
            lock = self._lock()
            if not _acquire_now(lock):
                if on_wait is not None:
                    on_wait(f"waiting for {self.root}: {self._holder()} is writing it")
                lock.acquire()
        except OSError as error:
            raise os_error(error, "cannot write here") from None
        try:
            holder = {"pid": os.getpid(), "command": command, "started": time.strftime("%Y-%m-%d %H:%M:%S")}
            (self.private / "holder.json").write_text(json.dumps(holder))
            gitignore = self.private / ".gitignore"
            if not gitignore.exists():
                durable.write_atomically(gitignore, b"# gatenet's lock and journal; not for git\n*\n")
            recovered = self._recover()
            self._migrate()
            yield Writer(self, recovered)
        except OSError as error:
            raise os_error(error) from error  # chained, so `gatenet --debug` shows where it came from
        finally:
            (self.private / "holder.json").unlink(missing_ok=True)
            lock.release()

    def _migrate(self) -> None:
        """Bring a manifest of an older format to the current one (`gatenet.migrations`), in one write."""
        data = self._manifest_bytes()
        if data is None:
            return
        migrated = migrations.migrate(self, *self._parse(data))
        if migrated is not None:
            durable.write_atomically(self.root / MANIFEST, manifest.dump(migrated), scratch=self.private)

    def _lock(self) -> FileLock:
        from filelock import FileLock  # only writers and recovery lock: readers skip the import

        return FileLock(self.private / "lock", preserve_lock_file=True, thread_local=False)

    def _holder(self) -> str:
        try:
            holder = json.loads(durable.read_file(self.private / "holder.json"))
            return f"{holder['command']} (pid {holder['pid']}, since {holder['started']})"
        except (OSError, ValueError, KeyError, TypeError):
            return "another gatenet process"

    def _recover(self) -> bool:
        """Finish a commit whose journal is on disk; throw away staging and scratch files without one.

        The journal is untrusted like the rest of the folder: it is checked whole before any file moves.
        """
        recovered = self.journal.exists()
        if recovered:
            staged, entries, removed = self._read_journal()
            self._apply(staged, entries, removed)
        for leftover in self._scratch():
            durable.remove(leftover)
        return recovered

    def _read_journal(self) -> tuple[Path, dict[str, ModelRecord], list[str]]:
        """The journal's staging folder, entries and removed model names, each proven to stay inside the
        folder and to be one of gatenet's own names; else a FolderError naming what is wrong."""
        where = f"{self.journal}: refused"
        try:
            journal = json.loads(durable.read_file(self.journal))
        except OSError as error:
            raise os_error(error) from None
        except (ValueError, RecursionError) as error:
            raise FolderError(f"{where}: not a journal gatenet wrote ({type(error).__name__})") from None
        if not isinstance(journal, dict) or set(journal) != JOURNAL_FIELDS:
            raise FolderError(f"{where}: expected exactly the fields {', '.join(sorted(JOURNAL_FIELDS))}")
        staged, entries, removed = journal["staged"], journal["entries"], journal["removed"]
        if not isinstance(staged, str) or not STAGED_NAME.fullmatch(staged):
            raise FolderError(f"{where}: staged must name a staging folder like 123-456, got {short(staged)}")
        if not isinstance(entries, dict):
            raise FolderError(f"{where}: entries must be a mapping of model file names to entries")
        try:
            records = {
                name: ModelRecord.from_json(name, entry, f"{where}: {name}", manifest.FORMAT)
                for name, entry in entries.items()
            }
            for name, entry in records.items():
                self.check_layout(name, entry, f"{where}: {name}")
                for relative in [name, *entry.files]:
                    self.inside(relative)
        except ManifestError as error:
            raise FolderError(str(error)) from None
        if not isinstance(removed, list) or not all(
            isinstance(name, str) and is_model_name(name) for name in removed
        ):
            raise FolderError(f"{where}: removed must be a list of model file names like xor.onnx")
        for name in removed:
            self.inside(name)
        folder = self.staging / staged
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            raise FolderError(f"{where}: {folder} is not a staging folder gatenet made")
        return folder, records, removed

    def _apply(
        self,
        staged: Path,
        entries: dict[str, ModelRecord],
        removed: list[str],
        batch: durable.Batch | None = None,
    ) -> None:
        """Move a committed transaction's files into place and remove the `removed` models' files,
        then update the manifest.

        Safe to repeat: a file already moved is checked against the journal instead. A removed model
        loses only the files its manifest entry lists; its folder goes only when nothing else is in it.
        Recovery (no `batch`) finds each staged file, refuses links, and reads every one back against
        the journal, which is untrusted; the writer that staged the files a moment ago under the lock
        passes its `batch` and skips those look-ups and reads.
        """
        with contextlib.nullcontext(batch) if batch else durable.Batch(self.root) as moves:
            for number, (relative, digest, key) in enumerate(self._transaction_files(entries)):
                target = self.inside(relative)
                if batch is not None:  # staged by this writer a moment ago: every file is there, as written
                    source = staged / str(number)
                else:
                    source = self._staged_file(staged, number, relative)
                    if source is None:  # moved before the crash: it must be the file the journal names
                        if not target.is_file() or sha256(durable.read_file(target)) != digest:
                            where = f"interrupted commit of gate {key!r}"
                            raise FolderError(f"{target}: changed during an {where}")
                        continue
                    self._check_staged(source, digest)
                moves.make_dirs(target.parent)
                moves.replace(source, target)
            models = self._entries(self._manifest_bytes())
            for name in removed:
                if name in models:
                    for folder in self._remove_model(name, models[name]):
                        moves.touched(folder)
            moves.sync()  # every file in place, on disk, before the journal that could redo it goes
        models.update(entries)
        for name in removed:
            models.pop(name, None)
        document = self._dump(models)
        durable.write_atomically(self.root / MANIFEST, document, scratch=self.private)
        self._parsed = (document, manifest.FORMAT, models)  # what parsing it gives: the next commit reuses it
        durable.remove(self.journal)
        durable.fsync_dir(self.private)
        durable.remove(staged)

    def _dump(self, models: dict[str, ModelRecord]) -> bytes:
        """`manifest.dump(models)`, byte for byte, with the JSON of each entry unchanged since the last
        manifest this folder object wrote taken from then: a family export grows the folder chunk by
        chunk to 65,536 models, and encoding all of them again for every chunk cost more than the rest
        of the commit. `tests/test_chunk_commit.py` holds the two to the same bytes."""
        if not models:
            return manifest.dump(models)
        texts, parts = {}, []
        for name in sorted(models):
            record = models[name]
            known = self._texts.get(name)
            if known is None or known[0] is not record:  # records are frozen: the same one, the same JSON
                known = (record, json.dumps(record.to_json(), indent=2).replace("\n", "\n    "))
            texts[name] = known
            parts.append(f"    {json.dumps(name)}: {known[1]}")
        self._texts = texts
        body = ",\n".join(parts)
        return f'{{\n  "format": {manifest.FORMAT},\n  "models": {{\n{body}\n  }}\n}}\n'.encode()

    @staticmethod
    def _transaction_files(entries: dict[str, ModelRecord]) -> Iterator[tuple[str, str, str]]:
        """(path, SHA-256, gate key) of every file of a transaction, in the journal's order; a file's
        place in this order is its name in the staging folder."""
        for name, entry in entries.items():
            for relative, digest in [(name, entry.sha256), *entry.files.items()]:
                yield relative, digest, entry.key

    @staticmethod
    def _staged_file(staged: Path, number: int, relative: str) -> Path | None:
        """The staged file of a transaction's `number`-th file, if it is still there (else it was moved).

        Staged files are named by their number, `staging/<id>/7`: one flat folder, with no folder per
        gate to make, sync and remove. A journal written by gatenet 0.x before that staged each file
        under its own path (`staging/<id>/xor/history.json`), where recovery finds it still.
        """
        for name in (str(number), relative):
            if _linked(staged, name):
                raise FolderError(f"{staged / name}: a link in staging; gatenet stages only files it wrote")
            if (staged / name).exists():
                return staged / name
        return None

    @staticmethod
    def _check_staged(source: Path, digest: str) -> None:
        """A staged file is the one the journal names, read back in full."""
        try:
            staged_digest = sha256(durable.read_file(source))
        except OSError as error:
            raise os_error(error) from None
        if staged_digest != digest:
            raise FolderError(f"{source}: staged, but not the file the journal names")

    def _remove_model(self, name: str, entry: ModelRecord) -> set[Path]:
        """Delete the files a manifest entry lists (never a folder), then its folders if left empty."""
        touched = set()
        for path in self.removal_paths(name, entry):
            if path.is_file() or path.is_symlink():
                durable.remove(path)
                touched.add(path.parent)
        for relative in (entry.test_data, entry.key):
            with contextlib.suppress(OSError):  # not empty: the rest is not gatenet's to delete
                self.inside(relative).rmdir()
        return touched

    def removal_paths(self, name: str, entry: ModelRecord) -> list[Path]:
        """What `commit(remove=[name])` deletes: the model file and the files its manifest `entry` lists."""
        return [self.inside(relative) for relative in [name, *(entry.files or {})]]


def _linked(base: Path, relative: str) -> bool:
    """Whether a part of `relative` below `base` is a symlink: one lstat per part."""
    at = str(base)
    for part in relative.split("/"):
        at = os.path.join(at, part)
        if os.path.islink(at):
            return True
    return False


def parse_history(data: bytes, path: Path) -> dict:
    """A learning curve from a history file's bytes, or a FolderError naming the file."""
    try:
        history = json.loads(data)
    except (ValueError, RecursionError) as error:
        raise FolderError(f"{path}: not valid JSON ({type(error).__name__})") from None
    curves = [history.get(key) if isinstance(history, dict) else None for key in HISTORY_CURVES]
    if not all(isinstance(values, list) for values in curves) or len({len(v) for v in curves}) != 1:
        raise FolderError(
            f"{path}: not a gatenet history (needs lists {', '.join(HISTORY_CURVES)} of one length)"
        )
    return history


def _acquire_now(lock: FileLock) -> bool:
    """Take the lock if it is free, without waiting."""
    from filelock import Timeout

    try:
        lock.acquire(timeout=0)
    except Timeout:
        return False
    return True


class Writer:
    """The holder of a folder's lock: commits gates, each one all or nothing."""

    def __init__(self, folder: ModelFolder, recovered: bool = False) -> None:
        self.folder = folder
        self.recovered = recovered  # an interrupted commit was finished when the lock was taken

    def commit(self, gates: list[GateFiles], remove: list[str] = ()) -> None:
        """Write the gates' files and manifest entries, and remove the models named in `remove` (file
        names) with their files and entries, as one transaction."""
        if not gates and not remove:
            return
        for name in remove:
            if not is_model_name(name):
                raise FolderError(f"{self.folder.root}: cannot remove {name!r}: not a model file name")
        folder, removed = self.folder, sorted(remove)
        staged = folder.staging / f"{os.getpid()}-{time.monotonic_ns()}"
        try:
            with durable.Batch(folder.root) as batch:  # opened before the first write: see its syncfs
                entries = self._stage(staged, gates, batch)
                batch.sync()  # every staged file and name on disk before the journal names them
                records = {name: entry.to_json() for name, entry in entries.items()}
                journal = json.dumps({"staged": staged.name, "entries": records, "removed": removed})
                durable.write_atomically(folder.journal, journal.encode(), scratch=folder.private)  # commit
                folder._apply(staged, entries, removed, batch)
        except BaseException:
            if folder.journal.exists():  # committed: finish it now if we still can; else the next one will
                with contextlib.suppress(BaseException):
                    folder._recover()
            else:
                durable.remove(staged)
            raise

    def _stage(self, staged: Path, gates: list[GateFiles], batch: durable.Batch) -> dict[str, ModelRecord]:
        """Every new file in `staged`, named by its number in the journal's order (see
        `ModelFolder._staged_file`), durable at the batch's next sync; returns the new entries."""
        entries, contents = {}, {}
        for gate in gates:
            files = {
                f"{gate.key}/{HISTORY}": gate.history,
                **{f"{gate.key}/{TEST_DATA_SET}/{name}": data for name, data in gate.test_data.items()},
            }
            model_name = ModelFolder.model_name(gate.key)
            digests = {relative: sha256(data) for relative, data in sorted(files.items())}
            entry = gate.entry.with_files(
                sha256(gate.model), **self.folder.layout_fields(gate.key), files=digests
            )
            where = f"new entry {model_name}"  # a record made in code is checked as one read from a folder
            entries[model_name] = ModelRecord.from_json(model_name, entry.to_json(), where, manifest.FORMAT)
            contents.update({model_name: gate.model, **files})
        batch.make_dirs(staged)  # even when only removing: the journal names it
        for number, (relative, _, _) in enumerate(ModelFolder._transaction_files(entries)):
            batch.write(staged / str(number), contents[relative])
        return entries
