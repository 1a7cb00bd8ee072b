"""File operations that survive a crash: data reaches the disk before the name that points to it,
and reads that never block on a special file a folder from someone else could hold (a FIFO).

Every operation the model folder makes on disk goes through here, in the order a crash-safe commit
needs (write, fsync the file, rename, fsync the folder). Each one is also a numbered step for the
fault-injection tests: `GATENET_FAULT_AT=N:SIGNAL` sends SIGNAL to this process just before step N,
and `GATENET_FAULT_TRACE=FILE` appends every step to FILE. Both are for gatenet's own tests only.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
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


def write_file(path: Path, data: bytes) -> None:
    """Write a new file and fsync it, so a later rename never exposes a file whose data is not on disk."""
    _step("write", path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)  # the umask applies, as for any file
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
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


def make_dirs(path: Path, sync: bool = True) -> None:
    """Create a folder and any missing parents, each parent fsynced so the new name survives a crash.

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
