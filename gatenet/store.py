"""The model folder: the one owner of where a folder's files are and of how they change.

    exported/
      manifest.json                         every model, the SHA-256 of each of its files
      xor.onnx                              the model
      xor/history.json                      its learning curve
      xor/test_data_set_0/{input,output}_0.pb
      .gatenet/                             lock, holder, journal and staging (git-ignored)

Writers take the folder's lock, stage every new file in `.gatenet/staging/`, write a journal (the
commit point), move the staged files into place, write the manifest, and drop the journal. Whoever
next finds a journal with no writer alive finishes that commit; staging with no journal is thrown
away. So every gate is wholly its old version or wholly its new one, whenever the writer dies.
Readers take no lock: they wait out a commit in progress and re-read when the manifest moved under
them. `docs/model-folder.md` gives the argument in full.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gatenet import durable, manifest
from gatenet.manifest import ManifestError, sha256

if TYPE_CHECKING:
    from filelock import FileLock

MANIFEST = "manifest.json"
MODEL_SUFFIX = ".onnx"
HISTORY = "history.json"
HISTORY_CURVES = ("step", "loss", "accuracy")
TEST_DATA_SET = "test_data_set_0"
TEST_DATA_FILES = ("input_0.pb", "output_0.pb")
PRIVATE = ".gatenet"
NAME_MAX = 255
READ_ATTEMPTS = 20
COMMIT_WAIT = 30.0  # seconds a reader waits for a commit in progress before giving up


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

    The store adds the entry's SHA-256 digests and paths, which only it knows.
    """

    key: str
    model: bytes
    test_data: dict[str, bytes]
    history: bytes
    entry: dict


@dataclass
class ModelRead:
    """A model's bytes and the manifest entry (or None) read together from one state of the folder."""

    name: str
    data: bytes | None
    entry: dict | None
    problems: list[str]


