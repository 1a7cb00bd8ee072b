"""A progress bar for long runs, shown only to a person at a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Bar:
    """A bar that appears when `start()` is called, so an error before the work begins prints alone."""

    def __init__(self, total: int, description: str, shown: bool) -> None:
        self.total, self.description, self.shown = total, description, shown
        self._progress: Any = None
        self._task: Any = None

    def start(self) -> None:
        if not self.shown or self._progress is not None:
            return
        from rich.console import Console  # imported only to show a bar
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        self._progress = Progress(*columns, console=Console(stderr=True), transient=True)
        self._progress.start()
        self._task = self._progress.add_task(self.description, total=self.total)

    def advance(self) -> None:
        if self._progress is not None:
            self._progress.advance(self._task)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()


@contextmanager
def progress_bar(total: int, description: str, enabled: bool = True) -> Iterator[Bar]:
    """A `Bar` on stderr that disappears when done; off unless stderr is a terminal, so logs and pipes
    only ever see the results."""
    bar = Bar(total, description, enabled and sys.stderr.isatty())
    try:
        yield bar
    finally:
        bar.stop()
