"""Exceptions from code gatenet does not control, as one line that says where they were raised.

A plugin's import or hook, a truth function, or the objects in a plugin's netlist can raise anything;
the loader, the registry and the circuit builder each report such an error as one line naming the file
and line, so the three share this one formatter.
"""

from __future__ import annotations

import traceback


def describe(error: BaseException) -> str:
    """The exception on one line, with the file and line Python gives for where it was raised."""
    if isinstance(error, SyntaxError):
        return f"SyntaxError: {error.msg} ({error.filename}:{error.lineno})"
    frames = [
        frame for frame in traceback.extract_tb(error.__traceback__) if not frame.filename.startswith("<")
    ]
    where = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    message = " ".join(str(error).split())
    return f"{type(error).__name__}{': ' + message if message else ''}{where}"


def first_line(error: BaseException) -> str:
    """The first line of an error's message, "" when it has none: what a one-line report shows of an
    error whose message may run to a library's multi-line dump."""
    text = str(error).strip()
    return text.splitlines()[0] if text else ""
