"""A time limit that holds for plugin code Python cannot interrupt.

SIGALRM stops a truth function only between bytecodes, so one busy inside C (`sum(range(10**10))`)
keeps the interpreter until it returns, minutes later. Inside `watched()`, a forked copy of this
process, the shadow, makes each plugin call marked with `turn()` first, side by side with this
process and a little ahead of it. This process makes a call only once the shadow has come back from
it; a call the shadow is stuck in past its limit (plus `GRACE`), or whose process it ended, is
reported without being made here.

The shadow is forked at the first `turn()` of a region, so a region with no truth functions forks
nothing, and lives until the region ends: one fork for all of `collect_gates`, however many gates.
What it prints goes nowhere. If it falls behind or does something else than this process would (a
plugin that is not deterministic), it is killed and forked again at the call this process is at.
Without `os.fork` (Windows), with other Python threads running, or once TensorFlow is loaded, there is
no shadow, and only the SIGALRM limit applies.
"""

from __future__ import annotations

import os
import select
import signal
import struct
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

GRACE = 1.0  # seconds past a call's limit before a shadow stuck in it is killed
_RECORD = struct.Struct("!cIiI")  # b"S"tart or b"D"one, call number, rows given if out of time, label crc
_STARTED, _DONE = b"S", b"D"


@dataclass
class Turn:
    """One call: in this process, what the shadow found when it made it; in the shadow, what it finds.

    `overtime` is the number of rows given before the time ran out, in either process.
    """

    stuck: bool = False  # the shadow was still in the call after its limit and GRACE, and was killed
    died: str = ""  # how the shadow's process ended inside the call, e.g. "exit status 0"
    overtime: int | None = None


class _Region:
    """This process's side of a watched region: the shadow's pid and pipe, and what it has reported."""

    def __init__(self) -> None:
        self.calls = 0
        self.shadow = False  # True in the shadow itself
        self.pid: int | None = None
        self.fd = -1  # the read end here, the write end in the shadow
        self.buffer = b""
        self.since = 0.0  # when the shadow last reported, or was forked
        self.open: tuple[int, int] | None = None  # (call, label crc) the shadow is in
        self.done: dict[int, tuple[int, int]] = {}  # call -> (rows given if out of time else -1, crc)

    def ahead(self, number: int, crc: int, timeout: float) -> Turn:
        """Wait until the shadow has made call `number`, forking one (which returns at once) if none
        runs; a shadow that falls silent past the limit outside this call is replaced."""
        while True:
            if self.pid is None and self._fork():
                return Turn()
            if number in self.done:
                rows, done_crc = self.done.pop(number)
                if done_crc == crc:
                    return Turn(overtime=None if rows < 0 else rows)
                self.stop()  # it made another call than this one: it is not our copy any more
                continue
            left = self.since + timeout + GRACE - time.monotonic()
            if left > 0 and select.select([self.fd], [], [], left)[0]:
                data = os.read(self.fd, 4096)
                if data:
                    self._receive(data)
                    continue
                status = self._reap()
                if self.open == (number, crc):
                    return Turn(died=status)
            elif self.open == (number, crc):
                self.stop()
                return Turn(stuck=True)
            self.stop()  # ended, silent or elsewhere outside this call: start again from here

    def report(self, kind: bytes, number: int, rows: int, crc: int) -> None:
        """In the shadow: tell this process where it is; with nobody left to tell, stop."""
        try:
            os.write(self.fd, _RECORD.pack(kind, number, rows, crc))
        except OSError:
            os._exit(0)

    def stop(self) -> None:
        """Kill and reap the shadow, if there is one, and forget what it said."""
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._reap()

    def _fork(self) -> bool:
        read, write = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            self.shadow, self.fd = True, write
            _quiet(parent)
            return True
        os.close(write)
        self.pid, self.fd, self.since = pid, read, time.monotonic()
        self.buffer, self.open, self.done = b"", None, {}
        return False

    def _receive(self, data: bytes) -> None:
        self.buffer += data
        whole = len(self.buffer) - len(self.buffer) % _RECORD.size
        for kind, number, rows, crc in _RECORD.iter_unpack(self.buffer[:whole]):
            if kind == _STARTED:
                self.open = (number, crc)
            else:
                self.open = None
                self.done[number] = (rows, crc)
        self.buffer = self.buffer[whole:]
        self.since = time.monotonic()

    def _reap(self) -> str:
        """Wait for the shadow's end and say how it ended; its pipe is closed."""
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        self.pid, self.fd = None, -1
        return ending(os.waitstatus_to_exitcode(status))


def ending(code: int) -> str:
    """How a process ended, from `os.waitstatus_to_exitcode`: "exit status 0", "signal SIGSEGV"."""
    return f"exit status {code}" if code >= 0 else f"signal {signal.Signals(-code).name}"


def _quiet(parent: int) -> None:
    """In a new shadow: read and write nothing of the user's, and die with the process that made it."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # open until the shadow ends
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it died before that took effect
        os._exit(0)


def _safe_to_fork() -> bool:
    return hasattr(os, "fork") and threading.active_count() == 1 and "tensorflow" not in sys.modules


_region: ContextVar[_Region | None] = ContextVar("gatenet_watched_region", default=None)


@contextmanager
def watched() -> Iterator[None]:
    """A region whose `turn()` calls the shadow makes first; inside another region, that one's.

    Only a process that is safe to fork gets a shadow: one Python thread (another could hold a lock
    the copy would wait on forever), and TensorFlow not loaded (its many threads do). Elsewhere, such
    as the web server's worker threads or a circuit built after training, only SIGALRM applies.
    """
    if _region.get() is not None or not _safe_to_fork():
        yield
        return
    region = _Region()
    token = _region.set(region)
    try:
        yield
    finally:
        if region.shadow:
            os._exit(0)  # the shadow's work ends with the region, however it leaves it
        _region.reset(token)
        region.stop()


@contextmanager
def turn(label: str, timeout: float) -> Iterator[Turn]:
    """One call to plugin code with `timeout` seconds, named by `label` (the same in both processes).

    Yields what the shadow found (outside a region: nothing). The caller makes the call only when the
    shadow neither got stuck, nor died, nor ran out of time in it; when it runs out of time itself,
    it sets `overtime`, which the shadow reports.
    """
    region = _region.get()
    if region is None:
        yield Turn()
        return
    number, crc = region.calls, zlib.crc32(label.encode())
    region.calls += 1
    found = Turn() if region.shadow else region.ahead(number, crc, timeout)
    if not region.shadow:
        yield found
        return
    region.report(_STARTED, number, -1, crc)
    try:
        yield found
    finally:
        region.report(_DONE, number, -1 if found.overtime is None else found.overtime, crc)
