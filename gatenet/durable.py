"""File operations that survive a crash: data reaches the disk before the name that points to it,
and reads that never block on a special file a folder from someone else could hold (a FIFO).

Every operation the model folder makes on disk goes through here, in the order a crash-safe commit
needs (write, fsync the file, rename, fsync the folder). A `Batch` defers the syncs of many
operations to one: on Linux one `syncfs(2)` of the filesystem, elsewhere an fsync of each file and
folder it touched. Each operation, and each sync, is also a numbered step for the fault-injection
tests: `GATENET_FAULT_AT=N:SIGNAL` sends SIGNAL to this process just before step N,
`GATENET_FAULT_TRACE=FILE` appends every step to FILE, and `GATENET_NO_SYNCFS=1` takes the per-file
fallback where syncfs exists. All three are for gatenet's own tests and benchmarks only.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import signal
import stat
import sys
from pathlib import Path

_FAULT_AT = os.environ.get("GATENET_FAULT_AT", "")
_FAULT_TRACE = os.environ.get("GATENET_FAULT_TRACE", "")
_steps = 0


def _step(operation: str, path: Path) -> None:
    """Count one file operation; kill or trace here when a fault-injection test asks to."""
    global _steps
    _steps += 1
    if _FAULT_TRACE:
        with open(_FAULT_TRACE, "a") as trace:
            trace.write(f"{_steps} {operation} {path}\n")
    if _FAULT_AT:
        number, _, name = _FAULT_AT.partition(":")
        if int(number) == _steps:
            os.kill(os.getpid(), getattr(signal, f"SIG{name or 'KILL'}"))


def read_file(path: Path) -> bytes:
    """A regular file's bytes; anything else (a FIFO, a device, a folder) is an OSError naming the path,
    raised before a read that could block forever."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def write_file(path: Path, data: bytes, sync: bool = True) -> None:
    """Write a new file and fsync it, so a later rename never exposes a file whose data is not on disk.

    With `sync=False` the caller makes it durable itself (`Batch.sync`) before anything names it."""
    _step("write", path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)  # the umask applies, as for any file
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def replace(source: Path, target: Path) -> None:
    """Rename over `target` in one atomic step; the caller fsyncs the folder once a batch is done."""
    _step("rename", target)
    os.replace(source, target)


def fsync_dir(path: Path) -> None:
    """Make the names in a folder (new files, renames, removals) durable."""
    _step("fsync-dir", path)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs(path: Path, sync: bool = True) -> list[Path]:
    """Create a folder and any missing parents, each parent fsynced so the new name survives a crash.
    Returns the folders it created, parents first.

    With `sync=False` the caller fsyncs the new folders' parents itself, once for a whole batch.
    """
    missing = []
    while not path.is_dir():
        if path.exists():
            raise NotADirectoryError(errno.ENOTDIR, "is a file, not a folder", str(path))
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        _step("mkdir", folder)
        folder.mkdir(exist_ok=True)
        if sync:
            fsync_dir(folder.parent)
    return missing[::-1]


def remove(path: Path) -> None:
    """Remove a file or a whole folder if it is there."""
    _step("remove", path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def write_atomically(path: Path, data: bytes, scratch: Path | None = None) -> None:
    """Replace `path` with `data` so readers see the old file or the new one, never half of either.

    The temporary file lives in `scratch` (same filesystem) or beside `path`, and is gone afterwards.
    """
    temporary = (scratch or path.parent) / f".{path.name}.{os.getpid()}.tmp"
    try:
        write_file(temporary, data)
        replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def check_writable(folder: Path) -> None:
    """Create `folder` if need be and prove a file can be written there, so a long run does not
    discover at its end that its output has nowhere to go. Raises the OSError naming the path."""
    make_dirs(folder)
    probe = folder / f".gatenet-probe.{os.getpid()}.tmp"
    write_file(probe, b"")
    probe.unlink()


def _load_syncfs():
    """libc's `syncfs`, where the kernel reports writeback errors through it (Linux 5.8 and later);
    else None. Before 5.8 syncfs returned 0 even when a file's data failed to reach the disk."""
    if sys.platform != "linux":
        return None
    try:
        major, minor = (int(part) for part in os.uname().release.split(".")[:2])
    except ValueError:
        return None
    if (major, minor) < (5, 8):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes, function.restype = [ctypes.c_int], ctypes.c_int
    return function


_SYNCFS = _load_syncfs()


def syncfs_available() -> bool:
    """Whether this system has a syncfs that reports errors, so a `Batch` can sync in one call."""
    return _SYNCFS is not None


# Whether batches use syncfs; False takes the per-file fallback (the tests and the benchmark set it).
SYNCFS = syncfs_available() and not os.environ.get("GATENET_NO_SYNCFS")


class Batch:
    """Many writes, new folders and renames, made durable together by one `sync()`.

    Between two syncs nothing is promised about what a power cut keeps; after `sync()` returns, every
    file written, folder made and name changed through the batch since the last sync is on disk. So a
    commit writes a whole chunk, syncs once, and only then writes the journal that names the files.

    With syncfs, `sync()` is one `syncfs(2)` on a descriptor of `anchor` opened when the batch starts,
    before anything is written: the kernel then reports any writeback error of the filesystem since
    that moment, as fsync would for one file. It is taken only when every folder the batch touched is
    on `anchor`'s filesystem; otherwise (or with `SYNCFS` off) each file and folder is fsynced.
    """

    def __init__(self, anchor: Path) -> None:
        self.anchor = anchor
        self.files: list[Path] = []  # written since the last sync, where they were written
        self.folders: set[Path] = set()  # whose names changed since the last sync
        self._made: set[Path] = set()  # folders known to exist: made or seen by `make_dirs`
        self._fd = os.open(anchor, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)) if SYNCFS else None

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def write(self, path: Path, data: bytes) -> None:
        """Write a new file, durable at the next `sync()`."""
        write_file(path, data, sync=False)
        self.files.append(path)
        self.folders.add(path.parent)

    def make_dirs(self, path: Path) -> None:
        """Create a folder and its missing parents, durable at the next `sync()`."""
        if path not in self._made:
            for folder in make_dirs(path, sync=False):
                self.folders.add(folder.parent)
            self._made.add(path)

    def replace(self, source: Path, target: Path) -> None:
        """Rename over `target` in one atomic step, durable at the next `sync()`."""
        replace(source, target)
        self.folders.add(target.parent)

    def touched(self, folder: Path) -> None:
        """A folder whose names changed some other way (a file removed), durable at the next `sync()`."""
        self.folders.add(folder)

    def sync(self) -> None:
        """Make everything done through the batch since the last sync durable."""
        if self._fd is not None and self._one_filesystem():
            _step("syncfs", self.anchor)
            if _SYNCFS(self._fd) != 0:
                number = ctypes.get_errno()
                raise OSError(number, os.strerror(number), str(self.anchor))
        else:
            for path in self.files:
                _step("fsync", path)
                fd = os.open(path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            for folder in sorted(self.folders):
                if folder.is_dir():  # a folder removed since is no one's to sync
                    fsync_dir(folder)
        self.files, self.folders = [], set()

    def _one_filesystem(self) -> bool:
        """Whether every folder touched is on the anchor's filesystem (a mount inside it is not)."""
        device = os.fstat(self._fd).st_dev
        for folder in self.folders:
            try:
                if os.stat(folder).st_dev != device:
                    return False
            except FileNotFoundError:  # removed since: nothing in it to sync
                continue
        return True