class ModelFolder:
    """A folder of verified models: read it without a lock, change it only through `writing()`."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.private = self.root / PRIVATE
        self.journal = self.private / "journal.json"
        self.staging = self.private / "staging"
        self._parsed: tuple[bytes, dict[str, dict]] | None = None

    # The layout: the only place that knows file names.

    def model_path(self, key: str) -> Path:
        return self.root / f"{key}{MODEL_SUFFIX}"

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
        longest = f"{key}{MODEL_SUFFIX}"
        if len(longest.encode()) > NAME_MAX:
            raise FolderError(f"gate {key!r}: name too long for a model file ({len(longest)} > {NAME_MAX})")

    # Reading.

    def entries(self) -> dict[str, dict]:
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

    def _read_model_once(self, name: str, entries: dict[str, dict]) -> ModelRead:
        entry = entries.get(name)
        path = self.root / name
        if path.is_dir():
            return ModelRead(name, None, entry, [f"{path}: a folder, not a model file"])
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return ModelRead(name, None, entry, [f"{path}: listed in {MANIFEST} but missing"])
        except OSError as error:
            return ModelRead(name, None, entry, [str(os_error(error))])
        if entry is None:
            return ModelRead(name, data, None, [f"{path}: integrity not checked: no manifest entry"])
        problems = []
        if sha256(data) != entry["sha256"]:
            problems.append(f"{path}: SHA-256 differs from {MANIFEST}")
        for relative, digest in entry.get("files", {}).items():
            try:
                if sha256((self.root / relative).read_bytes()) != digest:
                    problems.append(f"{self.root / relative}: SHA-256 differs from {MANIFEST}")
            except OSError as error:
                problems.append(str(os_error(error)))
        return ModelRead(name, data, entry, problems)

    def read_history(self, name: str) -> dict:
        """A model's learning curve, from the file its manifest entry vouches for."""
        read = self.read_model(name)
        if read.entry is None or read.problems:
            raise FolderError(read.problems[0] if read.problems else f"{self.root / name}: no manifest entry")
        path = self.root / read.entry["history"]
        try:
            history = json.loads(path.read_text())
        except OSError as error:
            raise os_error(error) from None
        except ValueError as error:
            raise FolderError(f"{path}: not valid JSON ({error})") from None
        curves = [history.get(key) if isinstance(history, dict) else None for key in HISTORY_CURVES]
        if not all(isinstance(values, list) for values in curves) or len({len(v) for v in curves}) != 1:
            raise FolderError(
                f"{path}: not a gatenet history (needs lists {', '.join(HISTORY_CURVES)} of one length)"
            )
        return history

    def _manifest_bytes(self) -> bytes | None:
        path = self.root / MANIFEST
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise os_error(error) from None

    def _entries(self, data: bytes | None) -> dict[str, dict]:
        """The validated entries of these manifest bytes (a new mapping; the entries are shared with a
        cache of the last bytes parsed, so callers must not change them)."""
        if data is None:
            return {}
        if self._parsed is not None and self._parsed[0] == data:
            return dict(self._parsed[1])
        entries = manifest.parse(data, str(self.root / MANIFEST))
        for name, entry in entries.items():
            key = entry["gate"].lower()
            files = entry.get("files", {})
            if any(entry[field] != path for field, path in self.layout_fields(key).items()) or (
                files and sorted(files) != sorted(self.relative_files(key))
            ):
                raise ManifestError(
                    f"{self.root / MANIFEST}: {name}: paths must be the folder's own layout "
                    f"({', '.join(self.relative_files(key))})"
                )
        self._parsed = (data, entries)
        return dict(entries)

    def _settle(self) -> None:
        """Wait out a commit in progress; finish one whose writer died and clear what it left behind.

        A live writer holds the lock, so a journal or scratch file with the lock free is a dead
        writer's: the reader takes the lock for a moment and recovers the folder.
        """
        deadline = time.monotonic() + COMMIT_WAIT
        while self.journal.exists() or self._scratch():
            lock = self._lock()
            try:
                acquired = _acquire_now(lock)
            except OSError as error:
                if not self.journal.exists():
                    return  # scratch files in a folder we cannot write: harmless, leave them
                raise os_error(error, "finishing an interrupted commit needs write access") from None
            if not acquired:
                if not self.journal.exists():
                    return  # a live writer's staging: not ours to touch, and nothing is half-committed
                if time.monotonic() > deadline:
                    raise FolderError(f"{self.root}: a commit by {self._holder()} has not finished")
                time.sleep(0.01)
                continue
            try:
                self._recover()
            finally:
                lock.release()

    def _scratch(self) -> list[Path]:
        """Staging and temporary files, which only a writer's transaction or its crash leaves."""
        return [*self.staging.glob("*"), *self.private.glob(".*.tmp"), *self.root.glob(".*.tmp")]

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
            self._recover()
            self._upgrade(self._entries(self._manifest_bytes()))
            yield Writer(self)
        except OSError as error:
            raise os_error(error) from error  # chained, so `gatenet --debug` shows where it came from
        finally:
            (self.private / "holder.json").unlink(missing_ok=True)
            lock.release()

    def _upgrade(self, entries: dict[str, dict]) -> None:
        """Rewrite a manifest from gatenet 0.1 (format 1) with the SHA-256 of every file, as they are."""
        old = {name: entry for name, entry in entries.items() if "files" not in entry}
        if not old:
            return
        for name, entry in old.items():
            files = self.relative_files(entry["gate"].lower())
            try:
                hashes = {relative: sha256((self.root / relative).read_bytes()) for relative in files}
                entries[name] = {**entry, "files": hashes}
            except FileNotFoundError as error:
                raise FolderError(
                    f"{error.filename}: missing; retrain gate {entry['gate']} into a new folder"
                ) from None
        durable.write_atomically(self.root / MANIFEST, manifest.dump(entries), scratch=self.private)

    def _lock(self) -> FileLock:
        from filelock import FileLock  # only writers and recovery lock: readers skip the import

        return FileLock(self.private / "lock", preserve_lock_file=True, thread_local=False)

    def _holder(self) -> str:
        try:
            holder = json.loads((self.private / "holder.json").read_text())
            return f"{holder['command']} (pid {holder['pid']}, since {holder['started']})"
        except (OSError, ValueError, KeyError, TypeError):
            return "another gatenet process"

    def _recover(self) -> None:
        """Finish a commit whose journal is on disk; throw away staging and scratch files without one."""
        if self.journal.exists():
            try:
                journal = json.loads(self.journal.read_text())
                staged, entries = journal["staged"], journal["entries"]
            except (ValueError, KeyError, TypeError):
                journal = None  # torn before its rename: the commit never happened
            if journal is not None:
                self._apply(self.staging / staged, entries, journal.get("removed", []))
            else:
                durable.remove(self.journal)
        for leftover in self._scratch():
            durable.remove(leftover)

    def _apply(self, staged: Path, entries: dict[str, dict], removed: list[str]) -> None:
        """Move a committed transaction's files into place and remove the `removed` models' files,
        then update the manifest.

        Safe to repeat: a file already moved is checked against the journal instead.
        """
        folders = set()
        for name, entry in entries.items():
            key = entry["gate"].lower()
            for relative, digest in [(name, entry["sha256"]), *entry["files"].items()]:
                source, target = staged / relative, self.root / relative
                if source.exists():
                    durable.make_dirs(target.parent)
                    durable.replace(source, target)
                    folders.add(target.parent)
                elif not target.is_file() or sha256(target.read_bytes()) != digest:
                    raise FolderError(f"{target}: changed during an interrupted commit of gate {key!r}")
        for name in removed:
            durable.remove(self.root / name)
            durable.remove(self.root / name.removesuffix(MODEL_SUFFIX))
            folders.add(self.root)
        for folder in sorted(folders):
            durable.fsync_dir(folder)
        models = self._entries(self._manifest_bytes())
        models.update(entries)
        for name in removed:
            models.pop(name, None)
        durable.write_atomically(self.root / MANIFEST, manifest.dump(models), scratch=self.private)
        durable.remove(self.journal)
        durable.fsync_dir(self.private)
        durable.remove(staged)


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

    def __init__(self, folder: ModelFolder) -> None:
        self.folder = folder

    def commit(self, gates: list[GateFiles], remove: list[str] = ()) -> None:
        """Write the gates' files and manifest entries, and remove the models named in `remove` (file
        names) with their files and entries, as one transaction."""
        if not gates and not remove:
            return
        for name in remove:
            if not (name.endswith(MODEL_SUFFIX) and name == Path(name).name):
                raise FolderError(f"{self.folder.root}: cannot remove {name!r}: not a model file name")
        folder, removed = self.folder, sorted(remove)
        staged = folder.staging / f"{os.getpid()}-{time.monotonic_ns()}"
        try:
            entries = self._stage(staged, gates)
            journal = json.dumps({"staged": staged.name, "entries": entries, "removed": removed}).encode()
            durable.write_atomically(folder.journal, journal, scratch=folder.private)  # the commit point
            folder._apply(staged, entries, removed)
        except BaseException:
            if folder.journal.exists():  # committed: finish it now if we still can; else the next one will
                with contextlib.suppress(BaseException):
                    folder._recover()
            else:
                durable.remove(staged)
            raise

    def _stage(self, staged: Path, gates: list[GateFiles]) -> dict[str, dict]:
        """Every new file under `staged`, on disk with its name; returns the new manifest entries."""
        durable.make_dirs(staged, sync=False)  # even when only removing: the journal names it
        entries, folders = {}, {self.folder.private, self.folder.staging, staged}
        for gate in gates:
            files = {
                f"{gate.key}/{HISTORY}": gate.history,
                **{f"{gate.key}/{TEST_DATA_SET}/{name}": data for name, data in gate.test_data.items()},
            }
            model_name = self.folder.model_path(gate.key).name
            entry = {"gate": gate.entry.get("gate"), "sha256": sha256(gate.model), **gate.entry}
            entry.update(self.folder.layout_fields(gate.key))
            entry["files"] = {relative: sha256(data) for relative, data in sorted(files.items())}
            manifest.check_entry(model_name, entry, f"new entry {model_name}")
            entries[model_name] = entry
            for relative, data in [(model_name, gate.model), *files.items()]:
                durable.make_dirs((staged / relative).parent, sync=False)  # all fsynced below
                durable.write_file(staged / relative, data)
                folders.add((staged / relative).parent)
        for folder in sorted(folders):  # every staged name must be on disk before the journal
            durable.fsync_dir(folder)
        return entries
