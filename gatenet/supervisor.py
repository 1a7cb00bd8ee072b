"""Runs a whole command in a forked child, so that a plugin that ends the process is still named.

A plugin that ends the process itself (`os._exit(0)` while it is imported or in its hook, or a crash)
skips every handler of the command: on its own, `gatenet train --check` would then pass a pre-commit
hook with status 0 and no output. The child tells this process which plugin is running (`announce`),
so an early end becomes an `error:` line that names it. The pipe to the supervisor belongs to the
supervised process, so it is kept here, once per process, rather than on any plugin manager.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator

from gatenet import watchdog

_supervisor: tuple[int, int] | None = None  # (pid of the supervised process, its pipe to the supervisor)
_FINISHED = "\0finished"


@contextlib.contextmanager
def announce(plugin: str, doing: str) -> Iterator[None]:
    """Under `supervised`, the supervisor hears that `plugin` is `doing` something until this ends,
    in case the plugin ends the process; unsupervised, nothing happens."""
    _tell(f"{plugin}\t{doing}")
    try:
        yield
    finally:
        _tell("")


def _tell(line: str) -> None:
    if _supervisor is not None and _supervisor[0] == os.getpid():  # not a watchdog shadow's copy
        os.write(_supervisor[1], f"{line}\n".encode())


def supervised(work: Callable[[], int]) -> int:
    """Run `work`, a whole command that returns its exit status, in a forked child, and return the
    status it ended with; only this process returns.

    A child that ends before `work` returned is an `error:` line naming the plugin that was running,
    and status 1 (or the child's, if not 0). Ctrl-C reaches the child, which stops as it always does;
    SIGTERM here is passed on to it.
    """
    global _supervisor
    read, write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        _supervisor = (os.getpid(), write)
        try:
            code = work()
        except BaseException:  # `work` should return a status; a traceback is the honest report
            traceback.print_exc()
            code = 1
        atexit._run_exitfuncs()  # what the interpreter would run at exit, then say so and go
        sys.stdout.flush()
        sys.stderr.flush()
        _tell(_FINISHED)
        os._exit(code)
    os.close(write)
    interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)
    said = os.fdopen(read, encoding="utf-8", errors="replace")
    try:
        try:
            lines = [line.rstrip("\n") for line in said]
        except KeyboardInterrupt:  # SIGTERM sent to this process alone: the child stops and says so
            os.kill(pid, signal.SIGTERM)
            said.read()  # drained, so the child's last word never meets a closed pipe
            return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    except BaseException:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        raise
    finally:
        said.close()
        signal.signal(signal.SIGINT, interrupt)
    if lines and lines[-1] == _FINISHED:
        return code
    running = lines[-1].split("\t") if lines and lines[-1] else None
    if running:
        who = f"plugin {running[0]!r} ended the process while {running[1]}"
    else:
        who = "the process ended while no plugin was running"
    print(f"error: {who} ({watchdog.ending(code)}); the command did not finish", file=sys.stderr)
    return code if code > 0 else 1
